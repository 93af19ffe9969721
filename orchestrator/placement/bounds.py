"""A lower bound on any schedule's makespan for a simulator workload: the ``× lower bound`` figure.

The largest of:
1. chains with arrivals: no task finishes before its job arrives, its inputs are done, and (for a GPU
   task) the first copy of its model could be loaded, plus its own run on the fastest GPU kind;
2. arrivals and capacity: the GPU work of the jobs arriving at or after any arrival time a needs at
   least its speed-1 seconds over the sum of GPU speeds after a (the same for CPU work and cores);
3. zones: work allowed only in some zones (``Workload.allowed``) over those zones' capacity;
4. weight loads: every GPU that runs a model loads it first; a GPU can do at most
   max-speed × (T − load) of a model's work by time T, so a model with W seconds of work needs
   ceil(W / that) loads, each holding a GPU; the smallest T whose capacity covers work plus loads.
5. GPU kinds and arrivals: by time T a task of x speed-1 seconds from a job arriving at a can only
   have run on a kind with speed >= x / (T - a) (a Wan clip does not fit on an H20 in the time
   left); for every arrival cut a and every kind, the work of later jobs that needs that kind or a
   faster one must fit in those kinds' capacity after a. The smallest such T, by bisection.
GPU kinds are related machines (one speed each, every kind can run every model); zone-restricted
work is 3.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Callable

from orchestrator.placement.costmodel import GPU_SPEED, MODEL_INIT_SECONDS, MODELS
from orchestrator.placement.topology import Topology
from orchestrator.placement.workload import Workload


def lower_bound(w: Workload, topology: Topology) -> float:
    speed_of = {**GPU_SPEED, **topology.gpu_speed}
    speeds = [speed_of.get(k, 0.5) for z in topology.zones for k, c in z.gpus.items() for _ in range(c)]
    if not w.kind:
        return 0.0
    cpus = sum(max(z.cpus, 1) for z in topology.zones)
    load = _first_load_seconds(w, topology)
    bounds = [
        _chains(w, max(speeds, default=1.0), load),
        _arrivals(w, sum(speeds), cpus),
        _zones(w, topology, speed_of),
        _loads(w, speeds, load),
        _kinds(w, speeds),
    ]
    return max(bounds)


def _first_load_seconds(w: Workload, topology: Topology) -> list[float]:
    """Per model, the quickest any GPU could hold it: init plus its bytes at the best bandwidth around."""
    bandwidth = max(
        [z.read_bandwidth for z in topology.zones]
        + [x.bandwidth for x in topology.links]
        + ([topology.default_link.bandwidth] if topology.default_link else [])
    )
    return [MODEL_INIT_SECONDS + (MODELS[m].weights_bytes if m in MODELS else 10e9) / bandwidth for m in w.models]


def _chains(w: Workload, best_speed: float, load: list[float]) -> float:
    """Earliest finish of every task with unlimited GPUs (ids are topological)."""
    # One pass over the task lists side by side (no indexing by task id), finishes appended in id
    # order: the 4M tasks of 1M shots took 1.8 s indexed.
    finish: list[float] = []
    append = finish.append
    arrival = w.job_arrival
    for j, m, x, ps in zip(w.job, w.model, w.work, w.preds, strict=True):
        start = arrival[j]
        if m >= 0 and load[m] > start:
            start = load[m]
        for p in ps:
            if finish[p] > start:
                start = finish[p]
        append(start + (x / best_speed if m >= 0 else x))
    return max(finish)


def _arrivals(w: Workload, total_speed: float, cpus: int) -> float:
    """max over arrival times a of a + (work arriving at or after a) / capacity, GPU and CPU apart."""
    gpu_by_job = [0.0] * len(w.job_arrival)
    cpu_by_job = [0.0] * len(w.job_arrival)
    for j, m, x in zip(w.job, w.model, w.work, strict=True):
        if m >= 0:
            gpu_by_job[j] += x
        else:
            cpu_by_job[j] += x
    best = 0.0
    gpu_after = cpu_after = 0.0
    for j in sorted(range(len(w.job_arrival)), key=w.job_arrival.__getitem__, reverse=True):
        gpu_after += gpu_by_job[j]
        cpu_after += cpu_by_job[j]
        a = w.job_arrival[j]
        best = max(best, a + (gpu_after / total_speed if total_speed else 0.0), a + cpu_after / cpus)
    return best


def _zones(w: Workload, topology: Topology, speed_of: dict[str, float]) -> float:
    """Work allowed only in a set of zones over that set's GPU capacity (from the first arrival)."""
    if not w.allowed:
        return 0.0
    capacity = [sum(speed_of.get(k, 0.5) * c for k, c in z.gpus.items()) for z in topology.zones]
    by_mask: dict[int, float] = {}
    for m, mask, x in zip(w.model, w.allowed, w.work, strict=True):
        if m >= 0:
            by_mask[mask] = by_mask.get(mask, 0.0) + x
    first = min(w.job_arrival, default=0.0)
    best = 0.0
    for subset in set(by_mask):
        inside = sum(x for mask, x in by_mask.items() if mask & ~subset == 0)
        cap = sum(c for zi, c in enumerate(capacity) if (subset >> zi) & 1)
        if cap:
            best = max(best, first + inside / cap)
    return best


def _loads(w: Workload, speeds: list[float], load: list[float]) -> float:
    """The smallest T (bisection) at which total capacity covers the GPU work and the loads it forces."""
    if not speeds:
        return 0.0
    per_model = [0.0] * len(w.models)
    for m, x in zip(w.model, w.work, strict=True):
        if m >= 0:
            per_model[m] += x
    first = min(w.job_arrival, default=0.0)
    total, s_max, s_min = sum(speeds), max(speeds), min(speeds)
    work = sum(per_model)

    def fits(span: float) -> bool:
        need = work
        for m, wm in enumerate(per_model):
            if wm <= 0:
                continue
            room = s_max * (span - load[m])
            if room <= 0:
                return False
            need += math.ceil(wm / room) * load[m] * s_min
        return total * span >= need

    lo, hi = 0.0, max(1.0, 2 * work / total + 2 * max(load, default=0.0))
    while not fits(hi):
        hi *= 2
    return first + least_fitting(fits, lo, hi, 60)


def _kinds(w: Workload, speeds: list[float]) -> float:
    """Bound 5: the smallest T (bisection) at which, for every arrival cut and GPU kind, the work of
    jobs arriving at or after the cut that only that kind or faster ones can finish by T fits."""
    if not speeds:
        return 0.0
    kinds = sorted(set(speeds))
    capacity = [sum(x for x in speeds if x >= k) for k in kinds]  # speed of the kinds >= kinds[i]
    jobs = sorted(range(len(w.job_arrival)), key=w.job_arrival.__getitem__, reverse=True)
    works: list[list[float]] = [[] for _ in w.job_arrival]
    for j, m, x in zip(w.job, w.model, w.work, strict=True):
        if m >= 0:
            works[j].append(x)
    prefix = []  # per job: its GPU work sorted descending, as prefix sums
    for ws in works:
        ws.sort(reverse=True)
        acc, sums = 0.0, []
        for x in ws:
            acc += x
            sums.append(acc)
        prefix.append((ws, sums))

    def need_by_kind(j: int, span: float) -> list[float]:
        """Job j's work that kinds[i] or faster must do (tasks too long for anything slower)."""
        ws, sums = prefix[j]
        out = []
        for i in range(len(kinds)):
            if i == 0:
                out.append(sums[-1] if sums else 0.0)
                continue
            limit = kinds[i - 1] * span  # longer than this does not fit on kinds[i-1] by T
            n = count_above(ws, limit)
            out.append(sums[n - 1] if n else 0.0)
        return out

    def fits(end: float) -> bool:
        after = [0.0] * len(kinds)
        for j in jobs:
            a = w.job_arrival[j]
            span = end - a
            if span <= 0 or (prefix[j][0] and prefix[j][0][0] > kinds[-1] * span):
                return False
            for i, x in enumerate(need_by_kind(j, span)):
                after[i] += x
            if any(after[i] > capacity[i] * span for i in range(len(kinds))):
                return False
        return True

    lo = 0.0
    hi = max(w.job_arrival, default=0.0) + sum(w.work) / min(speeds) + 1.0
    return least_fitting(fits, lo, hi, 50)


def least_fitting(fits: Callable[[float], bool], lo: float, hi: float, steps: int) -> float:
    """The least value in [lo, hi] that the monotone ``fits`` accepts, to (hi - lo) / 2**steps (bisection)."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if fits(mid) else (mid, hi)
    return hi


def count_above(descending: list[float], limit: float) -> int:
    """How many of a descending list exceed ``limit``."""
    return bisect.bisect_left(descending, -limit, key=operator.neg)
