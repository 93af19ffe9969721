"""Placement targets, side by side in one run.

1. datong-standard under every policy: makespan, ratio to the lower bound, GPU utilisation, cross-zone
   bytes, job p50/p95; then kaipai against the targets (<= 1.10x lower bound, >= 25% below zone-blind,
   fewer cross-zone bytes than zone-blind).
2. Whole-command wall time of ``kaipai simulate`` (Python start-up and imports included) at 10k, 100k
   and, unless --quick, 1M shots: the scale-100k scenario with its ``total_shots`` changed; the CPU
   time beside it shows how much of the wall time other processes on the machine took.
3. Unless --quick: every policy's whole-command time at 100k shots (none may be pathologically slow).
Run: .venv/bin/python benchmarks/placement.py [--quick]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
KAIPAI = [str(Path(sys.executable).parent / "kaipai")]
STANDARD = REPO / "configs" / "scenarios" / "datong-standard.yaml"
SCALE = REPO / "configs" / "scenarios" / "scale-100k.yaml"


def simulate(scenario: Path, policy: str) -> tuple[dict, float, float]:
    """(result JSON, wall seconds, CPU seconds) of one whole ``kaipai simulate`` command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(
        [*KAIPAI, "simulate", str(scenario), "--policy", policy, "--json"],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return json.loads(out.stdout), wall, cpu


def main() -> None:
    quick = "--quick" in sys.argv
    results, _, _ = simulate(STANDARD, "all")
    by = {r["policy"]: r for r in results}
    print(
        f"datong-standard: {results[0]['shots']:,} shots, {results[0]['tasks']:,} tasks, "
        f"lower bound {results[0]['lower_bound']:,.0f} s"
    )
    print(
        f"{'policy':<12} {'makespan s':>11} {'x LB':>6} {'GPU util':>9} {'cross-zone GB':>14} "
        f"{'weights GB':>11} {'job p50':>8} {'job p95':>8}"
    )
    for r in results:
        print(
            f"{r['policy']:<12} {r['makespan']:>11,.0f} {r['ratio_to_lower_bound']:>6.3f} "
            f"{r['gpu_utilization']:>9.1%} {r['cross_zone_bytes'] / 1e9:>14,.0f} "
            f"{r['weight_bytes_streamed'] / 1e9:>11,.0f} {r['jobs']['p50']:>8,.0f} {r['jobs']['p95']:>8,.0f}"
        )
    k, blind = by["kaipai"], by["zone-blind"]
    print("targets:")
    print(f"  kaipai / lower bound      {k['ratio_to_lower_bound']:.3f}  (target <= 1.10)")
    print(f"  kaipai below zone-blind   {1 - k['makespan'] / blind['makespan']:.1%}  (target >= 25%)")
    print(f"  cross-zone bytes k / zb   {k['cross_zone_bytes'] / blind['cross_zone_bytes']:.2f}  (target < 1)")

    text = SCALE.read_text()
    print("scale (whole command, kaipai):")
    for shots in (10_000, 100_000) if quick else (10_000, 100_000, 1_000_000):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as tmp:
            tmp.write(text.replace("total_shots: 100000", f"total_shots: {shots}"))
        result, wall, cpu = simulate(Path(tmp.name), "kaipai")
        Path(tmp.name).unlink()
        print(
            f"  {shots:>9,} shots  {wall:7.2f} s wall  {cpu:7.2f} s CPU  "
            f"({result['tasks']:,} tasks, makespan {result['ratio_to_lower_bound']:.3f}x lower bound)"
        )
    if not quick:
        print("scale-100k per policy (whole command):")
        for policy in ("kaipai", "heft", "zone-blind", "single-zone", "locality"):
            result, wall, cpu = simulate(SCALE, policy)
            print(
                f"  {policy:<12} {wall:7.2f} s wall  {cpu:7.2f} s CPU  "
                f"(makespan {result['ratio_to_lower_bound']:.3f}x lower bound)"
            )


if __name__ == "__main__":
    main()
