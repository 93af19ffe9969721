"""Pipeline timings on this machine: cold run, fully cached re-run, and a one-line edit.

    python benchmarks/pipeline.py [--job examples/datong-wall/job.yaml] [--config configs/local.yaml]

Cold: a fresh store in a temp folder; wall time, the summed task durations and CPU seconds of the
stage work (ffmpeg/espeak children included), and core utilisation = CPU time / (wall x cores).
Cached: the same job again. Edit: the job copied to a temp folder with one dialogue line changed
(reworded and made longer: only that line's voice, its shot's mux, the subtitles and the assembly
re-run, plus the storyboard itself, which reads the script). Prints figures only.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

from orchestrator.config import load_profile  # noqa: E402
from orchestrator.execution.connection import ray_connection  # noqa: E402
from orchestrator.jobrun import run_job  # noqa: E402


def edit_one_line(script: Path) -> str:
    """Reword the first dialogue line and make it longer, as a writer would; returns what changed."""
    lines = script.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = re.match(r"^([^\s：:△▲【（(]{1,8})(（[^）]*）)?[：:](.+)$", line.rstrip("\n"))
        if m and not line.startswith(("人物", "场景", "第", "剧名", "旁白")):
            text = m.group(3)
            chinese = re.search(r"[\u4e00-\u9fff]", text)
            added = "这句台词是后来改写的，比原来长了不少。" if chinese else " This line was rewritten, longer."
            changed = text + added
            lines[i] = line.replace(text, changed, 1)
            script.write_text("".join(lines), encoding="utf-8")
            return f"line {i + 1}: {text!r} -> {changed!r}"
    raise SystemExit(f"no dialogue line found in {script}")


def figures(label: str, result, wall: float) -> None:
    tasks = [t for t in result.manifest["tasks"].values() if t["status"] == "done"]
    busy = sum(t["finish"] - t["start"] for t in tasks)
    cpu = sum(t["cpu_seconds"] or 0 for t in tasks)
    cores = os.cpu_count() or 1
    s = result.manifest["summary"]
    print(
        f"{label:<8} wall {wall:7.1f} s  tasks run {s['done']:4d}  cached {s['cached']:4d}  "
        f"task time {busy:7.1f} s  CPU {cpu:7.1f} s  cores busy {cpu / (wall * cores):5.1%} of {cores}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", default=str(REPO / "examples/datong-wall/job.yaml"))
    parser.add_argument("--config", default=None)
    args = parser.parse_args()
    profile = load_profile(args.config)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; profile {profile.name}; job {args.job}"
    )
    with tempfile.TemporaryDirectory(prefix="kaipai-bench-") as tmp:
        tmp_path = Path(tmp)
        store = tmp_path / "store"
        with ray_connection(profile):
            for label, job in (("cold", Path(args.job)), ("cached", Path(args.job))):
                started = time.perf_counter()
                result = run_job(job, profile, tmp_path / "out", store=store)
                figures(label, result, time.perf_counter() - started)
            copy = tmp_path / "edited"
            shutil.copytree(Path(args.job).resolve().parent, copy)
            spec = copy / Path(args.job).name
            script_name = re.search(r"^script:\s*(\S+)", spec.read_text(encoding="utf-8"), re.M).group(1)
            print("edit:", edit_one_line(copy / script_name))
            started = time.perf_counter()
            result = run_job(spec, profile, tmp_path / "out-edited", store=store)
            figures("edit", result, time.perf_counter() - started)
            rerun = sorted(t["id"] for t in result.manifest["tasks"].values() if t["status"] == "done")
            print("re-run:", ", ".join(rerun))


if __name__ == "__main__":
    main()
