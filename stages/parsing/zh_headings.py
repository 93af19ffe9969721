"""Episode and scene headings of Chinese scripts, in every common order and separator.

``第1集``, ``【第一集】``, ``第X集`` (number missing); scene headings ``1-2 日 内 总裁办公室``,
``场1-1 日 内 地点``, ``1—1场景：日，外，地点``, ``1-1：地点 日外``, ``场景2：城墙 夜 外``,
``第3场 外 黄昏 云冈石窟`` — time, interior and place in any order, glued (``日内``) or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stages.models import TimeOfDay

CN_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMBER = r"[0-9０-９]+|[零〇一二两三四五六七八九十百千]+"
COLON = "[：:]"

_TIMES: dict[TimeOfDay, str] = {
    "day": "日 白天 昼 白日 午 中午 上午 下午 正午 午后 日间",
    "night": "夜 晚 夜晚 深夜 晚上 凌晨 半夜 午夜 夜里 夜间",
    "dawn": "晨 清晨 早 早晨 黎明 拂晓 早上 日出 清早",
    "dusk": "昏 黄昏 傍晚 日落 夕阳 暮 薄暮",
}
TIME_WORDS: dict[str, TimeOfDay] = {word: time for time, words in _TIMES.items() for word in words.split()}
FLASHBACK_WORDS = ("回忆", "闪回", "过去", "梦境", "幻想")
INTERIOR_WORDS: dict[str, bool | None] = {
    "内": True,
    "室内": True,
    "外": False,
    "室外": False,
    "内外": None,
    "内/外": None,
    "外/内": None,
}
_TIME_ALT = "|".join(sorted(TIME_WORDS, key=len, reverse=True))
_INT_ALT = "内外|室内|室外|内|外"
GLUED_TOKEN = re.compile(rf"^(?:({_TIME_ALT})[/／·]?({_INT_ALT})|({_INT_ALT})[/／·]?({_TIME_ALT}))$")

_EPISODE_TAIL = r"\s*[集话話回](?:\s*[】\]])?(?:\s*[：:、.．\-—\s]\s*|\s*)(.*)$"
EPISODE = re.compile(rf"^[【\[]?\s*第\s*({NUMBER}){_EPISODE_TAIL}")
EPISODE_UNNUMBERED = re.compile(rf"^[【\[]?\s*第\s*[XxＸｘ?？_＿*＊ ]*{_EPISODE_TAIL}")
SCENE_DASHED = re.compile(
    r"^(?:场景|场次|场|第)?\s*([0-9０-９]+)\s*[-－—–_.．]+\s*([0-9０-９]+)\s*(?:场景|场次|场)?[\s、.．:：]*(.*)$"
)
SCENE_WORD = re.compile(rf"^(?:场景|场次|场)\s*({NUMBER})\s*(?:{COLON}|[、.．\s])?\s*(.*)$")
SCENE_ORDINAL = re.compile(rf"^第\s*({NUMBER})\s*场(?:\s*{COLON})?\s*(.*)$")
SCENE_NUMBERED = re.compile(r"^([0-9０-９]+)\s*[、.．:：]\s*(.+)$")
SCENE_LABELLED = re.compile(rf"^(?:场景|地点)\s*{COLON}\s*(.+)$")
FLASHBACK_NOTE = re.compile(r"[（(【\[]\s*(?:闪回|回忆)\s*[）)】\]]")
FLASHBACK_IN_HEADING = re.compile(r"[（(【\[]\s*(?:闪回|回忆)\s*[）)】\]]|闪回|回忆")
_LEADING_LABEL = re.compile(rf"^(?:场景|场次|场|地点)\s*{COLON}\s*")


def cn_number(text: str) -> int:
    """``12``, ``１２``, ``十二``, ``一百零三`` -> int."""
    text = text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
    return total + current


@dataclass
class Heading:
    text: str
    location: str = ""
    time: TimeOfDay = "unknown"
    interior: bool | None = None
    flashback: bool = False


def parse_heading_parts(text: str, line: str) -> Heading | None:
    """Split ``日 内 总裁办公室`` (any order) into time, interior and place. None when no time/interior."""
    flashback = bool(FLASHBACK_IN_HEADING.search(text))
    body = FLASHBACK_NOTE.sub(" ", _LEADING_LABEL.sub("", text))
    tokens = [t for t in re.split(r"[\s，,、/／|｜;；]+", body) if t]
    time: TimeOfDay = "unknown"
    interior: bool | None = None
    found = False
    place: list[str] = []
    for token in tokens:
        glued = GLUED_TOKEN.match(token)
        if token in TIME_WORDS and time == "unknown":
            time, found = TIME_WORDS[token], True
        elif token in INTERIOR_WORDS and not (found and interior is not None):
            interior, found = INTERIOR_WORDS[token], True
        elif glued:
            t_word = glued.group(1) or glued.group(4)
            i_word = glued.group(2) or glued.group(3)
            time, interior, found = TIME_WORDS[t_word], INTERIOR_WORDS[i_word], True
        elif token in FLASHBACK_WORDS:
            flashback = found = True
        else:
            place.append(token)
    if not found:
        return None
    return Heading(line, " ".join(place).strip(" -—"), time, interior, flashback)


def match_heading(line: str) -> Heading | None:
    """A scene heading in any of the common shapes, or None."""
    for pattern, strict in (
        (SCENE_DASHED, False),
        (SCENE_WORD, False),
        (SCENE_ORDINAL, False),
        (SCENE_LABELLED, True),
        (SCENE_NUMBERED, True),
    ):
        m = pattern.match(line)
        if not m:
            continue
        rest = m.group(m.lastindex or 0) if m.lastindex else ""
        heading = parse_heading_parts(rest, line)
        if heading:
            return heading
        if not strict and rest and len(rest) <= 30:
            # "场景3：城墙" — a clearly marked heading with no time or interior.
            place = FLASHBACK_NOTE.sub("", _LEADING_LABEL.sub("", rest)).strip()
            return Heading(line, place, flashback=bool(FLASHBACK_IN_HEADING.search(rest)))
    return None
