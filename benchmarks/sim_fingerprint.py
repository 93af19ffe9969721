"""Fingerprints of simulator runs, so a speed-up can be shown not to change a single result.

Each case (scenario, seed, policy, disturbances) runs through ``simulate``'s own code path and is
summed up as its result JSON plus a SHA-256 of every task's zone, GPU, start and finish and every
job's completion (floats by ``repr``, so a difference in the last bit shows). ``--write FILE`` saves
them; ``--check FILE`` runs the same cases and lists every one that differs (exit 1 if any).

Cases: datong-standard seeds 1-10 and the tiny family seeds 1-10 under every policy; datong-standard
seeds 1-3 under kaipai, heft and ray-default with --estimate-error 0.3, --slow-gpus 20 and a zone
lost at 600 s; with --scale, scale-100k under kaipai (about half a minute).
Run: .venv/bin/python benchmarks/sim_fingerprint.py --write /tmp/before.json [--scale]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from orchestrator.placement.policies import make_placer
from orchestrator.placement.scenario import load_scenario
from orchestrator.placement.simulator import POLICIES, Disturbances, Simulation
from orchestrator.placement.workload import generate, no_cycle_collection

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "configs" / "scenarios"
SEEDS = range(1, 11)
DISTURBED = ("kaipai", "heft", "ray-default")


def cases(scale: bool) -> list[tuple[str, int, str, Disturbances]]:
    """(scenario file name, seed, policy, disturbances) for every case."""
    out = []
    for name in ("datong-standard", "tiny"):
        out += [(name, seed, policy, Disturbances()) for seed in SEEDS for policy in POLICIES]
    for d in (Disturbances(estimate_error=0.3), Disturbances(slow_gpus=20), Disturbances(lose_zone="", lose_at=600)):
        out += [("datong-standard", seed, policy, d) for seed in (1, 2, 3) for policy in DISTURBED]
    if scale:
        out.append(("scale-100k", -1, "kaipai", Disturbances()))
    return out


def run_case(name: str, seed: int, policy: str, d: Disturbances) -> dict:
    """One case's result JSON and the digest of everything it placed and when."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    if seed >= 0:
        scenario.spec.seed = seed
    if d.lose_zone == "":  # the second zone, whatever the topology calls it
        d = Disturbances(d.estimate_error, d.slow_gpus, scenario.topology.zone_names()[1], d.lose_at)
    w = generate(scenario)
    with no_cycle_collection():
        sim = Simulation(scenario.topology, w, make_placer(policy, scenario.spec.seed), d, scenario.spec.seed)
        sim.run()
        result = sim.result().to_json()
    digest = hashlib.sha256()
    for values in (sim.zone_of, sim.ran_on, sim.start_time, sim.finish_time, sim.job_done):
        digest.update(repr(list(values)).encode())
    return {"result": result, "digest": digest.hexdigest()}


def key(name: str, seed: int, policy: str, d: Disturbances) -> str:
    return f"{name} seed={seed} {policy} err={d.estimate_error} slow={d.slow_gpus} lose={d.lose_zone is not None}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="save the fingerprints here")
    group.add_argument("--check", type=Path, help="compare with fingerprints saved before")
    parser.add_argument("--scale", action="store_true", help="also scale-100k under kaipai")
    parser.add_argument("--policies", nargs="+", choices=POLICIES, help="only these policies (a quick check)")
    args = parser.parse_args()
    got = {}
    for case in cases(args.scale):
        if args.policies is None or case[2] in args.policies:
            got[key(*case)] = run_case(*case)
    if args.write:
        args.write.write_text(json.dumps(got, indent=1, ensure_ascii=False))
        print(f"{len(got)} cases written to {args.write}")
        return 0
    saved = json.loads(args.check.read_text())
    bad = [k for k, v in got.items() if k in saved and saved[k] != v]
    missing = [k for k in got if k not in saved]  # every case run must have been saved before
    for k in bad:
        print(f"DIFFERS: {k}\n  before {saved[k]['result']}\n  now    {got[k]['result']}")
    for k in missing:
        print(f"not in {args.check}: {k}")
    print(f"{len(got) - len(bad) - len(missing)} of {len(got)} cases identical")
    return 1 if bad or missing else 0


if __name__ == "__main__":
    sys.exit(main())
