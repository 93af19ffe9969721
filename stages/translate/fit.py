"""A translated line fitted to subtitles: at most ``lines`` lines of ``max_chars``, broken between words."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Fitted:
    text: str  # the subtitle, lines joined by "\n"
    overlong: bool  # True when it needs more lines than allowed (nothing is cut: the reader needs it all)


def fit_subtitle(text: str, max_chars: int = 42, lines: int = 2) -> Fitted:
    """Wrap to lines of ``max_chars`` (42 is the common limit for Latin-script subtitles)."""
    text = " ".join(text.split())
    wrapped = textwrap.wrap(text, width=max_chars, break_long_words=True, break_on_hyphens=False) or [""]
    if len(wrapped) == 2 and lines >= 2:
        # Balance two lines, as subtitlers do: the break nearest the middle.
        words = text.split(" ")
        best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(text) / 2), default=0)
        first, second = " ".join(words[:best]), " ".join(words[best:])
        if best and max(len(first), len(second)) <= max_chars:
            wrapped = [first, second]
    return Fitted("\n".join(wrapped), overlong=len(wrapped) > lines)
