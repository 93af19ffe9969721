"""Run an ffmpeg-python graph as an argument list (never a shell) and turn failures into readable errors."""

from __future__ import annotations

import subprocess
from typing import Any

import ffmpeg

FFMPEG = "ffmpeg"
DEFAULT_TIMEOUT = 600.0  # seconds; a stage's ffmpeg never legitimately runs longer on one unit
STDERR_TAIL_LINES = 12


class MediaError(RuntimeError):
    """ffmpeg (or another media tool) failed; the message carries the tool's last stderr lines."""


def stderr_tail(stderr: bytes | str | None, lines: int = STDERR_TAIL_LINES) -> str:
    if not stderr:
        return "(no output)"
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    return "\n".join(text.strip().splitlines()[-lines:])


def run_ffmpeg(stream: Any, what: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Compile ``stream`` with ffmpeg-python and run it, overwriting outputs.

    We compile rather than call ``ffmpeg.run`` so the process gets a timeout and a quiet, non-interactive
    command line (``-nostdin``: a worker has no terminal).
    """
    args = ffmpeg.compile(stream, cmd=FFMPEG, overwrite_output=True)
    args = [args[0], "-nostdin", "-hide_banner", "-loglevel", "error", *args[1:]]
    run_tool(args, what, timeout=timeout)


def run_tool(args: list[str], what: str, *, timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess:
    """Run one media tool; raise :class:`MediaError` naming ``what`` with the tool's last stderr lines."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise MediaError(f"{what}: {args[0]} is not installed (apt-get install {args[0]})") from None
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{what}: {args[0]} ran past {timeout:.0f}s\n{stderr_tail(exc.stderr)}") from None
    if done.returncode != 0:
        raise MediaError(f"{what}: {args[0]} exited {done.returncode}\n{stderr_tail(done.stderr)}")
    return done
