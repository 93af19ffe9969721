"""Interface 4: place a kaipai DAG onto the profile's zones with the scheduling core.

Each zone becomes one resource per GPU kind (``zone/H800``, slots = that many GPUs) and one CPU
resource (``zone/cpu``, slots = its cores). A GPU stage may run on a zone where its pool has workers
(``"*"`` = any); its run time there comes from the cost model for that GPU kind, plus the time to load
its model on a slot (from the zone's disk, or over the link when the weights are elsewhere). Edges
carry the upstream artifact's estimated bytes over the zones' links. Nodes already ``done`` are left
out (their artifacts are in the shared store), and ``exclude_zones`` drops a zone that was lost.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.placement.costmodel import CostModel, model_of
from orchestrator.placement.graph import EdgeSpec, LinkSpec, ResourceSpec, TaskGraph, TaskSpec
from orchestrator.placement.scheduler import POLICIES, schedule

if TYPE_CHECKING:
    from orchestrator.dag import Dag


@dataclass
class Placement:
    """Zone per node (None: anywhere), estimated start/finish seconds, and the estimated makespan."""

    zone: dict[str, str | None]
    start: dict[str, float]
    finish: dict[str, float]
    makespan: float
    gpu_kind: dict[str, str | None] = field(default_factory=dict)  # additive: the kind it was placed on


def _stage_is_gpu(profile: Any, stage: str) -> bool:
    """Whether a stage's tasks take GPUs: its backend's declared resources, as the profile overrides them."""
    return stage in profile.stages and profile.stage_resources(stage).num_gpus > 0


def _pool_zones(profile: Any, stage: str, zones: list[str]) -> list[str]:
    """Zones a stage may run in: where its pool has workers; every zone without a pool or with ``*``."""
    settings = profile.stages.get(stage)
    if settings is None or settings.pool is None or "*" in settings.pool.size:
        return zones
    allowed = [z for z in zones if settings.pool.size.get(z, 0) > 0]
    return allowed or zones  # its zones were all lost: anywhere left is better than nowhere


def _asap(dag: Dag, cost: dict[str, float], skip: set[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Earliest start/finish with unlimited resources (a profile without topology)."""
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    order = dag.topo_order() if hasattr(dag, "topo_order") else list(dag.nodes)
    for nid in order:
        if nid in skip:
            continue
        node = dag.nodes[nid]
        s = max((finish.get(d, 0.0) for d in node.deps), default=0.0)
        start[nid], finish[nid] = s, s + cost[nid]
    return start, finish


def place_dag(
    dag: Dag,
    profile: Any,
    policy: str = "kaipai",
    *,
    exclude_zones: Iterable[str] = (),
    done: Iterable[str] = (),
    cost_model: CostModel | None = None,
) -> Placement:
    """Zone per node of ``dag`` for ``profile`` (see the module doc); call again after losing a zone."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    done_ids = set(done)
    topology = profile.topology
    model = cost_model or CostModel(
        seconds=dict(topology.seconds) if topology else {}, gpu_speed=dict(topology.gpu_speed) if topology else {}
    )

    def backend_of(node: Any) -> str:
        settings = profile.stages.get(node.stage)
        return getattr(node, "backend", "") or (settings.backend if settings else "")

    def model_for(node: Any) -> str | None:
        settings = profile.stages.get(node.stage)
        if not _stage_is_gpu(profile, node.stage):
            return None
        return model_of(node.stage, backend_of(node), settings.options if settings else None)

    remaining = [n for nid, n in dag.nodes.items() if nid not in done_ids]
    lost = set(exclude_zones)
    zones = [z for z in (topology.zones if topology else []) if z.name not in lost]
    if not zones:
        cost = {n.id: model.estimate(n.stage, backend_of(n), n.params, None, model=model_for(n)) for n in remaining}
        start, finish = _asap(dag, cost, done_ids)
        return Placement(
            {nid: None for nid in dag.nodes},
            start,
            finish,
            max(finish.values(), default=0.0),
            {nid: None for nid in dag.nodes},
        )

    resources: list[ResourceSpec] = []
    zone_of: dict[str, str] = {}
    kind_of: dict[str, str | None] = {}
    models_needed = {m for m in (model_for(n) for n in remaining) if m}
    for z in zones:
        for kind, count in z.gpus.items():
            if count <= 0:
                continue
            rid = f"{z.name}/{kind}"
            load = {}
            for m in models_needed:
                source = None if z.has_weights(m) else topology.weights_source(m, z.name)
                link_bw = topology.latency_bandwidth(source, z.name)[1] if source else None
                load[m] = model.load_seconds(m, z.has_weights(m) or source is None, link_bw, z.read_bandwidth)
            resources.append(ResourceSpec(id=rid, slots=min(count, max(len(remaining), 1)), load=load))
            zone_of[rid], kind_of[rid] = z.name, kind
        rid = f"{z.name}/cpu"
        resources.append(ResourceSpec(id=rid, slots=min(max(z.cpus, 1), max(len(remaining), 1))))
        zone_of[rid], kind_of[rid] = z.name, None

    zone_names = [z.name for z in zones]
    tasks: list[TaskSpec] = []
    for node in remaining:
        m = model_for(node)
        gpu = _stage_is_gpu(profile, node.stage)
        allowed = set(_pool_zones(profile, node.stage, zone_names)) if gpu else set(zone_names)
        cost = {}
        for r in resources:
            if zone_of[r.id] not in allowed or (kind_of[r.id] is None) == gpu:
                continue
            cost[r.id] = model.estimate(node.stage, backend_of(node), node.params, kind_of[r.id], model=m)
        if not cost:  # a GPU stage where no zone left has GPUs: run it on CPUs rather than not at all
            cost = {
                r.id: model.estimate(node.stage, backend_of(node), node.params, None, model=m)
                for r in resources
                if kind_of[r.id] is None
            }
        tasks.append(TaskSpec(id=node.id, cost=cost, group=node.episode, model=m))
    remaining_ids = {n.id for n in remaining}
    edges = [
        EdgeSpec.model_validate(
            {"from": dep, "to": node.id, "bytes": model.artifact_bytes(dag.nodes[dep].stage, dag.nodes[dep].params)}
        )
        for node in remaining
        for dep in dict.fromkeys(node.deps)
        if dep in remaining_ids
    ]
    links = {}
    for i, a in enumerate(resources):
        for b in resources[i + 1 :]:
            latency, bandwidth = topology.latency_bandwidth(zone_of[a.id], zone_of[b.id])
            links[frozenset((a.id, b.id))] = LinkSpec(between=(a.id, b.id), latency=latency, bandwidth=bandwidth)
    result = schedule(TaskGraph(resources, tasks, edges, links), policy)
    zone: dict[str, str | None] = {nid: None for nid in done_ids if nid in dag.nodes}
    kinds: dict[str, str | None] = dict(zone)
    start, finish = {}, {}
    for t in result.tasks:
        zone[t.id], kinds[t.id] = zone_of[t.resource], kind_of[t.resource]
        start[t.id], finish[t.id] = t.start, t.finish
    return Placement(zone, start, finish, result.makespan, kinds)
