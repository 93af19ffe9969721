"""The ``ffmpeg`` assembly backend: one finished episode.

Shots are joined with the concat demuxer (a list file; no re-timing), the ASS subtitles are burned in
with libass, and an optional music bed loops under the voices and ducks while anyone speaks
(``sidechaincompress`` keyed on the voice track). The ASS file is copied to a plain name in a work
folder and handed to the filter through ffmpeg-python's keyword escaping, so no path character can
break the filter graph.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import ffmpeg
from pydantic import Field

from stages.assembly.cover import draw_cover
from stages.base import Artifact, Inputs, Resources, Stage, StageOptions
from stages.errors import InputError
from stages.media.ffmpeg_run import run_ffmpeg
from stages.media.probe import probe
from stages.media.x264 import Crf, Preset
from stages.params import JobContext, MusicParams

SAMPLE_RATE = 48_000


def concat_list(shots: list[Artifact]) -> str:
    """A concat-demuxer list; single quotes in paths are closed, escaped and reopened."""
    lines = []
    for shot in shots:
        quoted = str(shot.file().resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def music_bed(music: MusicParams, voice: Any, seconds: float) -> Any:
    """Voice plus looped music, the music ducked under speech when ``music.duck``."""
    if not Path(music.path).is_file():
        raise InputError(f"music file not found: {music.path}", field="music.path")
    bed = (
        ffmpeg.input(music.path, stream_loop=-1)
        .audio.filter("atrim", duration=f"{seconds:.6f}")
        .filter("aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo")
        .filter("volume", music.volume)
    )
    if music.duck:
        voice_split = voice.filter_multi_output("asplit")
        voice, key = voice_split[0], voice_split[1]
        bed = ffmpeg.filter([bed, key], "sidechaincompress", threshold=0.02, ratio=10, attack=15, release=400)
    return ffmpeg.filter([voice, bed], "amix", inputs=2, normalize=0, duration="first", dropout_transition=0)


class EpisodeAssemblyOptions(StageOptions):
    burn_subtitles: bool = Field(
        True, description="Burn the subtitles into the picture (the SRT is written either way)."
    )
    crf: Crf = 23
    preset: Preset = "veryfast"


class EpisodeAssembly(Stage):
    name = "assembly"
    backend = "ffmpeg"
    version = "1"
    resources = Resources(num_cpus=2)
    Options = EpisodeAssemblyOptions
    options: EpisodeAssemblyOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        episode = params["episode"]
        music = MusicParams.model_validate(params["music"]) if params.get("music") else None
        shots = inputs["shots"] if isinstance(inputs["shots"], list) else [inputs["shots"]]
        subtitles, cover = inputs["subtitles"], inputs["cover"]
        assert isinstance(subtitles, Artifact) and isinstance(cover, Artifact)
        if not shots:
            raise ValueError(f"assembly {episode['id']}: no shots")
        seconds = sum(float(s.meta["duration"]) for s in shots)
        video_path = out / "episode.mp4"

        with tempfile.TemporaryDirectory(prefix="kaipai-assembly-") as work:
            listing = Path(work) / "shots.txt"
            listing.write_text(concat_list(shots), encoding="utf-8")
            joined = ffmpeg.input(str(listing), f="concat", safe=0)
            video = joined.video
            if self.options.burn_subtitles:
                ass = Path(work) / "episode.ass"
                shutil.copyfile(subtitles.file("episode.ass"), ass)
                video = video.filter("ass", filename=str(ass))
            video = video.filter("format", pix_fmts="yuv420p")
            audio = joined.audio
            if music is not None:
                audio = music_bed(music, audio, seconds)
            stream = ffmpeg.output(
                video,
                audio,
                str(video_path),
                vcodec="libx264",
                crf=self.options.crf,
                preset=self.options.preset,
                r=job.fps,
                acodec="aac",
                audio_bitrate="160k",
                ar=SAMPLE_RATE,
                t=f"{seconds:.6f}",
                movflags="+faststart",
            )
            run_ffmpeg(stream, f"assembly {episode['id']}")

        number, title = int(episode.get("number", 1)), episode.get("title", "")
        draw_cover(cover.file(), job, number, title, out / "cover.jpg")
        shutil.copyfile(subtitles.file("episode.srt"), out / "episode.srt")
        info = probe(video_path)
        return {
            "file": "episode.mp4",
            "duration": round(info.duration, 3),
            "shots": len(shots),
            "subtitles": "episode.srt",
            "cover": "cover.jpg",
            "width": info.width,
            "height": info.height,
            "episode": episode["id"],
        }
