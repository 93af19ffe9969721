"""Chinese micro-drama scripts (微短剧剧本): episodes, scene headings, cast lists, action, dialogue.

Scripts written by different studios vary, so each line is matched against loose patterns that
accept full- and half-width punctuation, Chinese or Arabic numbers, and any order of the scene
heading's parts. A line that matches nothing is action: an unknown convention never fails a parse.
Spoken text is kept verbatim (only the whitespace around it is trimmed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from stages.errors import InputError
from stages.models import Beat, SceneScript, Script, TimeOfDay
from stages.parsing.text import Builder, clean_name, source_lines, split_names

# ------------------------------------------------------------------ vocabulary

CN_DIGITS = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMBER = r"[0-9０-９]+|[零〇一二两三四五六七八九十百千]+"

_TIMES: dict[TimeOfDay, str] = {
    "day": "日 白天 昼 白日 午 中午 上午 下午 正午",
    "night": "夜 晚 夜晚 深夜 晚上 凌晨 半夜 午夜 夜里",
    "dawn": "晨 清晨 早 早晨 黎明 拂晓 早上 日出",
    "dusk": "黄昏 傍晚 日落 夕阳 暮 薄暮",
}
TIME_WORDS: dict[str, TimeOfDay] = {word: time for time, words in _TIMES.items() for word in words.split()}
INTERIOR_WORDS: dict[str, bool | None] = {
    "内": True,
    "室内": True,
    "外": False,
    "室外": False,
    "内外": None,
    "内/外": None,
    "外/内": None,
}
# A heading token may glue time and interior together: 日内, 夜外, 日/内.
_TIME_ALT = "|".join(sorted(TIME_WORDS, key=len, reverse=True))
_INT_ALT = "内外|室内|室外|内|外"
GLUED_TOKEN = re.compile(rf"^(?:({_TIME_ALT})[/／·]?({_INT_ALT})|({_INT_ALT})[/／·]?({_TIME_ALT}))$")


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


VOICEOVER_MARKS = _words("OS O.S. O.S VO V.O. V.O 画外音 画外 内心 心声 内心OS 独白 内心独白 电话 电话音 语音")
NARRATOR_LABELS = _words("旁白 画外音 解说 叙述 叙述者")
# Labels that look like "name：text" but are not people speaking.
NON_SPEAKER_LABELS = _words(
    "时间 地点 场景 字幕 备注 注 提示 音效 音乐 BGM SFX 道具 服装 镜头 画面 景别 剧情 梗概 简介 内容"
    " 主题 背景 本集 卡点 钩子 集数 编剧 导演"
)
TITLE_LABELS = ("剧名", "片名", "标题", "剧本名", "作品名")
CAST_LABELS = ("人物", "出场人物", "登场人物", "角色", "出场", "人物表", "演员")

# ------------------------------------------------------------------ line patterns

COLON = "[：:]"
OPEN, CLOSE = "[（(]", "[）)]"
EPISODE = re.compile(rf"^第\s*({NUMBER})\s*[集话話回](?:\s*[：:、.．\-—\s]\s*|\s*)(.*)$")
SCENE_DASHED = re.compile(r"^([0-9０-９]+)\s*[-－—–_.．]\s*([0-9０-９]+)[\s、.．:：]*(.*)$")
SCENE_WORD = re.compile(rf"^(?:场景|场次|场)\s*({NUMBER})\s*(?:{COLON}|[、.．\s])?\s*(.*)$")
SCENE_ORDINAL = re.compile(rf"^第\s*({NUMBER})\s*场(?:\s*{COLON})?\s*(.*)$")
SCENE_NUMBERED = re.compile(r"^([0-9０-９]+)\s*[、.．:：]\s*(.+)$")
SCENE_LABELLED = re.compile(rf"^(?:场景|地点)\s*{COLON}\s*(.+)$")
CAST = re.compile(rf"^(?:{'|'.join(CAST_LABELS)})\s*{COLON}\s*(.*)$")
TITLE = re.compile(rf"^(?:{'|'.join(TITLE_LABELS)})\s*{COLON}\s*(.+)$")
BOOK_TITLE = re.compile(r"^《([^》]{1,60})》$")
ACTION_MARK = re.compile(r"^[△▲▽▼◆◇●○■□※☆★]+\s*(.*)$")
BRACKET_MARK = re.compile(r"^[【\[]\s*([^】\]]*?)\s*[】\]]\s*(.*)$")
STAGE_DIRECTION = re.compile(rf"^{OPEN}[^（()）]*{CLOSE}$")
TRANSITION = re.compile(
    rf"^(?:[-—=]*\s*)?(切至|切到|切换到|切换至|转场|转至|转到|黑屏|淡入|淡出|渐隐|渐显|渐黑|叠化|闪白|闪黑|硬切|定格|"
    rf"切)(?:\s*{COLON}\s*.{{0,30}}|\s*[。.!！]?)(?:\s*[-—=]*)$"
)
FLASHBACK_START = re.compile(r"^(?:闪回|回忆|插叙)(?:开始|起)?$")
FLASHBACK_END = re.compile(r"^(?:闪回|回忆|插叙)(?:结束|完|止|终)$|^(?:回到现实|回到现在|闪回毕)$")
# name (paren) : (paren) text     — the parenthetical may come before or after the colon.
DIALOGUE = re.compile(
    rf"^(?P<name>[^\s：:（()）【】\[\]△▲，,。！？!?；;“”\"'…]{{1,16}}?)\s*"
    rf"(?:{OPEN}(?P<p1>[^（()）]*){CLOSE})?\s*{COLON}\s*"
    rf"(?:{OPEN}(?P<p2>[^（()）]*){CLOSE}\s*)?(?P<text>.*)$"
)
FLASHBACK_IN_HEADING = re.compile(r"[（(【\[]\s*(?:闪回|回忆)\s*[）)】\]]|闪回|回忆")


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


def normalise(line: str) -> str:
    """Trim all kinds of whitespace (full-width spaces too)."""
    return line.strip().strip("\u3000\ufeff\u200b").strip()


# ------------------------------------------------------------------ scene headings


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
    body = re.sub(r"[（(【\[]\s*(?:闪回|回忆)\s*[）)】\]]", " ", text)
    tokens = [t for t in re.split(r"[\s，,、/／|｜]+", body) if t]
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
        else:
            place.append(token)
    if not found:
        return None
    return Heading(line, " ".join(place), time, interior, flashback)


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
            place = re.sub(r"[（(【\[]\s*(?:闪回|回忆)\s*[）)】\]]", "", rest).strip()
            return Heading(line, place, flashback=bool(FLASHBACK_IN_HEADING.search(rest)))
    return None


# ------------------------------------------------------------------ dialogue


@dataclass
class Spoken:
    kind: str
    character: str | None
    parenthetical: str | None
    text: str


def _split_parenthetical(paren: str | None) -> tuple[bool, str | None]:
    """``OS`` / ``冷笑，OS`` -> (is voice-over, remaining parenthetical)."""
    if not paren:
        return False, None
    parts = [p.strip() for p in re.split(r"[，,、/／\s]+", paren.strip()) if p.strip()]
    marks = {m.upper() for m in VOICEOVER_MARKS}
    rest = [p for p in parts if p.upper() not in marks]
    voiceover = len(rest) < len(parts)
    return voiceover, ("，".join(rest) if rest else None) if voiceover else (paren.strip() or None)


def match_dialogue(line: str) -> Spoken | None:
    m = DIALOGUE.match(line)
    if not m:
        return None
    name = clean_name(m.group("name"))
    if not name or name in NON_SPEAKER_LABELS or name in CAST_LABELS or name in TITLE_LABELS:
        return None
    vo1, p1 = _split_parenthetical(m.group("p1"))
    vo2, p2 = _split_parenthetical(m.group("p2"))
    parenthetical = "，".join(p for p in (p1, p2) if p) or None
    text = normalise(m.group("text"))
    upper = name.upper()
    if name in NARRATOR_LABELS or upper in ("NARRATOR", "VO", "OS"):
        return Spoken("narration", None, parenthetical, text)
    # "林晚OS：" written without brackets.
    for mark in ("OS", "VO", "V.O."):
        if upper.endswith(mark) and len(name) > len(mark):
            return Spoken("voiceover", name[: -len(mark)].strip(), parenthetical, text)
    return Spoken("voiceover" if (vo1 or vo2) else "dialogue", name, parenthetical, text)


# ------------------------------------------------------------------ the parser


@dataclass
class ZhParser:
    file: Path | str
    builder: Builder = field(default_factory=lambda: Builder(implicit_heading="开场"))
    title: str = ""
    flashback: bool = False
    flashback_pending: bool = False  # a 【闪回】 mark waiting for the next scene to start
    pending: Spoken | None = None  # "林晚：" whose words are on the next line
    pending_line: int = 0

    def parse(self, text: str) -> Script:
        lines = [normalise(raw) for raw in source_lines(text)]
        self.builder.episode_headings = any(EPISODE.match(line) for line in lines)
        for number, line in enumerate(lines, start=1):
            self.feed(line, number)
        self.flush_pending()
        episodes = self.builder.finish(self.file)
        return Script(title=self.title, format="zh", language="zh", episodes=episodes, cast=self.builder.cast)

    def feed(self, line: str, number: int) -> None:
        if not line:
            return
        if self.pending:
            if not self._structural(line):
                spoken, self.pending = self.pending, None
                spoken.text = line
                self.add_spoken(spoken, self.pending_line)
                return
            self.flush_pending()
        self.classify(line, number)

    def _structural(self, line: str) -> bool:
        """Lines that can never be the words of a dialogue cue left open on the previous line."""
        return bool(
            EPISODE.match(line)
            or match_heading(line)
            or ACTION_MARK.match(line)
            or CAST.match(line)
            or BRACKET_MARK.match(line)
            or TRANSITION.match(line)
            or match_dialogue(line)
        )

    def flush_pending(self) -> None:
        if self.pending:
            spoken, self.pending = self.pending, None
            # "林晚：（沉默）" with no words: a silent reaction, shown as action.
            what = (
                f"{spoken.character or '旁白'}（{spoken.parenthetical}）"
                if spoken.parenthetical
                else (spoken.character or "旁白")
            )
            self.emit("action", what, self.pending_line, character=spoken.character)

    def classify(self, line: str, number: int) -> None:
        b = self.builder
        if m := EPISODE.match(line):
            n = cn_number(m.group(1))
            if n < 1:
                raise InputError(f"episode number must be 1 or more: {line!r}", file=self.file, line=number)
            b.episode(n, strip_title(m.group(2)), number, self.file)
            self.flashback = self.flashback_pending = False
            return
        if heading := match_heading(line):
            # A flashback ends at the next scene, unless it was marked just before this heading.
            self.flashback = heading.flashback or self.flashback_pending
            self.flashback_pending = False
            b.scene(
                SceneScript(
                    heading=heading.text,
                    location=heading.location,
                    time=heading.time,
                    interior=heading.interior,
                    line=number,
                    flashback=self.flashback,
                )
            )
            return
        if m := CAST.match(line):
            b.cast_list(split_names(m.group(1)))
            return
        if m := BRACKET_MARK.match(line):
            self.bracket(m.group(1), m.group(2), number)
            return
        if m := ACTION_MARK.match(line):
            if m.group(1):
                self.emit("action", m.group(1), number)
            return
        if TRANSITION.match(line):
            self.emit("transition", line.strip("-—= "), number)
            return
        if not b.started and not self.title and (m := TITLE.match(line) or BOOK_TITLE.match(line)):
            self.title = strip_title(m.group(1))
            return
        if STAGE_DIRECTION.match(line):
            self.emit("action", line, number)
            return
        if spoken := match_dialogue(line):
            if spoken.text:
                self.add_spoken(spoken, number)
            else:
                self.pending, self.pending_line = spoken, number
            return
        self.emit("action", line, number)

    def bracket(self, mark: str, rest: str, number: int) -> None:
        """``【闪回】``, ``【闪回结束】``, ``【转场】``, ``【字幕：三年后】`` and the like."""
        if FLASHBACK_START.match(mark):
            # Until a beat follows, the mark may still belong to the next scene heading.
            self.flashback = self.flashback_pending = True
            if not self.builder.scene_has_beats():
                self.builder.mark_flashback()
        elif FLASHBACK_END.match(mark):
            self.flashback = self.flashback_pending = False
        elif TRANSITION.match(mark):
            self.emit("transition", mark, number)
        elif mark:
            self.emit("action", f"【{mark}】", number)
        if rest:
            self.classify(rest, number)

    def add_spoken(self, spoken: Spoken, number: int) -> None:
        self.emit(spoken.kind, spoken.text, number, character=spoken.character, parenthetical=spoken.parenthetical)

    def emit(self, kind: str, text: str, number: int, **extra: str | None) -> None:
        self.flashback_pending = False
        self.builder.beat(Beat(kind=kind, text=text, line=number, flashback=self.flashback, **extra))


def strip_title(text: str) -> str:
    """``《城墙之上》`` / ``：城墙之上`` -> ``城墙之上``."""
    return normalise(text).strip('《》<>「」『』"“”：: ')


def parse_zh(text: str, file: Path | str = "<script>") -> Script:
    return ZhParser(file).parse(text)
