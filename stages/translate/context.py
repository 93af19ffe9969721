"""A line translated with its scene as context, by an MT model that reads one text at a time.

Marian and NLLB translate each input on its own, so 你 / 您, a dropped subject or an ellipsis read
wrongly out of context. The window method of document-level MT: the scene's previous lines and the
line are translated together as one text, and the output is cut back to the line. The cut is only
trusted when the output has exactly as many sentences as the window had; otherwise (the model merged
or split a sentence) the line's own translation, made in the same batch, is used. Either way the
record says which one was used, so nothing wrong is silently kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A sentence ends at terminal punctuation and any closing quotes after it; a full stop only before a
# space or the end, and not after a title (Mr. Lin).
_SENTENCE = re.compile(
    r".+?(?:[。！？!?…]+[”’」』\"')）]*|(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)\.+[”’\"')）]*(?=\s|$)|$)",
    re.S,
)
_TERMINAL = "。！？!?…."


def sentences(text: str) -> list[str]:
    """``text`` split into sentences at 。！？!?… and full stops followed by a space or the end."""
    return [s.strip() for s in _SENTENCE.findall(text.strip()) if s.strip(" \u3000" + _TERMINAL)]


def terminated(text: str, source: str) -> str:
    """``text`` ending in terminal punctuation, so a window keeps its sentences apart."""
    text = text.strip()
    if text and text.rstrip("”’」』\"')）")[-1:] not in _TERMINAL:
        return text + ("。" if source.startswith("zh") else ".")
    return text


@dataclass(frozen=True)
class InContext:
    text: str  # the line's translation
    used_context: bool  # True: cut from the window's translation; False: the line's own


def translate_in_context(
    translate: Callable[[list[str]], list[str]], line: str, context: Sequence[str], source: str
) -> InContext:
    """The line's translation cut from ``context + line`` translated together, or its own when the cut is unsafe."""
    if not context:
        (alone,) = translate([line])
        return InContext(alone, False)
    window = [terminated(c, source) for c in context] + [line]
    expected = [len(sentences(piece)) or 1 for piece in window]
    together, alone = translate([" ".join(window) if not source.startswith("zh") else "".join(window), line])
    out = sentences(together)
    if len(out) == sum(expected) and expected[-1] <= len(out):
        return InContext(" ".join(out[-expected[-1] :]), True)
    return InContext(alone, False)
