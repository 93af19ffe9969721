"""Pipeline timings and the platform targets on this machine: cold run, cached re-run, a one-line edit.

    python benchmarks/pipeline.py [--job J ...] [--aspect 9:16 16:9] [--config configs/local.yaml]

By default: examples/yungang-night (a script nothing was tuned on) and examples/datong-wall, each at
9:16 and 16:9 (the job copied with its ``aspect`` changed). Per run it prints the figures below, the
quality gates of every episode, and the issue-12 targets side by side:
``render cost: N.N× one encode`` (CPU seconds of the cold run's stage work over the CPU seconds of
one H.264/AAC encode of the finished episodes, ffmpeg at the mux's and assembly's settings) and
``one-line edit: N tasks, X s (P% of cold)``.

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
import resource
import shutil
import subprocess
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


def stage_cpu(result) -> str:
    """CPU seconds of the run's work per stage, largest first: where the render cost goes."""
    per: dict[str, float] = {}
    for t in result.manifest["tasks"].values():
        if t["status"] == "done":
            stage = t["id"].split(":")[0]
            per[stage] = per.get(stage, 0.0) + (t["cpu_seconds"] or 0)
    return ", ".join(f"{stage} {cpu:.1f}" for stage, cpu in sorted(per.items(), key=lambda kv: -kv[1]))


def copy_job(job: Path, aspect: str, target: Path) -> Path:
    """The job's folder copied to ``target`` with its spec's ``aspect`` set."""
    shutil.copytree(job.resolve().parent, target)
    spec = target / job.name
    text = spec.read_text(encoding="utf-8")
    line = f'aspect: "{aspect}"'
    text = re.sub(r"^aspect:.*$", line, text, flags=re.M) if re.search(r"^aspect:", text, re.M) else f"{text}\n{line}\n"
    spec.write_text(text, encoding="utf-8")
    return spec


def one_encode_cpu(result, profile, work: Path) -> float:
    """CPU seconds of one H.264/AAC encode of every finished episode, at the mux's picture settings and
    the assembly's sound settings."""
    options, sound = profile.stage("mux").options, profile.stage("assembly").options
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for ep in result.manifest["episodes"].values():
        if ep.get("video"):
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-nostdin",
                    "-y",
                    "-i",
                    str(result.out / ep["video"]),
                    "-c:v",
                    "libx264",
                    "-crf",
                    str(options.crf),
                    "-preset",
                    str(options.preset),
                    "-c:a",
                    "aac",
                    "-aac_coder",
                    sound.aac_coder,
                    "-b:a",
                    sound.audio_bitrate,
                    str(work / "one-encode.mp4"),
                ],
                check=True,
            )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def print_gates(result) -> None:
    for eid, ep in result.manifest["episodes"].items():
        gates = ep.get("gates") or []
        passed = sum(1 for g in gates if g["passed"])
        print(f"  gates {eid}: {passed}/{len(gates)} passed")
        for g in gates:
            mark = "ok  " if g["passed"] else "FAIL"
            print(f"    {mark} {g['gate']}: {g['value']} (limit {g['limit']}) {g.get('detail') or ''}".rstrip())


def bench_one(job: Path, aspect: str, profile, tmp_path: Path) -> None:
    """Cold, cached and one-line-edit runs of ``job`` at ``aspect``; figures, gates and targets."""
    root = tmp_path / f"{job.parent.name}-{aspect.replace(':', 'x')}"
    root.mkdir()
    spec, store = copy_job(job, aspect, root / "job"), root / "store"
    print(f"\n== {job.parent.name} at {aspect}")
    timings = {}
    for label in ("cold", "cached"):
        started = time.perf_counter()
        result = run_job(spec, profile, root / "out", store=store)
        timings[label] = time.perf_counter() - started
        figures(label, result, timings[label])
        if label == "cold":
            cold = result
    print_gates(cold)
    print("CPU-s by stage:", stage_cpu(cold))
    cold_cpu = sum(t["cpu_seconds"] or 0 for t in cold.manifest["tasks"].values() if t["status"] == "done")
    encode_cpu = one_encode_cpu(cold, profile, root)
    edited = root / "edited"
    shutil.copytree(spec.parent, edited)
    edited_spec = edited / spec.name
    script_name = re.search(r"^script:\s*(\S+)", edited_spec.read_text(encoding="utf-8"), re.M).group(1)
    print("edit:", edit_one_line(edited / script_name))
    started = time.perf_counter()
    result = run_job(edited_spec, profile, root / "out-edited", store=store)
    edit_wall = time.perf_counter() - started
    figures("edit", result, edit_wall)
    done = sorted((t for t in result.manifest["tasks"].values() if t["status"] == "done"), key=lambda t: t["start"])
    rerun = sorted(t["id"] for t in done)
    print("re-run:", ", ".join(rerun))
    origin = done[0]["start"] if done else 0.0
    spans = (
        f"{t['id']} {t['start'] - origin:.2f}-{t['finish'] - origin:.2f} s ({t['cpu_seconds'] or 0:.2f} CPU-s)"
        for t in done
    )
    print("edit timeline:", ", ".join(spans))
    print(f"render cost: {cold_cpu / encode_cpu:.1f}× one encode  ({cold_cpu:.1f} CPU-s vs {encode_cpu:.1f} CPU-s)")
    print(f"one-line edit: {len(rerun)} tasks, {edit_wall:.1f} s ({edit_wall / timings['cold']:.0%} of cold)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--job",
        nargs="+",
        default=[str(REPO / "examples/yungang-night/job.yaml"), str(REPO / "examples/datong-wall/job.yaml")],
    )
    parser.add_argument("--aspect", nargs="+", default=["9:16", "16:9"], choices=["9:16", "16:9"])
    parser.add_argument("--config", default=None)
    args = parser.parse_args()
    profile = load_profile(args.config)
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; profile {profile.name}; load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory(prefix="kaipai-bench-") as tmp, ray_connection(profile):
        for job in args.job:
            for aspect in args.aspect:
                bench_one(Path(job), aspect, profile, Path(tmp))


if __name__ == "__main__":
    main()
