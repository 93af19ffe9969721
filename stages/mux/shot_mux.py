"""The ``ffmpeg`` mux backend: one shot's picture and sound, ready to concatenate.

The shot's length and each voice's start come from :func:`stages.timing.shot_layout` (the subtitles
use the same function). When the voices need longer than the planned shot, the clip is slowed
(``setpts``) to the new length rather than frozen at its end, so the camera keeps moving. Voices are
delayed to their offsets and mixed without amix's default 1/n level drop (``normalize=0``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg

from stages.base import Artifact, Inputs, Resources, Stage, StageOptions
from stages.media.ffmpeg_run import run_ffmpeg
from stages.media.x264 import Crf, Preset
from stages.models import Shot
from stages.params import JobContext
from stages.timing import shot_layout

SAMPLE_RATE = 48_000


def mux_video(clip: Artifact, job: JobContext, duration: float, frames: int) -> Any:
    """The clip retimed to the shot's length (slowed or sped up), at the job's fps, exactly ``frames`` long."""
    video = ffmpeg.input(str(clip.file())).video
    clip_seconds = float(clip.meta.get("duration") or 0) or duration
    if abs(duration - clip_seconds) > 1e-3:
        video = video.filter("setpts", f"{duration / clip_seconds:.6f}*PTS")
    return (
        video.filter("fps", fps=job.fps)
        .filter("tpad", stop_mode="clone", stop_duration=1)  # covers rounding at the very end
        .filter("trim", end_frame=frames)
        .filter("setpts", "PTS-STARTPTS")
        .filter("scale", w=job.width, h=job.height)
        .filter("format", pix_fmts="yuv420p")
    )


def mux_audio(voices: list[Artifact], offsets: list[float], seconds: float) -> Any:
    """Each voice delayed to its offset, all mixed at full level; silence when the shot has none."""
    if not voices:
        silence = ffmpeg.input(f"anullsrc=r={SAMPLE_RATE}:cl=stereo", f="lavfi").audio
        return silence.filter("atrim", duration=f"{seconds:.6f}")
    placed = [
        ffmpeg.input(str(voice.file())).audio.filter("adelay", delays=round(offset * 1000), all=1)
        for voice, offset in zip(voices, offsets, strict=True)
    ]
    mixed = (
        placed[0]
        if len(placed) == 1
        else ffmpeg.filter(placed, "amix", inputs=len(placed), normalize=0, duration="longest", dropout_transition=0)
    )
    return (
        mixed.filter("apad", whole_dur=f"{seconds:.6f}")
        .filter("atrim", duration=f"{seconds:.6f}")
        .filter("aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo")
    )


class ShotMuxOptions(StageOptions):
    crf: Crf = 18
    preset: Preset = "veryfast"


class ShotMux(Stage):
    name = "mux"
    backend = "ffmpeg"
    version = "2"
    resources = Resources(num_cpus=1)
    Options = ShotMuxOptions
    options: ShotMuxOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        shot = Shot.model_validate(params["shot"])
        motion = inputs["motion"]
        assert isinstance(motion, Artifact)
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        if len(voices) != len(shot.lines):
            raise ValueError(f"mux {shot.id}: {len(shot.lines)} lines but {len(voices)} voices")

        # Whole frames, exactly as the subtitles lay them out; the sound is cut to match the picture.
        seconds, offsets = shot_layout(shot.duration, [float(v.meta["duration"]) for v in voices], job.fps)
        planned = shot_layout(shot.duration, [float(v.meta["duration"]) for v in voices])[0]
        frames = max(1, round(seconds * job.fps))
        path = out / "shot.mp4"
        stream = ffmpeg.output(
            mux_video(motion, job, planned, frames),
            mux_audio(voices, offsets, seconds),
            str(path),
            vcodec="libx264",
            crf=self.options.crf,
            preset=self.options.preset,
            r=job.fps,
            acodec="aac",
            audio_bitrate="160k",
            ar=SAMPLE_RATE,
        )
        run_ffmpeg(stream, f"mux {shot.id}")
        return {
            "file": "shot.mp4",
            "duration": round(seconds, 3),
            "frames": frames,
            "planned": planned,
            "offsets": offsets,
            "shot": shot.id,
        }
