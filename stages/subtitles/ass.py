"""The ``ass`` backend: an episode's subtitles, timed from the real voice durations.

Line starts come from :func:`stages.timing.episode_layout`, the same function the shot mux uses to
place voices, so a subtitle appears exactly when its voice starts. We break lines ourselves (libass
does not wrap CJK): rows of at most ``columns`` display columns, two rows per event; a longer line is
split into several events whose durations share the voice's time in proportion to their length.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pysubs2
from pydantic import Field

from stages.base import Inputs, Resources, Stage, StageOptions
from stages.media.fonts import CJK_FONT_FAMILY
from stages.media.text import display_width, wrap_text
from stages.models import Line
from stages.params import JobContext
from stages.subtitles.escape import ass_join
from stages.timing import episode_layout

ROWS_PER_EVENT = 2
# Per aspect: font size and bottom margin as fractions of the height, side margins of the width.
# Vertical platforms put buttons and captions over the lower part of the frame, hence the high margin.
STYLE_BY_ASPECT = {
    "9:16": {"size": 0.042, "bottom": 0.16, "side": 0.08},
    "16:9": {"size": 0.058, "bottom": 0.07, "side": 0.06},
}
NARRATOR = {"zh": "旁白", "en": "NARRATOR"}


def subtitle_style(job: JobContext) -> pysubs2.SSAStyle:
    shape = STYLE_BY_ASPECT[job.aspect]
    size = max(10, round(job.height * shape["size"]))
    return pysubs2.SSAStyle(
        fontname=CJK_FONT_FAMILY,
        fontsize=size,
        primarycolor=pysubs2.Color(255, 255, 255, 0),
        outlinecolor=pysubs2.Color(0, 0, 0, 0),
        backcolor=pysubs2.Color(0, 0, 0, 128),
        bold=False,
        outline=max(1.0, round(size * 0.08, 1)),
        shadow=max(0.0, round(size * 0.03, 1)),
        alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=round(job.width * shape["side"]),
        marginr=round(job.width * shape["side"]),
        marginv=round(job.height * shape["bottom"]),
    )


def columns_per_row(job: JobContext, style: pysubs2.SSAStyle) -> int:
    """How many display columns fit between the margins (a column is half an em)."""
    usable = job.width - style.marginl - style.marginr - 2 * style.outline
    return max(8, int(usable / (style.fontsize * 0.5)))


def line_text(line: Line, language: str, with_speaker: bool) -> str:
    if not with_speaker or (line.kind == "narration" and not line.character):
        return line.text.strip()
    speaker = line.character or NARRATOR[language]
    return f"{speaker}{'：' if language == 'zh' else ': '}{line.text.strip()}"


Chunk = tuple[int, int, list[str]]


def timed_chunks(text: str, start_ms: int, duration_ms: int, columns: int) -> list[Chunk]:
    """(start, end, rows) per event: two rows each, sharing the line's time by length."""
    rows = [r for r in wrap_text(text, columns) if r] or [text]
    groups = [rows[i : i + ROWS_PER_EVENT] for i in range(0, len(rows), ROWS_PER_EVENT)]
    weights = [max(1, sum(display_width(r) for r in g)) for g in groups]
    total = sum(weights)
    chunks, elapsed = [], 0
    for group, weight in zip(groups, weights, strict=True):
        begin = start_ms + round(duration_ms * elapsed / total)
        elapsed += weight
        end = start_ms + round(duration_ms * elapsed / total)
        chunks.append((begin, end, group))
    return chunks


class AssSubtitlesOptions(StageOptions):
    speaker_names: bool = Field(False, description="Prefix each line with its speaker's name.")


class AssSubtitles(Stage):
    name = "subtitles"
    backend = "ass"
    version = "1"
    resources = Resources(num_cpus=0.5)
    Options = AssSubtitlesOptions
    options: AssSubtitlesOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        shots = params["shots"]
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        with_speaker = self.options.speaker_names

        lines = [Line.model_validate(ln) for shot in shots for ln in shot["lines"]]
        if len(voices) != len(lines):
            raise ValueError(f"subtitles: {len(lines)} lines but {len(voices)} voices")
        durations = [float(v.meta["duration"]) for v in voices]

        per_shot, i = [], 0
        for shot in shots:
            n = len(shot["lines"])
            per_shot.append((float(shot["duration"]), durations[i : i + n]))
            i += n

        style = subtitle_style(job)
        columns = columns_per_row(job, style)
        ass, srt = _new_file(job, style), pysubs2.SSAFile()
        line_iter = iter(zip(lines, durations, strict=True))
        for shot_start, _, offsets in episode_layout(per_shot, job.fps):
            for offset in offsets:
                line, duration = next(line_iter)
                start_ms = round((shot_start + offset) * 1000)
                for begin, end, rows in timed_chunks(
                    line_text(line, job.language, with_speaker), start_ms, round(duration * 1000), columns
                ):
                    ass.append(pysubs2.SSAEvent(start=begin, end=end, text=ass_join(rows), name=line.id))
                    srt_text = ass_join(rows, escape_braces=False)
                    srt.append(pysubs2.SSAEvent(start=begin, end=end, text=srt_text))
        ass.save(str(out / "episode.ass"), format_="ass")
        # keep_ssa_tags: SRT has no override blocks, so braces typed in a line stay as they are.
        srt.save(str(out / "episode.srt"), format_="srt", keep_ssa_tags=True)
        return {
            "file": "episode.ass",
            "srt": "episode.srt",
            "events": len(ass.events),
            "lines": len(lines),
            "duration": round(sum(d for _, d, _ in episode_layout(per_shot, job.fps)), 3),
        }


def _new_file(job: JobContext, style: pysubs2.SSAStyle) -> pysubs2.SSAFile:
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
    subs.styles = {"Default": style}
    return subs
