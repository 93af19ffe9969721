"""The artifact keys a git ref plans for a job, beside the keys the working tree plans.

A store made by the ref stays cached for every key that is equal; this script lists, per profile,
every node whose key differs, grouped by stage, with what differs: the params fields (``params:
character.voice``), the settings, or only upstream keys (``inputs``). Nothing runs: keys come from
the planned DAG (``plan_dag`` on the rules storyboard, plus the storyboard node itself).
Run: .venv/bin/python benchmarks/compare_keys.py [--ref main] [--job examples/datong-wall/job.yaml]
     [--profile configs/local.yaml ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROFILES = ("configs/local.yaml", "configs/tiny.yaml", "configs/workstation.yaml", "configs/datong.yaml")

# Runs inside the tree being compared (its own orchestrator and stages on sys.path).
PLAN = """
import json, sys
from orchestrator import frontend
from orchestrator.config import load_profile
from orchestrator.dag import plan_dag, plan_storyboard
job_path, profile_path = sys.argv[1], sys.argv[2]
profile = load_profile(profile_path)
job, script, _ = frontend.load(job_path)
characters, _ = frontend.characters_for(job, script)
dag = plan_dag(job, frontend.storyboard_rules(job, script, profile), profile)
nodes = dict(plan_storyboard(frontend.storyboard_params(job, script, characters), profile).nodes)
nodes.update(dag.nodes)
print(json.dumps({nid: {"key": n.key, "stage": n.stage, "params": n.params, "deps": n.deps}
                  for nid, n in nodes.items()}, ensure_ascii=False))
"""


def plan_in(tree: Path, job: Path, profile: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", PLAN, str(job), str(tree / profile)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
    )
    if done.returncode != 0:
        raise SystemExit(f"planning in {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def export(ref: str, into: Path) -> Path:
    """The ref's committed tree, unpacked (``git archive``: no worktree, nothing of ours touched)."""
    archive = into / "ref.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "archive", ref], cwd=REPO, stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


MISSING = object()


def differing(a: Any, b: Any, path: str = "") -> list[str]:
    """The dotted paths where two JSON values differ (``character.voice``, ``-character.pitch`` for a
    field only before, ``+character.gender`` for one only after)."""
    if a is MISSING or b is MISSING:
        return [("-" if b is MISSING else "+") + path]
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            p
            for k in sorted(set(a) | set(b))
            for p in differing(a.get(k, MISSING), b.get(k, MISSING), f"{path}.{k}" if path else k)
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for x, y in zip(a, b, strict=True) for p in differing(x, y, f"{path}[]")]
    return [] if a == b else [path or "(value)"]


def why(before: dict[str, Any], after: dict[str, Any], changed: set[str], nid: str) -> str:
    fields = sorted(set(differing(before[nid]["params"], after[nid]["params"])))
    upstream = sorted({dep.split(":")[0] for dep in after[nid]["deps"] if dep in changed})
    parts = [f"params: {', '.join(fields)}"] if fields else []
    if upstream:
        parts.append(f"inputs from: {', '.join(upstream)}")
    return "; ".join(parts) or "settings or version"


def report(profile: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    if before.keys() != after.keys():
        gone, new = sorted(before.keys() - after.keys()), sorted(after.keys() - before.keys())
        print(f"{profile}: the node sets differ: only before {gone}, only after {new}")
    common = before.keys() & after.keys()
    changed = {nid for nid in common if before[nid]["key"] != after[nid]["key"]}
    by_stage: dict[str, list[str]] = defaultdict(list)
    for nid in sorted(common):
        by_stage[after[nid]["stage"]].append(nid)
    print(f"\n{profile}: {len(changed)} of {len(common)} keys differ")
    print(f"  {'stage':<11} {'same':>5} {'changed':>8}")
    for stage, ids in by_stage.items():
        moved = [nid for nid in ids if nid in changed]
        print(f"  {stage:<11} {len(ids) - len(moved):>5} {len(moved):>8}")
    reasons: dict[str, list[str]] = defaultdict(list)
    for nid in sorted(changed):
        reasons[why(before, after, changed, nid)].append(nid)
    for reason, ids in reasons.items():
        print(f"  changed ({len(ids)}), {reason}:\n    " + " ".join(ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main")
    parser.add_argument("--job", default="examples/datong-wall/job.yaml")
    parser.add_argument("--profile", action="append", help="profiles to compare (default: the four in configs/)")
    args = parser.parse_args()
    job = (REPO / args.job).resolve()
    with tempfile.TemporaryDirectory(prefix="kaipai-keys-") as work:
        tree = export(args.ref, Path(work))
        print(f"keys planned for {args.job}: {args.ref} (before) against the working tree (after)")
        for profile in args.profile or PROFILES:
            report(profile, plan_in(tree, job, profile), plan_in(REPO, job, profile))


if __name__ == "__main__":
    main()
