"""Shot cutting: which beats share a shot, before any size or camera is chosen.

An action beat opens a shot; spoken lines join the open shot while it stays one exchange (at most
two speakers, ``max_lines`` lines, no emotional line sharing a shot). These rules read the script's
structure (who speaks, what kind of line, its parenthetical), never the words of a line, so
rewording a line re-cuts nothing. Apart from framing because cutting decides what a shot holds,
framing only how it is filmed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from stages.models import Beat, Line, SceneScript
from stages.storyboard.cue_words import EMOTIONS_EN, EMOTIONS_ZH
from stages.storyboard.options import StoryboardOptions, text_units


@dataclass
class Draft:
    """A shot being assembled: its action and lines, before size and camera are chosen."""

    action: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    flashback: bool = False
    emphatic: str | None = None  # why a line here must stand alone
    transition: str = ""  # a transition written after this shot
    captions: list[str] = field(default_factory=list)  # on-screen text (字幕：…) shown over this shot

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(line.character for line in self.lines if line.kind == "dialogue" and line.character))


def emphasis(line: Line, language: str) -> str | None:
    """Why a line deserves its own close shot: an emotional parenthetical (a stage direction, not the words)."""
    if line.kind != "dialogue":
        return None
    paren = (line.parenthetical or "").lower()
    words = EMOTIONS_ZH if language == "zh" else EMOTIONS_EN
    if paren and any(w in paren for w in words):
        return f"emotional line ({line.parenthetical})"
    return None


def _accepts(draft: Draft, line: Line, beat: Beat, language: str, options: StoryboardOptions) -> bool:
    if draft.flashback != beat.flashback or draft.emphatic or emphasis(line, language):
        return False
    if len(draft.lines) >= options.max_lines:
        return False
    kinds = {existing.kind for existing in draft.lines}
    if kinds and kinds != {line.kind}:
        return False
    if line.kind == "dialogue":
        if len(set(draft.speakers) | {line.character}) > 2:
            return False
        limit = options.short_action_zh if language == "zh" else options.short_action_en
        if draft.action and not draft.lines and text_units(" ".join(draft.action), language) > limit:
            return False  # a long action is its own shot; a short one can carry the next lines
    return True


def group_beats(scene: SceneScript, lines: Sequence[Line], language: str, options: StoryboardOptions) -> list[Draft]:
    """Beats into drafts; spoken beats take ``lines`` one by one, so order and text are kept."""
    queue = list(lines)
    drafts: list[Draft] = []
    current: Draft | None = None
    for beat in scene.beats:
        if beat.kind == "transition":
            if current:
                current.transition = beat.text
            current = None
            continue
        if beat.kind == "action":
            current = Draft(action=[beat.text], flashback=beat.flashback)
            drafts.append(current)
            continue
        if beat.kind == "caption":
            # On-screen text goes over the open shot; with none open it gets a shot of its own.
            if current is None:
                current = Draft(flashback=beat.flashback)
                drafts.append(current)
            current.captions.append(beat.text)
            continue
        line = queue.pop(0)
        if current is None or not _accepts(current, line, beat, language, options):
            current = Draft(flashback=beat.flashback)
            drafts.append(current)
        current.lines.append(line)
        current.emphatic = current.emphatic or emphasis(line, language)
    if queue:  # the beats and the numbered lines disagree: a bug, never a user error
        raise ValueError(f"{len(queue)} lines of scene {scene.heading!r} were not placed in a shot")
    return drafts
