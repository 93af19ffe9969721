"""The ``ass`` backend: an episode's subtitles as SRT and ASS files, for platforms and editors.

The cues are :func:`stages.subtitles.cues.shot_cues` of each shot, moved to the shot's start in the
episode (whole frames, :func:`stages.timing.episode_layout`): the very cues the mux burns into the
picture, timed from the speech measured in each voice clip. The ASS file uses the same styles and
safe-area margins as the burned text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pysubs2
from pydantic import Field

from stages.base import Inputs, Resources, Stage, StageOptions
from stages.models import Line
from stages.params import JobContext
from stages.subtitles.cues import Cue, shot_cues
from stages.subtitles.escape import ass_join
from stages.subtitles.layout import text_layout
from stages.subtitles.overlay import overlay_styles
from stages.timing import episode_layout


def subtitle_style(job: JobContext) -> pysubs2.SSAStyle:
    """The subtitle style of the burned text: bottom of the preset's safe area."""
    return overlay_styles(text_layout(job))["Default"]


NARRATOR = {"zh": "旁白", "en": "NARRATOR"}


def line_text(line: Line, language: str, with_speaker: bool) -> str:
    """The line's text, led by its speaker's name when ``with_speaker`` (a narrator without one is not)."""
    if not with_speaker or (line.kind == "narration" and not line.character):
        return line.text.strip()
    speaker = line.character or NARRATOR[language]
    return f"{speaker}{'：' if language == 'zh' else ': '}{line.text.strip()}"


def with_speaker(line: Line, language: str) -> Line:
    """The line with its speaker's name in front (``speaker_names``: for SRT readers, not the picture)."""
    return line.model_copy(update={"text": line_text(line, language, with_speaker=True)})


def episode_cues(
    job: JobContext, shots: list[dict], voice_metas: list[dict], speaker_names: bool = False
) -> tuple[list[Cue], float]:
    """Every cue of the episode in episode time, in script order, and the episode's length.

    ``shots`` are the planner's shot timings: ``{"id", "duration", "lines"}``.
    """
    per_shot, seconds = episode_shot_cues(job, shots, voice_metas, speaker_names)
    return [c.shifted(start) for _, start, cues in per_shot for c in cues], seconds


def episode_shot_cues(
    job: JobContext, shots: list[dict], voice_metas: list[dict], speaker_names: bool = False
) -> tuple[list[tuple[str, float, list[Cue]]], float]:
    """Per shot (id, start in the episode, its cues in seconds from the shot's start), and the episode's length.

    The cues of a shot are exactly :func:`stages.subtitles.cues.shot_cues`: what its mux burns.
    """
    per_shot, i = [], 0
    for shot in shots:
        lines = [Line.model_validate(ln) for ln in shot["lines"]]
        if speaker_names:
            lines = [with_speaker(ln, job.language) for ln in lines]
        metas = voice_metas[i : i + len(lines)]
        i += len(lines)
        per_shot.append((float(shot["duration"]), lines, metas))
    layout = episode_layout(
        [(planned, [float(m["duration"]) for m in metas]) for planned, _, metas in per_shot], job.fps
    )
    table = [
        (str(shot["id"]), start, shot_cues(job, lines, metas, offsets))
        for shot, (start, _, offsets), (_, lines, metas) in zip(shots, layout, per_shot, strict=True)
    ]
    return table, round(sum(duration for _, duration, _ in layout), 6)


class AssSubtitlesOptions(StageOptions):
    speaker_names: bool = Field(False, description="Prefix each line with its speaker's name.")


class AssSubtitles(Stage):
    name = "subtitles"
    backend = "ass"
    version = "4"  # 4: lines start on whole frames (stages.timing.shot_layout with fps)
    resources = Resources(num_cpus=0.5)
    Options = AssSubtitlesOptions
    options: AssSubtitlesOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        shots = params["shots"]
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        count = sum(len(s["lines"]) for s in shots)
        if len(voices) != count:
            raise ValueError(f"subtitles: {count} lines but {len(voices)} voices")
        speaker_names = self.options.speaker_names
        cues, seconds = episode_cues(job, shots, [v.meta for v in voices], speaker_names)

        ass, srt = _new_file(job), pysubs2.SSAFile()
        for cue in cues:
            start, end = round(cue.start * 1000), round(cue.end * 1000)
            ass.append(pysubs2.SSAEvent(start=start, end=end, text=ass_join(list(cue.rows)), name=cue.line))
            srt.append(pysubs2.SSAEvent(start=start, end=end, text=ass_join(list(cue.rows), escape_braces=False)))
        ass.save(str(out / "episode.ass"), format_="ass")
        # keep_ssa_tags: SRT has no override blocks, so braces typed in a line stay as they are.
        srt.save(str(out / "episode.srt"), format_="srt", keep_ssa_tags=True)
        lines: dict[str, list[float]] = {}
        for cue in cues:
            span = lines.setdefault(cue.line, [cue.start, cue.end])
            span[1] = cue.end
        return {
            "file": "episode.ass",
            "srt": "episode.srt",
            "events": len(ass.events),
            "lines": [[line, span[0], span[1]] for line, span in lines.items()],
            "cues": [[cue.line, cue.start, cue.end] for cue in cues],  # the gates check splits inside a line
            "duration": round(seconds, 3),
        }


def _new_file(job: JobContext) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    subs.info.update(
        {
            "Title": job.title,
            "PlayResX": str(job.width),
            "PlayResY": str(job.height),
            "WrapStyle": "2",
            "ScaledBorderAndShadow": "yes",
            "YCbCr Matrix": "TV.709",
        }
    )
    subs.styles = {"Default": subtitle_style(job)}
    return subs
