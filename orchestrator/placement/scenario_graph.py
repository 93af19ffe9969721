"""A simulator scenario's workload as a task graph, so the exact solver can take the same instance.

Each zone becomes one resource per GPU kind (slots = its GPUs) and one CPU resource (slots = its
cores); a GPU task costs its work over the kind's speed, a CPU task its work; a resource's ``load``
per model is what the simulator charges a GPU without the model (the zone's disk when staged, else
the link from the nearest zone holding it, then the disk read); edges carry the output bytes over
the zones' links, free inside a zone (as in the simulator); each task is released at its job's
arrival. The graph is a relaxation of the simulation (links not shared, a slot keeps every model it
loaded), so its optimum is a lower bound on what any policy could reach in the simulator.
"""

from __future__ import annotations

from orchestrator.placement.costmodel import GPU_SPEED, MODEL_INIT_SECONDS, MODELS
from orchestrator.placement.graph import EdgeSpec, LinkSpec, ResourceSpec, TaskGraph, TaskSpec
from orchestrator.placement.topology import Topology
from orchestrator.placement.workload import Workload

FREE_BANDWIDTH = 1e18  # inside a zone the simulator charges nothing for a transfer


def workload_graph(w: Workload, topology: Topology) -> TaskGraph:
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
    tasks = []
    for t in range(len(w.kind)):
        gpu = w.model[t] >= 0
        cost = {
            r.id: w.work[t] / speed[r.id] if gpu else w.work[t] for r in resources if (speed[r.id] is not None) == gpu
        }
        tasks.append(
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
        for t in range(len(w.kind))
        for p in w.preds[t]
    ]
    links = {}
    for i, a in enumerate(resources):
        for b in resources[i + 1 :]:
            za, zb = zone_of[a.id], zone_of[b.id]
            latency, bandwidth = (0.0, FREE_BANDWIDTH) if za == zb else topology.latency_bandwidth(za, zb)
            links[frozenset((a.id, b.id))] = LinkSpec(between=(a.id, b.id), latency=latency, bandwidth=bandwidth)
    return TaskGraph(resources, tasks, edges, links)


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
