"""What a media file holds, read by ffprobe: the few facts stages and tests check."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import ffmpeg

from stages.media.ffmpeg_run import MediaError, stderr_tail


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    video_codec: str | None = None
    pix_fmt: str | None = None
    frames: int | None = None
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None

    @property
    def has_video(self) -> bool:
        return self.video_codec is not None

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def probe(path: str | Path) -> MediaInfo:
    """Probe ``path``; raise :class:`MediaError` when it is missing or not a media file."""
    try:
        data = ffmpeg.probe(str(path), timeout=60)
    except ffmpeg.Error as exc:
        raise MediaError(f"ffprobe {path}: {stderr_tail(exc.stderr)}") from None
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffprobe {path}: timed out") from None
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), None)
    audio = next((s for s in data.get("streams", []) if s.get("codec_type") == "audio"), None)
    fields: dict = {"duration": float(data.get("format", {}).get("duration") or 0.0)}
    if video:
        rate = video.get("avg_frame_rate") or video.get("r_frame_rate") or "0/1"
        fields.update(
            width=int(video["width"]),
            height=int(video["height"]),
            fps=float(Fraction(rate)) if rate != "0/0" else None,
            video_codec=video.get("codec_name"),
            pix_fmt=video.get("pix_fmt"),
            frames=int(video["nb_frames"]) if str(video.get("nb_frames", "")).isdigit() else None,
        )
    if audio:
        fields.update(
            audio_codec=audio.get("codec_name"),
            sample_rate=int(audio.get("sample_rate", 0)) or None,
            channels=audio.get("channels"),
        )
    return MediaInfo(**fields)
