"""Line breaking by display width. libass and PIL do not wrap CJK text, so we do: a 汉字 is two columns,
a Latin letter one; breaks fall after punctuation when one is near, English breaks between words, and
closing punctuation never starts a line (禁则, kinsoku)."""

from __future__ import annotations

import re
import unicodedata

# Punctuation that must not begin a line, and that makes a good place to break after.
NO_LINE_START = set("，。、；：！？）》」』】〕〉”’…—,.;:!?)]}%·～~")
BREAK_AFTER = set("，。、；：！？…—,.;:!?")
NO_LINE_END = set("（《「『【〔〈“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9@#$%&'’\-_.]+|\s+|.", re.S)


def char_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Columns ``text`` takes in a monospace-like CJK layout (汉字 = 2, ASCII = 1)."""
    return sum(char_width(ch) for ch in text)


def _tokens(text: str) -> list[str]:
    """Unbreakable pieces: Latin words and numbers stay whole, each 汉字 stands alone."""
    return _TOKEN.findall(text)


def wrap_text(text: str, width: int, *, lookback: float = 0.4) -> list[str]:
    """Break ``text`` into rows of at most ``width`` columns (a single over-long word is hard-split).

    Within the last ``lookback`` fraction of a row we prefer to break right after punctuation.
    Explicit newlines in ``text`` are kept as row breaks.
    """
    width = max(2, int(width))
    rows: list[str] = []
    for paragraph in text.split("\n"):
        rows.extend(_wrap_paragraph(paragraph.strip(), width, lookback))
    return rows or [""]


def _wrap_paragraph(text: str, width: int, lookback: float) -> list[str]:
    if not text:
        return []
    pieces: list[str] = []
    for token in _tokens(text):
        while display_width(token) > width:  # a word longer than a row: split it by columns
            head = _take_columns(token, width)
            pieces.append(head)
            token = token[len(head) :]
        pieces.append(token)

    rows: list[str] = []
    row: list[str] = []
    for piece in pieces:
        if display_width("".join(row) + piece) <= width or not row:
            row.append(piece)
            continue
        if piece.isspace():  # a space at a break is dropped
            rows.append("".join(row).rstrip())
            row = []
            continue
        carry = _split_point([*row, piece], width, lookback)
        rows.append("".join(row[:carry]).rstrip())
        row = _lstrip([*row[carry:], piece])
    if row:
        rows.append("".join(row).rstrip())
    return [r for r in rows if r]


def _split_point(pieces: list[str], width: int, lookback: float) -> int:
    """How many of ``pieces`` stay on this row, given that the last one does not fit."""
    row = pieces[:-1]
    cut = len(row)
    # Kinsoku: closing punctuation may not start the next row, an opening bracket may not end this one;
    # pull glyphs down to the next row until both hold (never emptying this row, and never pulling down
    # more than the next row can hold: a run of punctuation wider than a row breaks where it must).
    while (
        cut > 1
        and display_width("".join(pieces[cut - 1 :])) <= width
        and (pieces[cut][0] in NO_LINE_START or row[cut - 1][-1] in NO_LINE_END)
    ):
        cut -= 1
    # Prefer a break right after punctuation or a space in the row's tail.
    floor = width * (1 - lookback)
    for i in range(cut, 0, -1):
        if display_width("".join(row[:i])) < floor:
            break
        if row[i - 1][-1] in BREAK_AFTER or row[i - 1].isspace():
            return i
    return cut


def _lstrip(row: list[str]) -> list[str]:
    while row and row[0].isspace():
        row = row[1:]
    return row


def _take_columns(token: str, width: int) -> str:
    taken, used = "", 0
    for ch in token:
        if used + char_width(ch) > width:
            break
        taken += ch
        used += char_width(ch)
    return taken or token[0]
