"""Names spelt one way in every line of every episode, in every target language.

A machine translator renders 林晚 as "Lin Wan" in one line and "Forest Late" in the next. So each
name is given one spelling (pinyin with capitals for Chinese names; the spec may give its own) and
written into the source line before translation: MT models copy Latin names through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_CJK = re.compile(r"[\u3400-\u9fff]")


def romanise(name: str) -> str:
    """``林晚`` -> ``Lin Wan``; a name with no Chinese characters is kept as it is."""
    if not _CJK.search(name):
        return name
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(name) if s.strip()]
    if len(syllables) >= 3 and len(name) == len(syllables):
        return f"{syllables[0].capitalize()} {''.join(syllables[1:]).capitalize()}"  # 沈明远 -> Shen Mingyuan
    return " ".join(s.capitalize() for s in syllables)


def build_glossary(names: Iterable[str], given: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each name's spelling in translations: the spec's own where given, else romanised."""
    given = dict(given or {})
    return {name: given.get(name) or romanise(name) for name in dict.fromkeys(names) if name}


def apply_glossary(text: str, glossary: Mapping[str, str]) -> str:
    """The source line with every glossary name replaced by its spelling (longest names first)."""
    for name in sorted(glossary, key=len, reverse=True):
        if name in text:
            text = text.replace(name, f" {glossary[name]} " if _CJK.search(name) else glossary[name])
    return re.sub(r" {2,}", " ", text).strip()
