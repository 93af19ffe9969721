"""Joining encoded pieces without re-encoding them: the concat demuxer and a stream copy."""

from __future__ import annotations

from pathlib import Path

from stages.media.ffmpeg_run import FFMPEG, run_tool


def concat_list(files: list[Path]) -> str:
    """A concat-demuxer list; single quotes in paths are closed, escaped and reopened."""
    lines = []
    for path in files:
        quoted = str(path.resolve()).replace("'", "'\\''")
        lines.append(f"file '{quoted}'")
    return "\n".join(lines) + "\n"


def concat_copy(files: list[Path], path: Path, fps: int, what: str) -> None:
    """``files`` (the same codec and settings, each starting on a key frame) joined at ``path`` as they are."""
    listing = path.with_name(f".{path.name}.txt")
    listing.write_text(concat_list(files), encoding="utf-8")
    try:
        args = [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "concat", "-safe", "0"]
        args += ["-i", str(listing), "-map", "0:v:0", "-c", "copy", "-video_track_timescale", str(fps * 1000)]
        run_tool([*args, "-y", str(path)], what)
    finally:
        listing.unlink(missing_ok=True)
