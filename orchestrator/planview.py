"""``kaipai plan``'s view of a DAG: nodes per stage, estimated time, critical path, zones and makespan."""

from __future__ import annotations

from typing import Any

from orchestrator.config import Profile
from orchestrator.dag import Dag, node_estimates


def plan_summary(dag: Dag, profile: Profile, policy: str = "kaipai") -> dict[str, Any]:
    estimates = node_estimates(dag)
    path, length = dag.critical_path(estimates)
    zones: dict[str, str | None] = dict.fromkeys(dag.nodes)
    makespan = None
    if profile.topology is not None:
        from orchestrator.placement import place_dag

        placement = place_dag(dag, profile, policy)
        zones = {nid: placement.zone.get(nid) for nid in dag.nodes}
        makespan = placement.makespan
    stages: dict[str, dict[str, Any]] = {}
    for node in dag.nodes.values():
        entry = stages.setdefault(node.stage, {"nodes": 0, "backend": node.backend, "seconds": 0.0, "zones": {}})
        entry["nodes"] += 1
        entry["seconds"] += estimates[node.id]
        if zones[node.id]:
            entry["zones"][zones[node.id]] = entry["zones"].get(zones[node.id], 0) + 1
    total = sum(estimates.values())
    text = [
        f"{len(dag.nodes)} tasks, estimated {total:.1f} s of work; critical path {length:.1f} s ({len(path)} tasks)"
    ]
    for stage, entry in stages.items():
        where = "  ".join(f"{z}: {n}" for z, n in sorted(entry["zones"].items()))
        text.append(f"  {stage:<10} {entry['nodes']:5d}  {entry['backend']:<12} {entry['seconds']:9.1f} s  {where}")
    text.append("critical path: " + " -> ".join(dag.nodes[n].name for n in path))
    if makespan is not None:
        text.append(f"placement ({policy}): estimated makespan {makespan:.1f} s")
    return {
        "tasks": len(dag.nodes),
        "total_seconds": round(total, 3),
        "critical_path": path,
        "critical_path_seconds": round(length, 3),
        "policy": policy if profile.topology is not None else None,
        "makespan": makespan,
        "stages": {s: {**e, "seconds": round(e["seconds"], 3)} for s, e in stages.items()},
        "nodes": [
            {
                "id": n.id,
                "stage": n.stage,
                "unit": n.unit,
                "episode": n.episode,
                "key": n.key,
                "deps": n.deps,
                "estimate": round(estimates[n.id], 3),
                "zone": zones[n.id],
            }
            for n in dag.nodes.values()
        ],
        "text": text,
    }
