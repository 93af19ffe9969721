"""Hostile job specs against ``kaipai validate``: wall time and the child's peak memory, side by side.

Run: .venv/bin/python benchmarks/hostile_input.py
The alias bombs are refused at their first anchor, so their cost is the CLI's start-up cost; the
plain example spec is the baseline to compare against.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from orchestrator.jobspec import load_job
from stages.errors import InputError
from tests.reliability.hostile import REPO, alias_bomb, deep_nesting, run_kaipai

CASES = {
    "example spec (baseline)": None,
    "alias bomb, 5 levels": alias_bomb(5),
    "alias bomb, 7 levels": alias_bomb(7),
    "alias bomb, 9 levels": alias_bomb(9),
    "nested 600 levels": deep_nesting(600),
    "nested 5000 levels": deep_nesting(5000),
}


def time_load_job(path: Path) -> float:
    """Milliseconds of the spec loading itself, in this process (without interpreter start-up)."""
    started = time.perf_counter()
    with contextlib.suppress(InputError):
        load_job(path)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    print(f"{'case':28} {'bytes':>7} {'exit':>4} {'CLI wall s':>10} {'CLI peak RSS MB':>15} {'load_job ms':>11}")
    for name, spec in CASES.items():
        with tempfile.TemporaryDirectory() as work:
            folder = Path(work)
            if spec is None:
                shutil.copytree(REPO / "examples" / "datong-wall", folder, dirs_exist_ok=True)
            else:
                (folder / "script.txt").write_text("第1集\n林晚：你好。\n", encoding="utf-8")
                (folder / "job.yaml").write_text(spec, encoding="utf-8")
            size = (folder / "job.yaml").stat().st_size
            started = time.perf_counter()
            outcome = run_kaipai(["validate", "job.yaml"], folder)
            wall = time.perf_counter() - started
            load_ms = time_load_job(folder / "job.yaml")
            print(f"{name:28} {size:7d} {outcome.code:4d} {wall:10.2f} {outcome.max_rss_mb:15.1f} {load_ms:11.1f}")


if __name__ == "__main__":
    main()
