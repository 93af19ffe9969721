"""The kaipai service against independent drivers, side by side, on the local three-zone cluster.

One run: ``deploy/local/cluster.sh up``; the same N small jobs from three studios (weights 3:2:1 in
``configs/local-cluster.yaml``) first as independent Ray jobs running ``kaipai run --address auto``
(today's behaviour: each driver plans alone and starts its own pools), then through the service
(``kaipai submit``), each side with its own empty store. Printed per side: wall time (first submit
to last finish), model loads (pool actors started), GPU-seconds and device-seconds (as the service
charges them: ``cpu_seconds_weight`` per CPU-second) per studio while contended (from the first
submit until the first studio has nothing left) against its weight, Jain's fairness index over the
weight-normalised shares, and p50/p95 job completion (submit to finish). Seconds are counted two
ways from the manifests: held (a node's dispatch with its grant to its result back: the slot the
studio occupied, which is what the fair share divides) and ran (inside the task: the stage's own
time, without Ray's per-task overhead of worker start, imports and argument transfer). Then the service's
fair-share policy replayed on datong-standard's job list (``orchestrator.service.replay``).

Run: .venv/bin/python benchmarks/cluster.py [--jobs N] [--keyframe-steps 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.e2e.cluster import LocalCluster, local_cluster, studio_job  # noqa: E402

STUDIOS = [("云冈短剧工作室", 3.0), ("快手星芒", 2.0), ("高校AIGC系", 1.0)]
GPU_STAGES = ("keyframe",)
ACCOUNTS = ("gpu_held", "device_held", "gpu_ran", "device_ran")
ACCOUNT_LABELS = {  # held: dispatch to result (the slot occupied); ran: inside the task
    "device_held": "device-s held",
    "gpu_held": "GPU-s held",
    "device_ran": "device-s ran",
    "gpu_ran": "GPU-s ran",
}


def jain(values: list[float]) -> float:
    return sum(values) ** 2 / (len(values) * sum(v * v for v in values)) if any(values) else 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def make_jobs(root: Path, n: int) -> list[tuple[Path, str]]:
    jobs = []
    for i in range(n):
        studio = STUDIOS[i % len(STUDIOS)][0]
        jobs.append((studio_job(root, f"job{i}", studio, 5, f"第{i}条"), studio))
    return jobs


def run_side(
    cluster: LocalCluster, jobs: list[tuple[Path, str]], side: str, root: Path, timeout: float
) -> dict[str, Any]:
    """Submit every job at once, wait (at most ``timeout``: jobs still running then are stopped and
    reported as unfinished), and collect manifests and Ray's job times."""
    from ray.job_submission import JobSubmissionClient

    client = JobSubmissionClient(cluster.address)
    submitted: dict[str, float] = {}
    studio_of: dict[str, str] = {}
    outs: dict[str, Path] = {}
    first = time.time()
    for spec, studio in jobs:
        if side == "service":
            job_id = cluster.kaipai("submit", str(spec), "--address", cluster.address).stdout.split()[-1]
        else:
            out = root / side / spec.parent.name
            entry = (f"python -m orchestrator.cli run job.yaml --address auto --config {cluster.config} "
                     f"--out {out} --store {root / side / 'store'}")  # fmt: skip
            job_id = client.submit_job(
                entrypoint=entry, runtime_env={"working_dir": str(spec.parent)}, metadata={"studio": studio}
            )
            outs[job_id] = out
        submitted[job_id], studio_of[job_id] = time.time(), studio
    final = ("SUCCEEDED", "FAILED", "STOPPED")
    while not all(str(client.get_job_status(j)).endswith(final) for j in submitted):
        if time.time() - first > timeout:
            for job_id in submitted:
                if not str(client.get_job_status(job_id)).endswith(final):
                    client.stop_job(job_id)
            break
        time.sleep(3)
    succeeded = [j for j in submitted if str(client.get_job_status(j)).endswith("SUCCEEDED")]
    ended = {j: client.get_job_info(j).end_time / 1000.0 for j in succeeded}
    ok = len(succeeded)
    manifests = {}
    for job_id in succeeded:
        if side == "service":
            dest = root / side / job_id
            cluster.kaipai("fetch", job_id, "--to", str(dest), "--address", cluster.address)
            outs[job_id] = dest
        manifests[job_id] = json.loads((outs[job_id] / "manifest.json").read_text(encoding="utf-8"))
    return {
        "ok": ok,
        "timeout": timeout,
        "first": first,
        "submitted": submitted,
        "ended": ended,
        "studio_of": studio_of,
        "manifests": manifests,
    }


def seconds_while_contended(result: dict[str, Any], cpu_weight: float) -> tuple[dict[str, dict[str, float]], float]:
    """Per studio, from the first submit until the first studio's last job ended: GPU-seconds and
    device-seconds as the service charges them (a CPU-second counts ``cpu_weight`` of a GPU-second),
    each two ways: ``held``, from the node's dispatch with its grant to its result back (the slot the
    studio occupied, Ray's per-task overhead included: what the fair share divides), and ``ran``,
    inside the task (the stage's own run time, which leaves that overhead out)."""
    last_of: dict[str, float] = {}
    unfinished = set(result["submitted"]) - set(result["ended"])
    for job_id in unfinished:  # a studio with a job still running has work left until the timeout
        last_of[result["studio_of"][job_id]] = result["first"] + result["timeout"]
    for job_id, end in result["ended"].items():
        studio = result["studio_of"][job_id]
        last_of[studio] = max(last_of.get(studio, 0.0), end)
    window_end = min(last_of.values())
    used: dict[str, dict[str, float]] = {}
    for job_id, manifest in result["manifests"].items():
        base = manifest["started_epoch"]
        account = used.setdefault(result["studio_of"][job_id], dict.fromkeys(ACCOUNTS, 0.0))
        for task in manifest["tasks"].values():
            if task["status"] != "done":
                continue
            gpu = task["stage"] in GPU_STAGES
            weight = 1.0 if gpu else cpu_weight
            spans = {"ran": (task["start"], task["finish"]), "held": (task.get("dispatched"), task.get("returned"))}
            for how, (start, finish) in spans.items():
                if start is None or finish is None:
                    continue
                seconds = min(base + finish, window_end) - (base + start)
                if seconds > 0:
                    account[f"gpu_{how}"] += seconds if gpu else 0.0
                    account[f"device_{how}"] += seconds * weight
    return used, window_end - result["first"]


def cpu_seconds_weight(config: Path) -> float:
    import yaml

    profile = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    return float(profile["cluster"]["fair_share"].get("cpu_seconds_weight", 0.05))


def pool_actors(cluster: LocalCluster, prefix: str) -> int:
    actors = json.loads(cluster.get("/api/v0/actors?limit=10000&detail=1"))["data"]["result"]["result"]
    return sum(1 for a in actors if (a.get("name") or "").startswith(prefix))


def summarise(
    side: str, result: dict[str, Any], loads: int, cpu_weight: float, ledger: dict[str, Any] | None = None
) -> dict[str, Any]:
    used, window = seconds_while_contended(result, cpu_weight)
    weights = dict(STUDIOS)
    zero = dict.fromkeys(ACCOUNTS, 0.0)
    completion = [result["ended"][j] - result["submitted"][j] for j in result["ended"]] or [float("nan")]
    row: dict[str, Any] = {
        "side": side,
        "timeout": result["timeout"],
        "ok": result["ok"],
        "jobs": len(result["submitted"]),
        "wall": (max(result["ended"].values()) - result["first"])
        if result["ok"] == len(result["submitted"])
        else float("inf"),  # some jobs did not finish within the timeout
        "model_loads": loads,
        "window": window,
        "p50": statistics.median(completion),
        "p95": percentile(completion, 0.95),
        "taken_back": sum(t.get("preempted", 0) for m in result["manifests"].values() for t in m["tasks"].values()),
        "ledger": ledger,
    }
    for account in ACCOUNTS:
        row[account] = {s: round(used.get(s, zero)[account], 1) for s in weights}
        row[f"jain_{account}"] = jain([used.get(s, zero)[account] / w for s, w in STUDIOS])
    return row


def print_side_by_side(rows: list[dict[str, Any]]) -> None:
    print(f"{'':38}" + "".join(f"{r['side']:>22}" for r in rows))
    print(f"{'jobs SUCCEEDED':38}" + "".join(f"{str(r['ok']) + '/' + str(r['jobs']):>22}" for r in rows))
    walls = [f"{r['wall']:.1f} s" if r["wall"] != float("inf") else f"> {r['timeout']:.0f} s" for r in rows]
    print(f"{'wall time (first submit to last end)':38}" + "".join(f"{w:>22}" for w in walls))
    print(f"{'model loads (keyframe pool actors)':38}" + "".join(f"{r['model_loads']:>22}" for r in rows))
    print(f"{'contended window':38}" + "".join(f"{r['window']:>20.1f} s" for r in rows))
    print(f"{'calls taken back (fair share rule 5)':38}" + "".join(f"{r['taken_back']:>22}" for r in rows))
    for account, label in ACCOUNT_LABELS.items():
        for studio, weight in STUDIOS:
            name = f"{label} {studio} (weight {weight:g})"
            print(f"{name:<38}" + "".join(f"{r[account][studio]:>22.1f}" for r in rows))
    for account, label in ACCOUNT_LABELS.items():
        print(f"{'Jain, weight-normalised ' + label:38}" + "".join(f"{r['jain_' + account]:>22.3f}" for r in rows))
    print(f"{'job completion p50 (finished jobs)':38}" + "".join(f"{r['p50']:>20.1f} s" for r in rows))
    print(f"{'job completion p95 (finished jobs)':38}" + "".join(f"{r['p95']:>20.1f} s" for r in rows))
    for row in rows:
        if row.get("ledger"):
            print_ledger(row["side"], row["ledger"])


def print_ledger(side: str, ledger: dict[str, Any]) -> None:
    """The service's own account (``ShareLedger``, the replay's measure): while two or more studios
    had GPU work queued and wanted more GPUs than they could hold together, each one's GPU-seconds
    held against its weighted max-min share (owed none beyond its demand)."""
    jain_text = f"{ledger['jain']:.3f}" if ledger["jain"] is not None else "-"
    print(f"{side}: GPU-s held against owed while studios contended for GPUs ({ledger['contended_seconds']:.1f} s),"
          f" the service's ledger; Jain over held/owed {jain_text}")  # fmt: skip
    for studio, weight in STUDIOS:
        row = ledger["studios"].get(studio)
        if row is None:
            print(f"  {studio} (weight {weight:g}): never contended")
            continue
        print(f"  {studio} (weight {weight:g}): held {row['got']:.1f} owed {row['owed']:.1f} GPU-s"
              f" = {_ratio(row['ratio'])}, contended {row['contended_seconds']:.1f} s")  # fmt: skip


def print_replay(seeds: list[int] | None = None) -> None:
    """The replay on datong-standard, with its own seed or each of ``seeds`` (the job list drawn)."""
    from orchestrator.placement.scenario import load_scenario
    from orchestrator.service.replay import OPERATOR_PROFILE, operator_policy, replay

    scenario = load_scenario(REPO / "configs" / "scenarios" / "datong-standard.yaml")
    policy = operator_policy()
    print(
        f"\nreplay policy: {OPERATOR_PROFILE} cluster.fair_share (jump {policy.jump_per_priority:g} per priority"
        f" level, at most {policy.max_jump:g}; aging {policy.aging_seconds:g} s; horizon {policy.horizon_seconds:g} s)"
    )
    what_if = dataclasses.replace(policy, preempt=not policy.preempt)  # the other setting, side by side
    for seed in seeds or [scenario.spec.seed]:
        scenario.spec.seed = seed
        for at_once, rules in ((False, policy), (True, policy), (False, what_if), (True, what_if)):
            result = replay(scenario, rules, at_once=at_once)
            arrivals = "all jobs at t=0" if at_once else "the scenario's arrivals"
            pool = f"{result['gpus']} GPUs as one pool"
            setting = f"{OPERATOR_PROFILE} has preempt {'on' if policy.preempt else 'off'}"
            runs = "what runs" if rules is policy else f"NOT WHAT RUNS ({setting})"
            if rules.preempt:
                after, within = rules.preempt_after_seconds, rules.preempt_within_seconds
                print(f"\n{runs}: fair_share.preempt on (taking GPUs back after {after:g} s waited,"
                      f" grants younger than {within:g} s, each at most once)")  # fmt: skip
                lost, used = result["lost_gpu_seconds"], result["gpu_seconds"]
                share = 100 * lost / max(used, 1e-9)
                print(f"  {result['preemptions']} preemptions, {lost:.0f} GPU-s of work thrown away"
                      f" ({share:.2f}% of {used:.0f}); makespan {result['makespan']:.0f} s")  # fmt: skip
            else:
                print(f"\n{runs}: fair_share.preempt off; makespan {result['makespan']:.0f} s")
            print(f"fair share replayed on datong-standard, seed {seed} ({arrivals}); {pool}")
            spans = f"{result['contended_seconds']:.0f} s; all six for {result['all_waiting_seconds']:.0f} s"
            print(f"  2+ studios waiting for {spans}")
            print("  got/owed: GPU-s held against the weighted max-min share while contended (the target's figure);")
            print("  after drain: uncontested grants as floors; lag: got - owed after drain; longest: its longest task")
            print(f"  {'studio':<12} weight  contended  got/owed  after drain  lag GPU-s  longest  all six waiting")
            for row, all_row in zip(result["studios"], result["all_waiting"], strict=True):
                lag = f"{row['lag_gpu_seconds']:>10.0f} {row['longest_task']:>6.0f} s"
                print(f"  {row['studio']:<12} {row['weight']:>6g} {row['contended_seconds']:>8.0f} s"
                      f" {_ratio(row['ratio']):>9} {_ratio(row['ratio_after_drain']):>12}"
                      f" {lag} {_ratio(all_row['ratio']):>16}")  # fmt: skip
            print(f"  every got/owed within ±10%: {result['within_tolerance']}")


def _ratio(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=6)
    parser.add_argument("--replay-only", action="store_true")
    parser.add_argument("--replay-seeds", type=str, default="", help="Comma-separated seeds for the replay.")
    parser.add_argument("--side-timeout", type=float, default=600.0, help="Seconds a side may take.")
    parser.add_argument(
        "--keyframe-steps",
        type=int,
        default=0,
        help="Denoising steps per keyframe at 256 px instead of the profile's (2 at 64 px): GPU work that"
        " takes seconds, so the studios contend for GPUs and not only for CPUs (0: as the profile says).",
    )
    parser.add_argument("--service-only", action="store_true", help="Leave the independent drivers out.")
    parser.add_argument("--save", type=str, default="", help="Write every figure and manifest to this JSON file.")
    args = parser.parse_args()
    options = {"keyframe": {"steps": args.keyframe_steps, "max_side": 256}} if args.keyframe_steps else None
    if not args.replay_only:
        with tempfile.TemporaryDirectory(prefix="kpbench-") as tmp:
            root = Path(tmp)
            jobs = make_jobs(root / "jobs", args.jobs)
            results: dict[str, Any] = {}
            with local_cluster(root, options=options) as cluster:
                cpu_weight = cpu_seconds_weight(cluster.config)
                rows = []
                if not args.service_only:
                    results["independent"] = run_side(cluster, jobs, "independent", root, args.side_timeout)
                    loads = pool_actors(cluster, "keyframe-")
                    rows.append(summarise("independent drivers", results["independent"], loads, cpu_weight))
                results["service"] = run_side(cluster, jobs, "service", root, args.side_timeout)
                loads = pool_actors(cluster, "kaipai-pool:keyframe")
                status = cluster.kaipai("cluster", "status", "--address", cluster.address, "--json").stdout
                rows.append(summarise("kaipai service", results["service"], loads, cpu_weight,
                                      json.loads(status)["contended"]))  # fmt: skip
            if args.save:
                Path(args.save).write_text(
                    json.dumps({"rows": rows, **results}, ensure_ascii=False, indent=1), encoding="utf-8"
                )
            print(f"(device-seconds: a CPU-second counts {cpu_weight:g} of a GPU-second, as the service charges)")
            if options:
                print(f"(keyframes: {args.keyframe_steps} denoising steps at 256 px)")
            print_side_by_side(rows)
    print_replay([int(x) for x in args.replay_seeds.split(",") if x.strip()] or None)


if __name__ == "__main__":
    main()
