"""Hostile job specs, shared by the reliability tests and benchmarks/hostile_input.py."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENTRY = "import sys; from orchestrator.cli import main; sys.argv[0] = 'kaipai'; main()"  # what the kaipai script runs


def alias_bomb(levels: int) -> str:
    """A job spec whose ``style`` is the "billion laughs": 10**levels strings from ~60 bytes a level."""
    rows = [
        "studio: s",
        "title: t",
        "script: script.txt",
        'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ]
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    rows.append(f"style: *a{levels}")
    return "\n".join(rows) + "\n"


def deep_nesting(levels: int) -> str:
    return "studio: s\ntitle: t\nscript: script.txt\nstyle: " + "[" * levels + "1" + "]" * levels + "\n"


@dataclass(frozen=True)
class Outcome:
    code: int
    stderr: str
    max_rss_mb: float  # the child's peak resident memory, from wait4's rusage


def run_kaipai(args: list[str], cwd: Path, timeout: float = 120) -> Outcome:
    """``kaipai ARGS`` in a child process; its exit code, stderr and peak memory (that child's alone)."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", ENTRY, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Outcome(proc.returncode, stderr, usage.ru_maxrss / 1024)
