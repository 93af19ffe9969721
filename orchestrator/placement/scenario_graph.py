"""A simulator scenario's workload as a task graph, so the exact solver can take the same instance.

Each zone becomes one resource per GPU kind (slots = its GPUs) and one CPU resource (slots = its
cores); a GPU task costs its work over the kind's speed, a CPU task its work; a resource's ``load``
per model is what the simulator charges a GPU without the model (the zone's disk when staged, else
the link from the nearest zone holding it, then the disk read); edges carry the output bytes over
the zones' links, free inside a zone (as in the simulator); each task is released at its job's
arrival. The graph is a relaxation of the simulation (links not shared, a slot keeps every model it
loaded), so its optimum is a lower bound on what any policy could reach in the simulator.

``tasks`` takes part of the workload (one job: the simulator's ``heft`` plans each job on arrival);
a task allowed only in some zones (``Workload.allowed``) costs nothing elsewhere, so it is never
placed there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from orchestrator.placement.costmodel import GPU_SPEED, MODEL_INIT_SECONDS, MODELS
from orchestrator.placement.graph import EdgeSpec, LinkSpec, ResourceSpec, TaskGraph, TaskSpec
from orchestrator.placement.scheduler import Schedule, ScheduledTask
from orchestrator.placement.topology import Topology
from orchestrator.placement.workload import Workload

if TYPE_CHECKING:
    from orchestrator.placement.simulator import Simulation

FREE_BANDWIDTH = 1e18  # inside a zone the simulator charges nothing for a transfer


def workload_graph(w: Workload, topology: Topology, tasks: Sequence[int] | None = None) -> TaskGraph:
    """The workload (or the ``tasks`` of it, closed under predecessors) as a task graph; ids ``t<index>``."""
    speed_of = {**GPU_SPEED, **topology.gpu_speed}
    resources: list[ResourceSpec] = []
    zone_of: dict[str, str] = {}
    speed: dict[str, float | None] = {}
    for z in topology.zones:
        for kind, count in z.gpus.items():
            rid = f"{z.name}/{kind}"
            resources.append(ResourceSpec(id=rid, slots=count, load=_loads(w, topology, z.name)))
            zone_of[rid], speed[rid] = z.name, speed_of.get(kind, 0.5)
        rid = f"{z.name}/cpu"
        resources.append(ResourceSpec(id=rid, slots=max(z.cpus, 1)))
        zone_of[rid], speed[rid] = z.name, None
    ids = range(len(w.kind)) if tasks is None else tasks
    names = topology.zone_names()
    specs = []
    for t in ids:
        gpu = w.model[t] >= 0
        cost = {
            r.id: w.work[t] / speed[r.id] if gpu else w.work[t]
            for r in resources
            if (speed[r.id] is not None) == gpu and _allowed(w, t, names.index(zone_of[r.id]))
        }
        specs.append(
            TaskSpec(
                id=f"t{t}",
                cost=cost,
                model=w.models[w.model[t]] if gpu else None,
                release=w.job_arrival[w.job[t]],
                priority=w.job_priority[w.job[t]],
                group=f"ep{w.episode[t]}" if w.episode[t] >= 0 else None,
            )
        )
    edges = [
        EdgeSpec.model_validate({"from": f"t{p}", "to": f"t{t}", "bytes": w.out_bytes[p]})
        for t in ids
        for p in w.preds[t]
    ]
    links = {}
    for i, a in enumerate(resources):
        for b in resources[i + 1 :]:
            za, zb = zone_of[a.id], zone_of[b.id]
            latency, bandwidth = (0.0, FREE_BANDWIDTH) if za == zb else topology.latency_bandwidth(za, zb)
            links[frozenset((a.id, b.id))] = LinkSpec(between=(a.id, b.id), latency=latency, bandwidth=bandwidth)
    return TaskGraph(resources, specs, edges, links)


def _allowed(w: Workload, t: int, zi: int) -> bool:
    return not w.allowed or bool((w.allowed[t] >> zi) & 1)


def _loads(w: Workload, topology: Topology, zone: str) -> dict[str, float]:
    z = topology.zone(zone)
    out = {}
    for m in w.models:
        nbytes = MODELS[m].weights_bytes if m in MODELS else 10e9
        local = MODEL_INIT_SECONDS + nbytes / z.read_bandwidth
        source = None if m in z.weights else topology.weights_source(m, zone)
        if source is None:
            out[m] = local
        else:
            latency, bandwidth = topology.latency_bandwidth(source, zone)
            out[m] = MODEL_INIT_SECONDS + latency + nbytes / bandwidth  # the simulator's per-GPU stream
    return out


def simulated_schedule(sim: Simulation) -> Schedule:
    """What a finished simulation ran, as a schedule of ``workload_graph``'s graph (the exact solver's
    hint). A GPU task's interval is its run alone (its model load before it, as the graph has it), on
    slot k of "zone/kind" for the zone's k-th GPU of that kind; CPU tasks get a zone's cores in
    order of start, each on the first core free by then."""
    w, names = sim.w, [z.name for z in sim.zones]
    slot_of: dict[int, tuple[str, int]] = {}
    per_resource: dict[str, int] = {}
    for g, (zi, kind) in enumerate(zip(sim.gpu_zone, sim.gpu_kind, strict=True)):
        rid = f"{names[zi]}/{kind}"
        slot_of[g] = (rid, per_resource.get(rid, 0))
        per_resource[rid] = slot_of[g][1] + 1
    cores: dict[int, list[float]] = {}
    tasks: list[ScheduledTask] = []
    for t in sorted(range(len(w.kind)), key=lambda t: (sim.start_time[t], t)):
        finish = sim.finish_time[t]
        if w.model[t] >= 0:
            g = sim.ran_on[t]
            rid, slot = slot_of[g]
            start = finish - w.work[t] / sim.gpu_speed[g]
        else:
            zi, start = sim.zone_of[t], sim.start_time[t]
            free_at = cores.setdefault(zi, [0.0] * max(sim.zones[zi].cpus, 1))
            slot = min(range(len(free_at)), key=lambda k: (free_at[k] > start, k))
            free_at[slot] = finish
            rid = f"{names[zi]}/cpu"
        tasks.append(ScheduledTask(f"t{t}", rid, slot, start, finish))
    tasks.sort(key=lambda st: int(st.id[1:]))
    return Schedule(max(sim.finish_time, default=0.0), tasks)
