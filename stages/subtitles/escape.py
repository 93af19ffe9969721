"""ASS text that renders literally. In ASS, ``{...}`` is an override block and ``\\N``, ``\\n``, ``\\h``
are line-break and space codes; dialogue such as ``{\\b1}`` or ``C:\\New`` must show as typed.

libass reads ``\\{`` and ``\\}`` as literal braces. A backslash before N/n/h gets a WORD JOINER
(U+2060, invisible, zero width) between them, so the pair is no longer a code.
"""

from __future__ import annotations

import re

WORD_JOINER = "\u2060"


def break_codes(text: str) -> str:
    """Defuse ``\\N``, ``\\n`` and ``\\h`` in typed text (a WORD JOINER after the backslash)."""
    return re.sub(r"\\(?=[Nnh])", "\\\\" + WORD_JOINER, text)


def ass_escape(text: str) -> str:
    """One row of plain text as ASS event text that libass draws character for character."""
    return break_codes(text).replace("{", "\\{").replace("}", "\\}")


def ass_join(rows: list[str], *, escape_braces: bool = True) -> str:
    """Escaped rows joined by the ASS hard line break. SRT keeps braces (no override blocks there)."""
    return "\\N".join(ass_escape(row) if escape_braces else break_codes(row) for row in rows)


def ass_plaintext(event_text: str) -> str:
    """The text a viewer sees for ``event_text`` built by :func:`ass_join` (rows joined by newlines)."""
    out, i = [], 0
    while i < len(event_text):
        ch = event_text[i]
        nxt = event_text[i + 1] if i + 1 < len(event_text) else ""
        if ch == "\\" and nxt in ("{", "}"):
            out.append(nxt)
            i += 2
        elif ch == "\\" and nxt == "N":
            out.append("\n")
            i += 2
        elif ch == "\\" and nxt == WORD_JOINER:
            out.append("\\")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
