"""Fountain screenplays (fountain.io) through screenplain, with what it lacks added around it.

screenplain classifies paragraphs (scene headings, forced elements, character cues, dialogue and
parentheticals, dual dialogue, transitions, sections, synopses, centered text) but keeps no line
numbers, and it strips notes and the boneyard before splitting lines. So this module blanks notes
and boneyard itself (keeping every line break), splits paragraphs itself, feeds each paragraph to
screenplain's own classifier, and maps what comes out back to source lines. It adds lyrics
(``~``), voice-over cues (``(V.O.)``, ``(O.S.)``), episodes (``# Episode 2`` sections) and the
title from the title page.
"""

from __future__ import annotations

import re
from pathlib import Path

from screenplain.parsers.fountain import InputParagraph, parse_title_page, section_re
from screenplain.richstring import parse_emphasis
from screenplain.types import Action, Dialog, DualDialog, Section, Slug, Transition

from stages.errors import InputError
from stages.models import Beat, SceneScript, Script, TimeOfDay
from stages.parsing.detect import detect_language
from stages.parsing.text import Builder, clean_name, source_lines

HIDDEN = re.compile(r"/\*.*?\*/|\[\[.*?\]\]", re.S)  # boneyard and notes
SCREENPLAIN_MAGIC = re.compile("[\ue700-\ue706]")  # private-use characters screenplain uses as markers
REMOVED = "\x00"  # marks a line that held only hidden text: it is neither content nor a blank line
EPISODE_SECTION = re.compile(
    r"^(?:episode|ep\.?|chapter|part)\s*(\d+)\s*[:.\-–—]?\s*(.*)$|^第\s*(\d+)\s*集\s*(.*)$", re.I
)
VOICEOVER_EXTENSIONS = {"V.O.", "VO", "V.O", "O.S.", "OS", "O.S", "O.C.", "OC", "O.C"}
CUE_EXTENSION = re.compile(r"\(([^)]*)\)")
SLUG = re.compile(r"^(INT\.?/EXT\.?|EXT\.?/INT\.?|I/E\.?|INT\.?|EXT\.?|EST\.?)\s+(.*)$", re.I)
TIMES: dict[str, TimeOfDay] = {
    "DAY": "day", "AFTERNOON": "day", "NOON": "day", "MIDDAY": "day",
    "LATER": "unknown", "MOMENTS LATER": "unknown", "CONTINUOUS": "unknown", "SAME": "unknown",
    "NIGHT": "night", "MIDNIGHT": "night", "LATE NIGHT": "night",
    "DAWN": "dawn", "MORNING": "dawn", "SUNRISE": "dawn", "EARLY MORNING": "dawn",
    "DUSK": "dusk", "EVENING": "dusk", "SUNSET": "dusk", "TWILIGHT": "dusk",
}  # fmt: skip


def _blank_hidden(text: str) -> list[str]:
    """Source lines with notes and boneyard removed; a line that held only those becomes REMOVED."""

    def keep_breaks(match: re.Match) -> str:
        return REMOVED + "\n" * match.group(0).count("\n") + REMOVED if "\n" in match.group(0) else REMOVED

    text = SCREENPLAIN_MAGIC.sub("\ufffd", text.replace(REMOVED, "\ufffd"))
    lines = []
    for line in source_lines(HIDDEN.sub(keep_breaks, "\n".join(source_lines(text)))):
        bare = line.replace(REMOVED, "")
        lines.append(REMOVED if REMOVED in line and not bare.strip() else bare.expandtabs(4))
    return lines


def _paragraphs(lines: list[str], first: int) -> list[tuple[list[str], list[int]]]:
    """Groups of consecutive non-blank lines, each with its 1-based line numbers."""
    out: list[tuple[list[str], list[int]]] = []
    texts: list[str] = []
    numbers: list[int] = []
    for number, line in enumerate(lines[first:], start=first + 1):
        if line == REMOVED:
            continue
        if line in ("", " "):  # screenplain's blank line: longer runs of spaces keep a paragraph together
            if texts:
                out.append((texts, numbers))
            texts, numbers = [], []
            continue
        texts.append(line)
        numbers.append(number)
    if texts:
        out.append((texts, numbers))
    return out


def plain(text: object) -> str:
    """Fountain emphasis (``*italic*``, ``**bold**``, ``_underline_``) removed."""
    return str(parse_emphasis(str(text))).strip()


def parse_slug(text: str) -> tuple[str, TimeOfDay, bool | None]:
    """``INT. HOUSE - NIGHT`` -> (location, time, interior)."""
    m = SLUG.match(text)
    prefix, rest = (m.group(1).upper().rstrip("."), m.group(2)) if m else ("", text)
    interior = {"INT": True, "EXT": False, "EST": False}.get(prefix)
    parts = [p.strip() for p in re.split(r"\s+[-–—]\s+", rest) if p.strip()]
    time: TimeOfDay = "unknown"
    if len(parts) > 1 and parts[-1].upper() in TIMES:
        time = TIMES[parts.pop().upper()]
    return " - ".join(parts), time, interior


def parse_cue(cue: str) -> tuple[str, bool, str | None]:
    """``BOB (V.O.) (CONT'D)`` -> ("BOB", voice-over?, other extension)."""
    extensions = [e.strip() for e in CUE_EXTENSION.findall(cue)]
    name = clean_name(CUE_EXTENSION.sub("", cue).strip().lstrip("@").rstrip("^").strip())
    voiceover = any(e.upper().replace(" ", "") in VOICEOVER_EXTENSIONS for e in extensions)
    others = [
        e
        for e in extensions
        if e.upper().replace(" ", "") not in VOICEOVER_EXTENSIONS and not e.upper().startswith("CONT")
    ]
    return name, voiceover, ", ".join(others) or None


class FountainParser:
    def __init__(self, file: Path | str) -> None:
        self.file = file
        self.builder = Builder(implicit_heading="OPENING")
        self.title = ""

    def parse(self, text: str) -> Script:
        lines = _blank_hidden(text)
        body_start = self._title_page(lines)
        paragraphs = _paragraphs(lines, body_start)
        self.builder.episode_headings = any(
            (m := section_re.match(line)) and EPISODE_SECTION.match(m.group(2).strip())
            for texts, _ in paragraphs
            for line in texts
        )
        classified: list = []
        for texts, numbers in paragraphs:
            self.paragraph(texts, numbers, classified)
        episodes = self.builder.finish(self.file)
        return Script(
            title=self.title,
            format="fountain",
            language=detect_language(text),
            episodes=episodes,
            cast=self.builder.cast,
        )

    def _title_page(self, lines: list[str]) -> int:
        """Read the title page if there is one; return the index where the body starts."""
        head: list[str] = []
        for line in lines:
            if line == REMOVED:
                continue
            if not line.strip():
                break
            head.append(line)
        page = parse_title_page(head) if head else None
        if not page:
            return 0
        self.title = " ".join(plain(v) for v in page.get("Title", [])).strip()
        seen = 0
        for index, line in enumerate(lines):
            if line != REMOVED and line.strip():
                seen += 1
            if seen == len(head):
                return index + 1
        return len(lines)

    def paragraph(self, texts: list[str], numbers: list[int], classified: list) -> None:
        if all(t.lstrip().startswith("~") for t in texts):
            words = " ".join(plain(t.lstrip()[1:]) for t in texts).strip()
            if words:
                self.beat("narration", words, numbers[0], parenthetical="lyrics")
            return
        before = len(classified)
        last = classified[-1] if classified else None
        InputParagraph(list(texts)).update_list(classified)
        if (
            len(classified) == before
            and classified
            and isinstance(classified[-1], DualDialog)
            and classified[-1] is not last
        ):
            self.dialog(classified[-1].right, numbers, dual=True)
            return
        section_lines = iter(n for t, n in zip(texts, numbers, strict=True) if section_re.match(t))
        for element in classified[before:]:
            if isinstance(element, Slug):
                self.slug(element, numbers[0])
            elif isinstance(element, Section):
                self.section(element, next(section_lines, numbers[0]))
            elif isinstance(element, Dialog):
                self.dialog(element, numbers, dual=False)
            elif isinstance(element, Transition):
                self.beat("transition", plain(element.line), numbers[0])
            elif isinstance(element, Action):
                words = " ".join(plain(line) for line in element.lines).strip()
                if words:
                    self.beat("action", words, numbers[0])
            # PageBreak: nothing to film.

    def slug(self, slug: Slug, number: int) -> None:
        heading = plain(slug.line)
        location, time, interior = parse_slug(heading)
        self.builder.scene(SceneScript(heading=heading, location=location, time=time, interior=interior, line=number))

    def section(self, section: Section, number: int) -> None:
        m = EPISODE_SECTION.match(plain(section.text))
        if m:
            episode = int(m.group(1) or m.group(3))
            if episode < 1:
                raise InputError("episode number must be 1 or more", file=self.file, line=number)
            self.builder.episode(episode, (m.group(2) or m.group(4) or "").strip(), number, self.file)
        # Other sections and synopses organise the writer's work; they are not filmed.

    def dialog(self, dialog: Dialog, numbers: list[int], dual: bool) -> None:
        name, voiceover, extension = parse_cue(plain(dialog.character))
        kind = "voiceover" if voiceover else "dialogue"
        # Body lines follow the cue; blocks map one-to-one onto numbers[1:].
        parenthetical: str | None = extension
        words: list[str] = []
        first_line = numbers[0]

        def flush() -> None:
            nonlocal words
            text = " ".join(w for w in words if w)
            if text:
                self.beat(kind, text, first_line, character=name, parenthetical=parenthetical, dual=dual)
            words = []

        in_paren = False
        for (is_paren, rich), number in zip(dialog.blocks, numbers[1:], strict=False):
            line = plain(rich)
            if is_paren:
                flush()
                part = line.strip("() ")
                parenthetical = f"{parenthetical} {part}".strip() if in_paren and parenthetical else part or None
                in_paren = True
                continue
            in_paren = False
            if not words:
                first_line = number
            words.append(line.lstrip("~").strip())
        flush()

    def beat(self, kind: str, text: str, number: int, **extra: object) -> None:
        self.builder.beat(Beat(kind=kind, text=text, line=number, **extra))


def parse_fountain(text: str, file: Path | str = "<script>") -> Script:
    return FountainParser(file).parse(text)
