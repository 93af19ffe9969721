"""Hostile job specs, shared by the reliability tests and benchmarks/hostile_input.py."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What the ``kaipai`` script runs, plus: at exit, write this process's peak resident memory (VmHWM,
# which starts afresh at exec, unlike rusage's maxrss that still holds the forking parent's size).
ENTRY = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status, open(os.environ["KAIPAI_PEAK_FILE"], "w") as out:
        out.write(next(row for row in status if row.startswith("VmHWM:")).split()[1])
if os.environ.get("KAIPAI_PEAK_FILE"):
    atexit.register(_peak)
from orchestrator.cli import main
sys.argv[0] = "kaipai"
main()
"""


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
    max_rss_mb: float  # the child's own peak resident memory (VmHWM at its exit)


def run_kaipai(args: list[str], cwd: Path, timeout: float = 120) -> Outcome:
    """``kaipai ARGS`` in a child process; its exit code, stderr and peak memory (that child's alone)."""
    with tempfile.TemporaryDirectory() as work:
        peak_file = Path(work) / "peak-kb"
        env = {**os.environ, "PYTHONPATH": str(REPO), "KAIPAI_PEAK_FILE": str(peak_file)}
        done = subprocess.run(
            [sys.executable, "-c", ENTRY, *args], cwd=cwd, env=env, capture_output=True, timeout=timeout
        )
        peak_kb = int(peak_file.read_text()) if peak_file.is_file() else -1
    return Outcome(done.returncode, done.stderr.decode("utf-8", "replace"), peak_kb / 1024)
