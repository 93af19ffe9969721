"""Run an ffmpeg-python graph as an argument list (never a shell) and turn failures into readable errors."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import ffmpeg

FFMPEG = "ffmpeg"
DEFAULT_TIMEOUT = 600.0  # seconds; a stage's ffmpeg never legitimately runs longer on one unit
STDERR_TAIL_LINES = 12


class MediaError(RuntimeError):
    """ffmpeg (or another media tool) failed; the first line says why, the rest is the tool's stderr tail."""

    retryable = True


class MediaInputError(MediaError):
    """The tool failed because one of its inputs is bad (not decodable, empty, missing): not retried."""

    retryable = False


class ToolMissing(MediaError):
    """The tool itself is not installed: a retry on the same machine cannot help."""

    retryable = False


def stderr_tail(stderr: bytes | str | None, lines: int = STDERR_TAIL_LINES) -> str:
    if not stderr:
        return "(no output)"
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    return "\n".join(text.strip().splitlines()[-lines:])


def run_ffmpeg(
    stream: Any, what: str, *, timeout: float = DEFAULT_TIMEOUT, loglevel: str = "error"
) -> subprocess.CompletedProcess:
    """Compile ``stream`` with ffmpeg-python and run it, overwriting outputs.

    We compile rather than call ``ffmpeg.run`` so the process gets a timeout and a quiet, non-interactive
    command line (``-nostdin``: a worker has no terminal). When ffmpeg fails, each file input is
    probed, so the error names the input that is bad and why instead of only an exit code.
    ``loglevel`` ``info`` keeps what measuring filters (``blackdetect``) print, in the returned stderr.
    """
    args = ffmpeg.compile(stream, cmd=FFMPEG, overwrite_output=True)
    args = [args[0], "-nostdin", "-hide_banner", "-nostats", "-loglevel", loglevel, *args[1:]]
    try:
        return run_tool(args, what, timeout=timeout)
    except ToolMissing:
        raise
    except MediaError as exc:
        bad = bad_input(args)
        if bad is not None:
            raise MediaInputError(f"{what}: input {bad[0]} {bad[1]}\n{str(exc).partition(chr(10))[2]}") from None
        raise


def file_inputs(args: list[str]) -> list[str]:
    """The files behind the ``-i`` arguments, in order: lavfi sources skipped, concat lists opened."""
    found: list[str] = []
    start = 0
    for i, arg in enumerate(args[:-1]):
        if arg != "-i":
            continue
        options, start = args[start:i], i + 2
        fmt = options[options.index("-f") + 1] if "-f" in options[:-1] else None
        if fmt == "lavfi":
            continue
        if fmt == "concat":
            found += concat_entries(Path(args[i + 1]))
        else:
            found.append(args[i + 1])
    return found


def concat_entries(listing: Path) -> list[str]:
    """The files a concat-demuxer list names (``file '...'`` lines, quotes undone)."""
    try:
        text = listing.read_text(encoding="utf-8")
    except OSError:
        return [str(listing)]
    entries = []
    for row in text.splitlines():
        if row.startswith("file '") and row.endswith("'"):
            entries.append(row[len("file '") : -1].replace("'\\''", "'"))
    return entries


def bad_input(args: list[str]) -> tuple[str, str] | None:
    """(path, why) of the first file input ffprobe cannot read, or None when all of them decode."""
    for path in file_inputs(args):
        if not Path(path).is_file():
            return path, "is missing"
        if Path(path).stat().st_size == 0:
            return path, "is empty"
        try:
            done = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        if done.returncode != 0 or not done.stdout.strip():
            reason = last_line(done.stderr).removeprefix(f"{path}: ") or "no duration"
            return path, f"cannot be decoded: {reason}"
    return None


def last_line(stderr: bytes | str | None) -> str:
    tail = stderr_tail(stderr, 1)
    return "" if tail == "(no output)" else tail


def run_tool(args: list[str], what: str, *, timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess:
    """Run one media tool; raise :class:`MediaError` naming ``what``, the cause on its first line."""
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise ToolMissing(f"{what}: {args[0]} is not installed (apt-get install {args[0]})") from None
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"{what}: {args[0]} ran past {timeout:.0f}s\n{stderr_tail(exc.stderr)}") from None
    if done.returncode != 0:
        cause = last_line(done.stderr)
        raise MediaError(
            f"{what}: {args[0]} exited {done.returncode}"
            + (f": {cause}" if cause else "")
            + f"\n{stderr_tail(done.stderr)}"
        )
    return done
