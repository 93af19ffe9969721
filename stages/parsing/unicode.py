"""Text as found in the wild, made readable: look-alike characters mapped, invisible ones removed.

Scripts pasted from PDFs, OCR or chat apps carry Kangxi radicals (``⽇`` U+2F47 for ``日``), the
increment sign ``∆`` for the action mark ``△``, zero-width spaces and byte-order marks inside
lines. They look right on screen but match no pattern and no TTS voice can read them, so they are
mapped in the whole text (spoken text too: the result renders identically). Line breaks are left
alone so that line numbers stay those of the user's editor.
"""

from __future__ import annotations

import unicodedata

INVISIBLE = (
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"  # zero-width, BOM, soft hyphen, marks
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi controls
)
SPACES = "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f"
MARKS = {"\u2206": "△", "\u25b3": "△", "\u25b5": "△", "\u25b4": "▲", "\u2227": "△"}


def _radicals() -> dict[int, str]:
    """Kangxi radicals and the CJK radicals supplement, where NFKC gives the unified ideograph."""
    table: dict[int, str] = {}
    for code in [*range(0x2E80, 0x2EF4), *range(0x2F00, 0x2FD6)]:
        mapped = unicodedata.normalize("NFKC", chr(code))
        if mapped != chr(code) and len(mapped) == 1:
            table[code] = mapped
    return table


TABLE: dict[int, str | None] = (
    {ord(ch): None for ch in INVISIBLE}
    | {ord(ch): " " for ch in SPACES}
    | {ord(k): v for k, v in MARKS.items()}
    | _radicals()
)


def clean_text(text: str) -> str:
    """The text with look-alikes mapped and invisible characters removed (line breaks kept)."""
    return text.translate(TABLE)
