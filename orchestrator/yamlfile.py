"""YAML loading that remembers the line of every key, so validation errors can name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from stages.errors import InputError, Problem

MAX_YAML_BYTES = 1_000_000

Loc = tuple[str | int, ...]


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*loc, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*loc, key), lines)
            # The key's own line is more useful than the value's (a block value starts below it).
            lines[(*loc, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), lines)


def parse_yaml(text: str, file: str | Path) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text; return the data and a map from key path to 1-based line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"not valid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def read_text_limited(path: Path, limit: int, what: str) -> str:
    """Read a UTF-8 text file no larger than ``limit`` bytes, or raise an InputError naming it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror}", file=path) from None
    if not path.is_file():
        raise InputError(f"{what} is not a file", file=path)
    if size > limit:
        raise InputError(f"{what} is {size} bytes; the limit is {limit}", file=path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text (byte {exc.start})", file=path) from None


def load_yaml_file(path: Path, what: str = "file") -> tuple[Any, dict[Loc, int]]:
    return parse_yaml(read_text_limited(path, MAX_YAML_BYTES, what), path)


def line_of(lines: dict[Loc, int], loc: Loc) -> int | None:
    """The line of the deepest known prefix of ``loc`` (a missing key reports its parent)."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def _loc_name(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def validation_problems(exc: ValidationError, file: Path, lines: dict[Loc, int]) -> list[Problem]:
    """pydantic's errors as ``FILE:LINE: field: message`` problems a person can act on."""
    problems = []
    for err in exc.errors():
        # pydantic adds union branch names ("list[...]", "literal[...]") to loc; drop them for the user.
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        msg = msg.removeprefix("Value error, ")
        problems.append(Problem(msg, file, line_of(lines, loc), _loc_name(loc) or None))
    return problems


M = TypeVar("M", bound=BaseModel)


def load_validated(path: Path, model: type[M], what: str, keys_hint: str) -> tuple[M, dict[Loc, int]]:
    """Read a YAML file into ``model``; every problem names the file, the line and the field."""
    data, lines = load_yaml_file(path, what)
    if not isinstance(data, dict):
        raise InputError(f"a {what} is a YAML mapping ({keys_hint})", file=path, line=1)
    try:
        return model.model_validate(data), lines
    except ValidationError as exc:
        raise InputError(problems=validation_problems(exc, path, lines)) from None
