"""Names spelt one way in every line of every episode, in every target language.

A machine translator renders 林晚 as "Lin Wan" in one line and "Forest Late" in the next, and 云冈寺
as "Yungang Temple" in one scene and "Cloud Ridge Monastery" in the next. So each character name and
each proper place name of the scene headings is given one spelling (pinyin with capitals for Chinese
names, with the English word for a place's kind: 云冈寺 -> Yungang Temple; the spec's ``glossary:``
wins) and written into the source line before translation: MT models copy Latin names through
unchanged, and an instruct LLM is told to keep them.

A heading's place is only a proper name when it ends in a kind of place (村, 寺, 集团 …) after a
name of its own; 办公室 or 客厅 are ordinary words and are left to the translator.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_CJK = re.compile(r"[\u3400-\u9fff]")
_PLACE_PARTS = re.compile(r"\s*(?:[-—–·/|]|－)\s*")  # 大同古城 - 城墙 -> two places

# The kinds of place that make a heading's place a proper name, with their usual English words
# (longest first when matching, so 大酒店 wins over 酒店).
PLACE_KINDS: dict[str, str] = {
    "集团": "Group", "公司": "Company", "医院": "Hospital", "大酒店": "Grand Hotel", "酒店": "Hotel",
    "大学": "University", "中学": "High School", "小学": "Primary School", "学校": "School",
    "广场": "Plaza", "大厦": "Tower", "公园": "Park", "车站": "Station", "机场": "Airport",
    "石窟": "Grottoes", "古城墙": "Old City Wall", "古城": "Old Town", "城墙": "City Wall",
    "山庄": "Villa", "别墅": "Villa",
    "村": "Village", "镇": "Town", "县": "County", "市": "City", "省": "Province", "寺": "Temple",
    "庙": "Temple", "山": "Mountain", "河": "River", "湖": "Lake", "岛": "Island", "街": "Street",
    "路": "Road", "巷": "Lane", "宫": "Palace", "府": "Mansion", "庄": "Manor", "楼": "Tower",
    "阁": "Pavilion", "殿": "Hall", "园": "Garden", "堂": "Hall", "馆": "House",
}  # fmt: skip


def _syllables(text: str) -> list[str]:
    from pypinyin import lazy_pinyin

    return [s for s in lazy_pinyin(text) if s.strip()]


def romanise(name: str) -> str:
    """``林晚`` -> ``Lin Wan``; a name with no Chinese characters is kept as it is."""
    if not _CJK.search(name):
        return name
    syllables = _syllables(name)
    if len(syllables) >= 3 and len(name) == len(syllables):
        return f"{syllables[0].capitalize()} {''.join(syllables[1:]).capitalize()}"  # 沈明远 -> Shen Mingyuan
    return " ".join(s.capitalize() for s in syllables)


def place_spelling(place: str) -> str | None:
    """``云冈寺`` -> ``Yungang Temple``, ``林家村`` -> ``Linjia Village``; None for a place that is no name."""
    place = place.strip()
    if not _CJK.search(place):
        return None
    for kind in sorted(PLACE_KINDS, key=len, reverse=True):
        proper = place.removesuffix(kind)
        if proper != place and len(proper) >= 2 and _CJK.fullmatch(proper[-1]) and _CJK.search(proper):
            return f"{''.join(_syllables(proper)).capitalize()} {PLACE_KINDS[kind]}"
    return None


def place_names(locations: Iterable[str]) -> list[str]:
    """The proper place names of the scene headings' locations, each once, in order of appearance."""
    found: dict[str, None] = {}
    for location in locations:
        for part in _PLACE_PARTS.split(location or ""):
            if place_spelling(part):
                found[part.strip()] = None
    return list(found)


def build_glossary(
    names: Iterable[str], given: Mapping[str, str] | None = None, places: Iterable[str] = ()
) -> dict[str, str]:
    """Each name's spelling in translations: the spec's own where given, else romanised.

    ``names`` are characters; ``places`` the headings' locations (only their proper names are kept).
    Every entry of ``given`` (the spec's ``glossary:``) is kept, named in the script or not.
    """
    given = dict(given or {})
    glossary = {name: given.get(name) or romanise(name) for name in dict.fromkeys(names) if name}
    for place in place_names(places):
        glossary.setdefault(place, given.get(place) or place_spelling(place) or romanise(place))
    return {**glossary, **given}


def apply_glossary(text: str, glossary: Mapping[str, str]) -> str:
    """The source line with every glossary name replaced by its spelling (longest names first)."""
    for name in sorted(glossary, key=len, reverse=True):
        if name in text:
            text = text.replace(name, f" {glossary[name]} " if _CJK.search(name) else glossary[name])
    return re.sub(r" {2,}", " ", text).strip()


def names_in(text: str, glossary: Mapping[str, str]) -> list[str]:
    """The spellings a translation of ``text`` must keep (each glossary name the source line holds)."""
    return [glossary[name] for name in sorted(glossary, key=len, reverse=True) if name in text]
