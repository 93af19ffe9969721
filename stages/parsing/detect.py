"""Which format a script is in, and which language it speaks, from the marks each format leaves."""

from __future__ import annotations

import re
from typing import Literal

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[A-Za-z]")
_ZH_MARKS = (
    re.compile(r"^\s*第\s*[0-9０-９零〇一二两三四五六七八九十百]+\s*[集话回]", re.M),
    re.compile(r"^\s*[△▲]", re.M),
    re.compile(r"^\s*\S{1,16}?\s*(?:[（(][^）)]*[）)])?\s*：", re.M),
    re.compile(r"^\s*[0-9]+\s*[-－]\s*[0-9]+\s", re.M),
    re.compile(r"^\s*(?:人物|场景)\s*[：:]", re.M),
)
_FOUNTAIN_MARKS = (
    re.compile(r"^\s*(?:INT|EXT|EST|INT\.?/EXT|I/E)[ .]", re.M | re.I),
    re.compile(r"^\s*(?:Title|Credit|Author|Draft date):", re.M | re.I),
    re.compile(r"^[A-Z][A-Z0-9 .'\-]{1,30}(?:\s*\([^)]*\))?\s*\^?\n(?=\S)", re.M),  # a character cue
    re.compile(r"^\s*(?:FADE IN:|[A-Z ]+TO:)\s*$", re.M),
    re.compile(r"^\s*\.[A-Za-z0-9]", re.M),
)


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among the letters (CJK or Latin) of ``text``."""
    cjk = len(_CJK.findall(text))
    latin = len(_LETTER.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def detect_language(text: str) -> Literal["zh", "en"]:
    # A Latin letter carries less than a Chinese character, so weigh words, not letters.
    return "zh" if cjk_ratio(text) >= 0.2 else "en"


def detect_format(text: str) -> Literal["zh", "fountain"]:
    """Chinese micro-drama text or Fountain. Ties go to the language of the text."""
    sample = text[:200_000]
    zh = sum(len(p.findall(sample)) for p in _ZH_MARKS)
    fountain = sum(len(p.findall(sample)) for p in _FOUNTAIN_MARKS)
    ratio = cjk_ratio(sample)
    if ratio >= 0.5:
        return "zh" if zh >= fountain / 2 else "fountain"
    if ratio < 0.1:
        return "fountain" if fountain >= zh / 2 or not zh else "zh"
    return "zh" if zh > fountain else "fountain"
