"""YAML loading that remembers the line of every key, so validation errors can name it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from stages.errors import InputError, Problem

MAX_YAML_BYTES = 1_000_000

Loc = tuple[str | int, ...]


MAX_DEPTH = 64  # nesting of mappings and sequences; specs need about 5
MAX_NODES = 200_000  # scalars, mappings and sequences in one document


class _GuardedComposer(yaml.SafeLoader):
    """A SafeLoader whose composer refuses aliases, deep nesting and huge documents *before* building
    anything, so a "billion laughs" file costs what its text costs, never what it expands to."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(
                problem="YAML aliases (*name) are not allowed here; write the value out",
                problem_mark=event.start_mark,
            )
        if getattr(event, "anchor", None) is not None:
            raise yaml.MarkedYAMLError(
                problem="YAML anchors (&name) are not allowed here; write the value out",
                problem_mark=event.start_mark,
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise yaml.MarkedYAMLError(
                problem=f"the document has more than {MAX_NODES} values", problem_mark=event.start_mark
            )
        nested = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        if nested:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=event.start_mark
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self._depth -= 1


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], file: str | Path) -> None:
    lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        first_line: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key in first_line:
                name = _loc_name((*loc, key))
                raise InputError(
                    f"duplicate key {name!r}: first on line {first_line[key]}, again on line {line}",
                    file=file,
                    line=line,
                    field=name,
                )
            first_line.setdefault(key, line)
            _walk(value_node, (*loc, key), lines, file)
            # The key's own line is more useful than the value's (a block value starts below it).
            lines[(*loc, key)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), lines, file)


def parse_yaml(text: str, file: str | Path) -> tuple[Any, dict[Loc, int]]:
    """Parse YAML text; return the data and a map from key path to 1-based line.

    The text is composed once, with aliases, anchors, nesting and size refused by the composer; the
    data is then built from that same node tree (never a second, unguarded parse).
    """
    loader = _GuardedComposer(text)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        if node is None:
            return None, lines
        _walk(node, (), lines, file)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InputError(f"not valid YAML: {exc.problem or exc}", file=file, line=line) from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    except (TypeError, ValueError) as exc:  # an unhashable key such as ``? [a, b]``
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    finally:
        loader.dispose()
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
