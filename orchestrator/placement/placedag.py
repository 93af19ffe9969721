"""Interface 4: place a kaipai DAG onto the profile's zones with the same ``Placer`` the simulator uses.

The DAG becomes a one-job simulator workload (``Workload``): each remaining node a task with its
cost-model estimate at speed 1 (a CPU core for CPU stages), its model (GPU stages), its output bytes
and, for a GPU stage with a pool, the zones its pool has workers in. The simulator then runs it on the
profile's topology under the policy's placer (``policies.make_placer``): every zone, start and finish
comes from the placer's online decisions, exactly as in ``kaipai simulate``. Nodes already ``done``
are left out (their artifacts are in the shared store), and ``exclude_zones`` drops a lost zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.placement.costmodel import CostModel, model_of
from orchestrator.placement.policies import POLICIES, Placer, make_placer
from orchestrator.placement.workload import Workload

if TYPE_CHECKING:
    from orchestrator.dag import Dag
    from orchestrator.placement.topology import Topology


@dataclass
class Placement:
    """Zone per node (None: anywhere), estimated start/finish seconds, and the estimated makespan."""

    zone: dict[str, str | None]
    start: dict[str, float]
    finish: dict[str, float]
    makespan: float
    gpu_kind: dict[str, str | None] = field(default_factory=dict)  # additive: the kind it was placed on
    placer: Placer | None = None  # the policy object that made every decision


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
    lost = set(exclude_zones)
    zones = [z for z in (topology.zones if topology else []) if z.name not in lost]
    order = dag.topo_order() if hasattr(dag, "topo_order") else list(dag.nodes)
    remaining = [dag.nodes[nid] for nid in order if nid not in done_ids]
    if not zones:
        cost = {n.id: model.estimate(n.stage, _backend(profile, n), n.params, None, model=None) for n in remaining}
        start, finish = _asap(dag, cost, done_ids)
        nothing = {nid: None for nid in dag.nodes}
        return Placement(nothing, start, finish, max(finish.values(), default=0.0), dict(nothing))
    kept = topology.model_copy(
        update={"zones": zones, "links": [x for x in topology.links if not set(x.between) & lost]}
    )
    w = _workload(remaining, profile, kept, model)
    return _simulate_one_job(dag, w, remaining, kept, policy, done_ids)


def _backend(profile: Any, node: Any) -> str:
    settings = profile.stages.get(node.stage)
    return getattr(node, "backend", "") or (settings.backend if settings else "")


def _workload(remaining: list[Any], profile: Any, topology: Topology, model: CostModel) -> Workload:
    """The remaining nodes as one job arriving at 0 (ids in topological order, as the simulator needs)."""
    w = Workload()
    _add_job(w, remaining, profile, topology, model, pinned={})
    w.compute_ranks()
    return w


def _add_job(
    w: Workload, remaining: list[Any], profile: Any, topology: Topology, model: CostModel, pinned: dict[str, str]
) -> None:
    """Append one job's remaining nodes to ``w`` as its next job; a ``pinned`` node may run only in its zone."""
    from orchestrator.placement.pipeline import STAGES

    j = len(w.job_arrival)
    base = len(w.kind)
    index = {n.id: base + i for i, n in enumerate(remaining)}
    zone_names = [z.name for z in topology.zones]
    has_gpus = any(z.gpus for z in topology.zones)
    episodes: dict[str, int] = {}
    first_episode = max(w.episode, default=-1) + 1  # episode ids stay unique across jobs
    model_ids = {name: i for i, name in enumerate(w.models)}
    for node in remaining:
        settings = profile.stages.get(node.stage)
        gpu = has_gpus and _stage_is_gpu(profile, node.stage)
        name = model_of(node.stage, _backend(profile, node), settings.options if settings else None) if gpu else None
        if gpu and name is None:
            name = f"{node.stage}/{_backend(profile, node)}"  # a GPU stage without named weights
        w.kind.append(STAGES.index(node.stage) if node.stage in STAGES else -1)
        w.model.append(model_ids.setdefault(name, len(model_ids)) if name else -1)
        w.work.append(model.estimate(node.stage, _backend(profile, node), node.params, None, model=name))
        w.out_bytes.append(model.artifact_bytes(node.stage, node.params))
        w.job.append(j)
        w.episode.append(first_episode + episodes.setdefault(node.episode, len(episodes)) if node.episode else -1)
        w.preds.append(tuple(index[d] for d in dict.fromkeys(node.deps) if d in index))
        w.succs.append([])
        for p in w.preds[-1]:
            w.succs[p].append(len(w.succs) - 1)
        if node.id in pinned and pinned[node.id] in zone_names:
            allowed = [pinned[node.id]]
        else:
            allowed = _pool_zones(profile, node.stage, zone_names) if gpu else zone_names
        w.allowed.append(sum(1 << zone_names.index(z) for z in allowed))
    w.models = list(model_ids)
    w.job_arrival.append(0.0)
    w.job_priority.append(0)
    w.job_roots.append([base + i for i, node in enumerate(remaining) if not w.preds[base + i]])
    w.job_tasks.append(len(remaining))


def _simulate_one_job(
    dag: Dag, w: Workload, remaining: list[Any], topology: Topology, policy: str, done_ids: set[str]
) -> Placement:
    sim, placer = _simulate(w, topology, policy)
    return _placement_of(dag, remaining, 0, sim, topology, done_ids, placer)


def _simulate(
    w: Workload, topology: Topology, policy: str, warm_gpus: dict[tuple[str, str], int] | None = None
) -> tuple[Any, Placer]:
    """Run the workload under a fresh placer of ``policy``: every decision is the placer's."""
    from orchestrator.placement.simulator import Simulation
    from orchestrator.placement.workload import no_cycle_collection

    placer = make_placer(policy)
    with no_cycle_collection():
        sim = Simulation(topology, w, placer, warm_gpus=warm_gpus)
        sim.run()
    return sim, placer


def _placement_of(
    dag: Dag, remaining: list[Any], first: int, sim: Any, topology: Topology, done_ids: set[str], placer: Placer
) -> Placement:
    """One job's zones, GPU kinds and times out of a run whose task ids for it start at ``first``."""
    zone: dict[str, str | None] = {nid: None for nid in done_ids if nid in dag.nodes}
    kinds: dict[str, str | None] = dict(zone)
    start, finish = {}, {}
    for i, node in enumerate(remaining, start=first):
        zone[node.id] = topology.zones[sim.zone_of[i]].name
        g = sim.ran_on[i]
        kinds[node.id] = sim.gpu_kind[g] if g >= 0 else None
        start[node.id], finish[node.id] = sim.start_time[i], sim.finish_time[i]
    return Placement(zone, start, finish, max(finish.values(), default=0.0), kinds, placer)


@dataclass
class JobToPlace:
    """One active job as the cluster service sees it: its DAG, what is done, what runs where now."""

    key: str
    dag: Dag
    profile: Any
    done: frozenset[str] = frozenset()
    pinned: dict[str, str] = field(default_factory=dict)  # node -> the zone it is running in


def place_jobs(
    jobs: Sequence[JobToPlace],
    topology: Topology,
    policy: str = "kaipai",
    *,
    exclude_zones: Iterable[str] = (),
    warm_gpus: dict[tuple[str, str], int] | None = None,
) -> dict[str, Placement]:
    """Every active job's remaining nodes placed together on one cluster (the service's global view).

    One simulator run over all jobs at once, under one placer: each job's zones account for the work
    the others have queued and running, rather than for an empty cluster. Nodes already running are
    pinned to their zone (modelled as starting now, a conservative estimate of what they hold).
    ``warm_gpus``: (zone, model) -> GPUs that start with that model in memory (live pools).
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    lost = set(exclude_zones)
    zones = [z for z in topology.zones if z.name not in lost]
    if not zones:
        raise ValueError("no zone is left to place on")
    kept = topology.model_copy(
        update={"zones": zones, "links": [x for x in topology.links if not set(x.between) & lost]}
    )
    model = CostModel(seconds=dict(topology.seconds), gpu_speed=dict(topology.gpu_speed))
    w = Workload()
    spans: list[tuple[JobToPlace, list[Any], int]] = []
    for job in jobs:
        order = job.dag.topo_order() if hasattr(job.dag, "topo_order") else list(job.dag.nodes)
        remaining = [job.dag.nodes[nid] for nid in order if nid not in job.done]
        spans.append((job, remaining, len(w.kind)))
        _add_job(w, remaining, job.profile, kept, model, job.pinned)
    w.compute_ranks()
    sim, placer = _simulate(w, kept, policy, warm_gpus)
    return {
        job.key: _placement_of(job.dag, remaining, first, sim, kept, set(job.done), placer)
        for job, remaining, first in spans
    }
