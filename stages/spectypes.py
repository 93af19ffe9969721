"""Field types for YAML the user writes: strict where YAML would guess, bounded everywhere.

YAML reads ``true`` and ``5.0`` where a number was meant, and pydantic's lax mode would take them as
``1`` and ``5``; a spec that says ``priority: true`` is a mistake worth naming. Every number has a
range, stated in the message, so no value can plan a 17-day shot or an infinite one.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, Strict

SEED_MAX = 2**32 - 1  # numpy's seed range; torch accepts it too
LINE_BREAKS = frozenset("\n\r\t")


def _no_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true/false")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("a finite number is expected")
    return value


def bounded_int(low: int, high: int) -> object:
    """An int in [low, high]: no bool, no float, no numeric string; the range is in the message."""
    return Annotated[int, Strict(), Field(ge=low, le=high, description=f"{low} to {high}")]


def bounded_float(low: float, high: float, *, low_open: bool = False) -> object:
    """A finite number in [low, high] (or (low, high]); ints are taken, bools and NaN/inf are not."""
    bound = Field(gt=low, le=high) if low_open else Field(ge=low, le=high)
    return Annotated[float, BeforeValidator(_no_bool), bound, AfterValidator(_finite)]


def control_characters(text: str, allowed: frozenset[str] = frozenset()) -> list[tuple[int, str]]:
    """(position, U+XXXX) of every control character in ``text`` not in ``allowed``."""
    return [
        (i, f"U+{ord(ch):04X}")
        for i, ch in enumerate(text)
        if ch not in allowed and (unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029")
    ]


def _plain_text(value: str) -> str:
    found = control_characters(value)
    if found:
        pos, code = found[0]
        raise ValueError(f"control character {code} at position {pos + 1} is not allowed here")
    return value


def _multiline_text(value: str) -> str:
    found = control_characters(value, LINE_BREAKS)
    if found:
        pos, code = found[0]
        raise ValueError(f"control character {code} at position {pos + 1} is not allowed (only line breaks and tabs)")
    return value


PlainText = Annotated[str, Strict(), AfterValidator(_plain_text)]
"""One line of text (names, titles, paths): no control characters at all, and not a number."""

MultilineText = Annotated[str, Strict(), AfterValidator(_multiline_text)]
"""Text that may span lines (an inline script): line breaks and tabs only."""

Seed = bounded_int(0, SEED_MAX)
