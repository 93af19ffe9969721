"""How each line of a script was read, for ``kaipai validate --explain`` and for warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stages.models import Script


@dataclass(frozen=True)
class Reading:
    """One non-blank source line: what it became (``kind``), who speaks it, and the rule that decided."""

    line: int
    kind: str
    text: str
    why: str
    speaker: str | None = None


@dataclass
class Parsed:
    """A parse's result: the Script, the reading of each line, and warnings (``line``, message)."""

    script: Script
    file: Path | str
    readings: list[Reading] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def warning_texts(self, line_offset: int = 0) -> list[str]:
        return [f"{self.file}:{line + line_offset}: {message}" for line, message in self.warnings]


def readings_from_beats(script: Script) -> list[Reading]:
    """For parsers that keep no reading of their own (Fountain): one per beat, from its kind."""
    out = []
    for episode in script.episodes:
        for scene in episode.scenes:
            if scene.line:
                out.append(Reading(scene.line, "scene", scene.heading, "scene heading"))
            for beat in scene.beats:
                out.append(Reading(beat.line, beat.kind, beat.text, f"fountain {beat.kind}", beat.character))
    return sorted(out, key=lambda r: r.line)
