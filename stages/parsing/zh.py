"""Chinese micro-drama scripts (微短剧剧本): front matter, episodes, scenes, cast lists, action, dialogue.

Scripts written by different studios vary, so each line is matched against loose patterns that
accept full- and half-width punctuation, Chinese or Arabic numbers, and any order of the scene
heading's parts. Who speaks is decided by :mod:`stages.parsing.cues` against the cast known so
far (the spec's characters, the front matter's bios, cast lines, earlier speakers). A line that
matches nothing is action: an unknown convention never fails a parse and never loses a line.
Spoken text is kept verbatim (only the whitespace around it is trimmed). Each line's reading is
recorded for ``kaipai validate --explain``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from stages.errors import InputError
from stages.models import Beat, SceneScript, Script
from stages.parsing.cues import Cue, resolve_cue, split_marks
from stages.parsing.frontmatter import BODY_MARK, BOOK_TITLE, CAST, TITLE, FrontMatter, is_front_mark, strip_title
from stages.parsing.reading import Parsed, Reading
from stages.parsing.text import Builder, source_lines, split_names
from stages.parsing.zh_headings import EPISODE, EPISODE_UNNUMBERED, cn_number, match_heading

__all__ = ["Spoken", "ZhParser", "cn_number", "match_dialogue", "match_heading", "parse_zh", "read_zh"]

COLON = "[：:]"
OPEN, CLOSE = "[（(]", "[）)]"
ACTION_MARK = re.compile(r"^[△▲▽▼◆◇●○■□※☆★]+\s*(.*)$")
BRACKET_MARK = re.compile(r"^[【\[]\s*([^】\]]*?)\s*[】\]]\s*(.*)$")
STAGE_DIRECTION = re.compile(rf"^{OPEN}[^（()）]*{CLOSE}$")
TRANSITION = re.compile(
    rf"^(?:[-—=]*\s*)?(切至|切到|切换到|切换至|转场|转至|转到|黑屏|黑场|淡入|淡出|渐隐|渐显|渐黑|叠化|闪白|闪黑|硬切|定格|"
    rf"切)(?:\s*{COLON}\s*.{{0,30}}|\s*[。.!！]?)(?:\s*[-—=]*)$"
)
END_MARK = re.compile(r"^[（(【\[]?\s*(?:第\s*\S{1,6}\s*集)?\s*(?:完|终|剧终|全剧终|本集完|未完待续)\s*[）)】\]]?$")
FLASHBACK_START = re.compile(r"^(?:闪回|回忆|插叙)(?:开始|起)?$")
FLASHBACK_END = re.compile(r"^(?:闪回|回忆|插叙)(?:结束|完|止|终)$|^(?:回到现实|回到现在|闪回毕)$")
CUE_LINE = re.compile(rf"^(?P<cue>[^：:]{{1,40}}?)\s*{COLON}\s*(?:{OPEN}(?P<p2>[^（()）]*){CLOSE}\s*)?(?P<text>.*)$")
LEADING_NOTE = re.compile(rf"^{OPEN}([^（()）]*){CLOSE}\s*(.*)$")
_HAS_LETTER = re.compile(r"[^\W\d_]")


def normalise(line: str) -> str:
    """Trim all kinds of whitespace (full-width spaces too)."""
    return line.strip().strip("\u3000\ufeff\u200b").strip()


@dataclass
class Spoken:
    kind: str
    character: str | None
    parenthetical: str | None
    text: str
    why: str = ""
    ambiguous: bool = False


def read_cue_line(line: str, cast: Iterable[str] = ()) -> tuple[Cue, str] | None:
    """``cue：（note）words`` -> the cue's reading and the words; None when the line has no cue."""
    m = CUE_LINE.match(line)
    if not m or not _HAS_LETTER.search(m.group("cue")):
        return None
    cue = resolve_cue(m.group("cue"), cast)
    if cue is None:
        return None
    if m.group("p2") is not None:
        note = m.group("p2").strip() or None
        voiceover, rest = split_marks(note or "")
        kind = "voiceover" if voiceover and cue.kind == "dialogue" else cue.kind
        cue = Cue(kind, cue.character, "，".join(p for p in (cue.parenthetical, rest) if p) or None, cue.why)
    return cue, normalise(m.group("text"))


def match_dialogue(line: str, cast: Iterable[str] = ()) -> Spoken | None:
    """A spoken line (dialogue, voice-over, narration), or None for anything else."""
    read = read_cue_line(line, cast)
    if read is None or read[0].kind not in ("dialogue", "voiceover", "narration"):
        return None
    cue, text = read
    return Spoken(cue.kind, cue.character, cue.parenthetical, text, cue.why, cue.ambiguous)


def _title(line: str) -> re.Match[str] | None:
    return TITLE.match(line) or BOOK_TITLE.match(line)


def body_start(lines: list[str]) -> int:
    """Index of the body's first line: the first episode heading; else the line after ``【正文】``;
    else, when front-matter sections (bios, synopsis) come before any scene, the first scene; else 0."""
    for i, line in enumerate(lines):
        if EPISODE.match(line) or EPISODE_UNNUMBERED.match(line):
            return i
    for i, line in enumerate(lines):
        if BODY_MARK.match(line):
            return i + 1
    first_scene = next((i for i, line in enumerate(lines) if match_heading(line)), len(lines))
    if any(is_front_mark(line) for line in lines[:first_scene]):
        return first_scene
    return 0


@dataclass
class ZhParser:
    file: Path | str
    known: list[str] = field(default_factory=list)  # names the spec describes
    builder: Builder = field(default_factory=lambda: Builder(implicit_heading="开场"))
    front: FrontMatter = field(default_factory=FrontMatter)
    readings: list[Reading] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)
    flashback: bool = False
    flashback_pending: bool = False  # a 【闪回】 mark waiting for the next scene to start
    pending: Spoken | None = None  # "林晚：" whose words are on the next line
    pending_line: int = 0

    def parse(self, text: str) -> Parsed:
        lines = [normalise(raw) for raw in source_lines(text)]
        start = body_start(lines)
        for number, line in enumerate(lines[:start], start=1):
            if line:
                self.note(number, "front matter", line, self.front.read(line))
        for number, line in enumerate(lines[start:], start=start + 1):
            self.feed(line, number)
        self.flush_pending()
        episodes = self.builder.finish(self.file)
        series = self.front.info
        script = Script(
            title=series.title, series=series, format="zh", language="zh", episodes=episodes, cast=self.builder.cast
        )
        return Parsed(script, self.file, sorted(self.readings, key=lambda r: r.line), self.warnings)

    @property
    def cast(self) -> list[str]:
        """Every name known so far, for resolving cues."""
        return [*self.known, *self.front.cast, *self.builder.cast, *self.builder.pending_cast]

    def note(self, number: int, kind: str, text: str, why: str, speaker: str | None = None) -> None:
        self.readings.append(Reading(number, kind, text, why, speaker))

    def feed(self, line: str, number: int) -> None:
        if not line:
            return
        if self.pending:
            if not self._structural(line):
                self.words_for_pending(line, number)
                return
            self.flush_pending()
        self.classify(line, number)

    def words_for_pending(self, line: str, number: int) -> None:
        """The words of a cue left open on an earlier line; a leading ``（小声）`` is its parenthetical."""
        assert self.pending is not None
        m = LEADING_NOTE.match(line)
        if m:
            self.pending.parenthetical = "，".join(p for p in (self.pending.parenthetical, m.group(1).strip()) if p)
            self.note(number, "parenthetical", line, f"a note for the cue on line {self.pending_line}")
            line = m.group(2).strip()
            if not line:
                return  # the words, if any, are on the next line
        spoken, self.pending = self.pending, None
        spoken.text = line
        self.add_spoken(spoken, self.pending_line, number)

    def _structural(self, line: str) -> bool:
        """Lines that can never be the words of a dialogue cue left open on the previous line."""
        return bool(
            EPISODE.match(line)
            or match_heading(line)
            or ACTION_MARK.match(line)
            or CAST.match(line)
            or BRACKET_MARK.match(line)
            or TRANSITION.match(line)
            or read_cue_line(line, self.cast)
        )

    def flush_pending(self) -> None:
        if self.pending:
            spoken, self.pending = self.pending, None
            # "林晚：（沉默）" with no words: a silent reaction, shown as action.
            who = spoken.character or "旁白"
            what = f"{who}（{spoken.parenthetical}）" if spoken.parenthetical else who
            self.emit("action", what, self.pending_line, "a cue with no words: a silent reaction", spoken.character)

    def classify(self, line: str, number: int) -> None:
        for step in (self.episode, self.structure, self.marks):
            if step(line, number):
                return
        if read := read_cue_line(line, self.cast):
            self.cue(read[0], read[1], line, number)
            return
        self.emit("action", line, number, "no other pattern matches: action")

    def episode(self, line: str, number: int) -> bool:
        """``第1集 标题`` (or ``第X集`` with the number missing: the next number, with a warning)."""
        if m := EPISODE.match(line):
            n = cn_number(m.group(1))
            if n < 1:
                raise InputError(f"episode number must be 1 or more: {line!r}", file=self.file, line=number)
        elif m := EPISODE_UNNUMBERED.match(line):
            n = max((ep.number for ep in self.builder.episodes), default=0) + 1
            self.warnings.append((number, f"episode heading {line!r} has no number; read as episode {n}"))
        else:
            return False
        self.builder.episode(n, strip_title(normalise(m.groups()[-1])), number, self.file)
        self.flashback = self.flashback_pending = False
        self.note(number, "episode", line, f"episode {n} heading")
        return True

    def structure(self, line: str, number: int) -> bool:
        """End marks, scene headings and cast lines."""
        if END_MARK.match(line):
            self.note(number, "end mark", line, "end of an episode (not filmed)")
            return True
        if heading := match_heading(line):
            # A flashback ends at the next scene, unless it was marked just before this heading.
            self.flashback = heading.flashback or self.flashback_pending
            self.flashback_pending = False
            scene = SceneScript(
                heading=heading.text,
                location=heading.location,
                time=heading.time,
                interior=heading.interior,
                line=number,
                flashback=self.flashback,
            )
            self.builder.scene(scene)
            self.note(number, "scene", line, f"scene heading: {heading.location or '-'}, {heading.time}")
            return True
        if m := CAST.match(line):
            names = split_names(m.group(1))
            self.builder.cast_list(names)
            self.note(number, "cast", line, f"cast list: {'、'.join(names) or '-'}")
            return True
        return False

    def marks(self, line: str, number: int) -> bool:
        """Brackets, action marks, transitions, a title line and whole-line stage directions."""
        if m := BRACKET_MARK.match(line):
            self.bracket(m.group(1), m.group(2), number)
        elif m := ACTION_MARK.match(line):
            if m.group(1):
                self.emit("action", m.group(1), number, "action mark △")
        elif TRANSITION.match(line):
            self.emit("transition", line.strip("-—= "), number, "a transition")
        elif not self.builder.started and not self.front.info.title and (m := _title(line)):
            self.front.info.title = strip_title(m.group(1))
            self.note(number, "title", line, "series title")
        elif STAGE_DIRECTION.match(line):
            self.emit("action", line, number, "a stage direction in brackets")
        else:
            return False
        return True

    def bracket(self, mark: str, rest: str, number: int) -> None:
        """``【闪回】``, ``【闪回结束】``, ``【转场】``, ``【字幕：三年后】``, ``【镜头语言：…】`` and the like."""
        read = read_cue_line(mark, self.cast) if mark else None
        if FLASHBACK_START.match(mark):
            # Until a beat follows, the mark may still belong to the next scene heading.
            self.flashback = self.flashback_pending = True
            if not self.builder.scene_has_beats():
                self.builder.mark_flashback()
            self.note(number, "flashback", f"【{mark}】", "a flashback starts")
        elif FLASHBACK_END.match(mark):
            self.flashback = self.flashback_pending = False
            self.note(number, "flashback", f"【{mark}】", "the flashback ends")
        elif TRANSITION.match(mark):
            self.emit("transition", mark, number, "a transition in brackets")
        elif read and read[0].kind == "caption":
            self.emit("caption", read[1], number, "on-screen text in brackets")
        elif mark:
            self.emit("action", f"【{mark}】", number, "a note in brackets: action, never voiced")
        if rest:
            self.classify(rest, number)

    def cue(self, cue: Cue, words: str, line: str, number: int) -> None:
        """A ``cue：words`` line: spoken, on-screen text, action or transition, as the cue reads."""
        if cue.kind == "caption":
            self.emit("caption", words, number, f"on-screen text ({cue.why})")
        elif cue.kind == "note":
            self.note(number, "note", line, f"a note for the crew, not filmed ({cue.why})")
        elif cue.kind in ("action", "transition"):
            self.emit(cue.kind, line, number, f"not voiced ({cue.why})")
        else:
            spoken = Spoken(cue.kind, cue.character, cue.parenthetical, words, cue.why, cue.ambiguous)
            if words:
                self.add_spoken(spoken, number)
            else:
                self.pending, self.pending_line = spoken, number

    def add_spoken(self, spoken: Spoken, number: int, words_line: int | None = None) -> None:
        if spoken.ambiguous:
            self.warnings.append((number, f"ambiguous speaker: {spoken.why} (list the speaker in a 人物： line)"))
        why = spoken.why + (f"; words on line {words_line}" if words_line else "")
        self.emit(spoken.kind, spoken.text, number, why, spoken.character, spoken.parenthetical)
        if words_line:
            self.note(words_line, "words", spoken.text, f"the words of the cue on line {number}", spoken.character)

    def emit(
        self,
        kind: str,
        text: str,
        number: int,
        why: str,
        character: str | None = None,
        parenthetical: str | None = None,
    ) -> None:
        self.flashback_pending = False
        beat = Beat(
            kind=kind,
            text=text,
            line=number,
            flashback=self.flashback,
            character=character,
            parenthetical=parenthetical,
        )
        self.builder.beat(beat)
        self.note(number, kind, text, why, character if beat.spoken else None)


def read_zh(text: str, file: Path | str = "<script>", known: Iterable[str] = ()) -> Parsed:
    """Parse with every line's reading kept (``known``: character names the spec describes)."""
    return ZhParser(file, known=list(known)).parse(text)


def parse_zh(text: str, file: Path | str = "<script>") -> Script:
    return read_zh(text, file).script
