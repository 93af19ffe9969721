"""A spoken line's cues, timed from the speech measured inside its voice clip.

The first cue starts where the speech starts and the last ends where it ends (the voice backends
measure both, see ``stages.voice.speech``). A line too long for one cue is split at phrase ends
(``breaking.break_cues``); each split time is the speech shared in proportion to the text, moved to
the middle of the voice's nearest pause when one is close, since a speaker pauses where a sentence
or clause ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from stages.media.text import display_width
from stages.models import Line
from stages.params import JobContext
from stages.subtitles.breaking import break_cues
from stages.subtitles.layout import text_layout

SNAP_SECONDS = 0.6  # a pause this close to the proportional split time takes the split


@dataclass(frozen=True)
class Cue:
    """One subtitle event: seconds from the start of its voice clip (or shot, once placed), and its rows."""

    start: float
    end: float
    rows: tuple[str, ...]
    line: str

    def shifted(self, by: float) -> Cue:
        return Cue(round(self.start + by, 3), round(self.end + by, 3), self.rows, self.line)


def voice_speech(meta: dict) -> tuple[float, float, list[tuple[float, float]]]:
    """(speech start, speech end, pauses) from a voice artifact's meta; old metas span the whole clip."""
    duration = float(meta["duration"])
    start, end = meta.get("speech") or (0.0, duration)
    pauses = [(float(a), float(b)) for a, b in meta.get("pauses") or []]
    return float(start), float(end), pauses


def line_cues(text: str, language: str, columns: int, meta: dict, line_id: str) -> list[Cue]:
    """The cues of one spoken line, relative to the start of its voice clip."""
    start, end, pauses = voice_speech(meta)
    groups = break_cues(text, language, columns) or [[text.strip()]]
    weights = [max(1, sum(display_width(r) for r in rows)) for rows in groups]
    total, elapsed = sum(weights), 0
    bounds = [start]
    free = list(pauses)
    for weight in weights[:-1]:
        elapsed += weight
        guess = start + (end - start) * elapsed / total
        bounds.append(_snap(guess, free, bounds[-1], end))
    bounds.append(end)
    return [Cue(round(bounds[i], 3), round(bounds[i + 1], 3), tuple(rows), line_id) for i, rows in enumerate(groups)]


def _snap(guess: float, pauses: list[tuple[float, float]], after: float, before: float) -> float:
    """The middle of the pause nearest ``guess`` (removed from ``pauses``), else ``guess`` itself."""
    usable = [p for p in pauses if after < (p[0] + p[1]) / 2 < before]
    if not usable:
        return guess
    nearest = min(usable, key=lambda p: abs((p[0] + p[1]) / 2 - guess))
    middle = (nearest[0] + nearest[1]) / 2
    if abs(middle - guess) > SNAP_SECONDS:
        return guess
    pauses.remove(nearest)
    return middle


def shot_cues(job: JobContext, lines: list[Line], voice_metas: list[dict], offsets: list[float]) -> list[Cue]:
    """Every cue of a shot, in seconds from the shot's start: each line's cues moved to its voice's offset.

    The mux burns exactly these and the episode subtitles are these moved to the shot's start, so the
    picture, the burned text and the SRT always agree.
    """
    layout = text_layout(job)
    columns = layout.columns(layout.subtitle_size)
    cues: list[Cue] = []
    for line, meta, offset in zip(lines, voice_metas, offsets, strict=True):
        cues.extend(c.shifted(offset) for c in line_cues(line.text, job.language, columns, meta, line.id))
    return cues
