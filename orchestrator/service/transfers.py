"""Bytes that crossed zones in a run, measured from where each task really ran, beside the estimate.

A node that ran in zone B and read an artifact made in zone A moved that artifact's bytes from A to
B (the shared store is mounted everywhere, so the read is the transfer). The measurement uses the
Ray node each task ran on (its zone label) and the artifact's size on disk; the estimate is the cost
model's ``artifact_bytes`` over the same edges between the *planned* zones, which is what placement
optimised. Cached inputs were made by an earlier run whose zone this run does not know: they are
counted apart (``unknown_source_bytes``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.placement.costmodel import CostModel


def artifact_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def cross_zone_bytes(dag: Any, report: Any, zone_of_node: Callable[[str | None], str | None]) -> dict[str, Any]:
    """``measured_bytes``, ``estimated_bytes``, per link ``"A->B"``, and the producing zone per task."""
    records = report.records
    ran_in = {nid: zone_of_node(rec.node) for nid, rec in records.items() if rec.node}
    measured, estimated, unknown = 0, 0.0, 0
    links: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for nid, node in dag.nodes.items():
        here = ran_in.get(nid)
        for parent in {p for ids in node.inputs.values() for p in ids}:
            planned_src, planned_dst = records[parent].zone, records[nid].zone
            if planned_src and planned_dst and planned_src != planned_dst:
                estimated += CostModel.artifact_bytes(dag.nodes[parent].stage, dag.nodes[parent].params)
            if here is None:
                continue
            artifact = report.artifacts.get(parent)
            if artifact is None:
                continue
            if parent not in sizes:
                sizes[parent] = artifact_size(Path(artifact.path))
            source = ran_in.get(parent)
            if source is None:
                unknown += sizes[parent] if records[parent].status == "cached" else 0
            elif source != here:
                measured += sizes[parent]
                link = f"{source}->{here}"
                links[link] = links.get(link, 0) + sizes[parent]
    return {
        "measured_bytes": measured,
        "estimated_bytes": round(estimated),
        "unknown_source_bytes": unknown,
        "links": links,
        "produced_in": {nid: zone for nid, zone in ran_in.items() if zone},
    }
