"""A studio's own translations: a CSV per language, used as they are by every profile, offline too.

Studios often have a translator, or a platform's localisation team, deliver the lines. The spec names
one file per language (``translations: {en: en.csv}``), two columns under a ``source,translation``
header: the line as the script has it, and its translation. Rows are matched by the source text
(spaces at the ends ignored), so renumbered scenes keep their translations. Such a line is never
sent to a model; it is only fitted to the subtitle rows, and the offline profile can release (and
dub) every language whose lines are all given.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from stages.errors import InputError

HEADER = ("source", "translation")
MAX_BYTES = 5_000_000
MAX_CHARS = 2000  # a spoken line's limit
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def read_given(path: Path, field: str) -> dict[str, str]:
    """Source line -> translation, from a ``source,translation`` CSV; a bad row names its line."""
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"translations file is over {MAX_BYTES // 1_000_000} MB", file=path, field=field)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"translations file is not UTF-8 text ({exc.reason})", file=path, field=field) from None
    try:
        return _table(path, text, field)
    except csv.Error as exc:
        raise InputError(f"not a CSV file: {exc}", file=path, field=field) from None


def _table(path: Path, text: str, field: str) -> dict[str, str]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        raise InputError("the first row must be the header: source,translation", file=path, line=1, field=field)
    table: dict[str, str] = {}
    for row in rows:
        line = rows.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank rows between scenes are fine
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise InputError("a row is: the source line, its translation (two non-empty cells)", file=path,
                             line=line, field=field)  # fmt: skip
        if any(len(cell) > MAX_CHARS or _CONTROL.search(cell) for cell in row):
            raise InputError(f"a cell holds control characters or is over {MAX_CHARS} characters", file=path,
                             line=line, field=field)  # fmt: skip
        source = row[0].strip()
        if source in table and table[source] != row[1].strip():
            raise InputError(f"line {source!r} is given two different translations", file=path, line=line,
                             field=field)  # fmt: skip
        table[source] = row[1].strip()
    return table


def missing_lines(table: dict[str, str], lines: list[str]) -> list[str]:
    """The spoken lines a translations file does not cover, in script order, each once."""
    return list(dict.fromkeys(text.strip() for text in lines if text.strip() not in table))
