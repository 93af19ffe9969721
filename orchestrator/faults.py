"""Faults of the machine, not of the input: a full disk, a read-only folder, a missing tool.

Each becomes one line naming the path and the cause (exit 1), and none is worth a retry: the same
write onto the same full disk fails the same way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import uuid
from pathlib import Path

MIN_FREE_BYTES = 64 * 1024 * 1024  # below this a run would fail mid-write; refuse it at the start


def describe_os_error(exc: OSError) -> str:
    """``PATH: cause`` in one line, e.g. ``out/ep01: read-only file system``."""
    cause = exc.strerror or str(exc) or type(exc).__name__
    cause = cause[:1].lower() + cause[1:]  # "No space left on device" reads on as "…: no space left on device"
    where = exc.filename if exc.filename is not None else None
    if isinstance(exc, FileNotFoundError) and where and Path(str(where)).name == str(where) and "/" not in str(where):
        return f"{where}: program not found (is it installed and on PATH?)"
    return f"{where}: {cause}" if where is not None else cause


class NotWritable(OSError):
    """A folder a run must write to refuses writes or is (nearly) full."""


def check_writable(folder: Path, what: str) -> None:
    """Create ``folder`` and prove a file can be written there, before any work starts."""
    folder.mkdir(parents=True, exist_ok=True)
    probe = folder / f".kaipai-write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.write_bytes(b"ok")
    except OSError as exc:  # name the folder the user gave, not our probe file
        raise OSError(exc.errno, exc.strerror, str(folder)) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            probe.unlink()
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise NotWritable(
            errno.ENOSPC,
            f"{what} has {free // 2**20} MiB free; a run needs at least {MIN_FREE_BYTES // 2**20}",
            str(folder),
        )


def required_tools(stage_backends: dict[str, str]) -> list[str]:
    """The programs this machine's workers will run for these (stage, backend) pairs."""
    tools = ["ffmpeg", "ffprobe"]
    if stage_backends.get("voice") == "espeak":
        tools.append("espeak-ng")
    return tools


def check_tools(stage_backends: dict[str, str]) -> None:
    """Every program a local run needs is on PATH, else one ``NAME: program not found`` (exit 1)."""
    for tool in required_tools(stage_backends):
        if shutil.which(tool) is None:
            raise FileNotFoundError(errno.ENOENT, "program not found", tool)
