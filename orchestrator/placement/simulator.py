"""Discrete-event simulation of the cluster: many studios' jobs arriving over time on the zones' GPUs.

Each job is a DAG: per episode a storyboard (LLM); per job its character sheets (image model); per
shot a keyframe (image model) -> motion clip (the studio's video model) -> shot mux (CPU, with the
shot's voice from the TTS model); per episode an assembly of its shots (CPU). A placement policy picks
a zone for each task when it becomes ready; inside a zone a task waits in a priority queue for a GPU
(the fastest free one that already holds its model, else any free one, which then loads the model) or
a CPU core. Inputs produced in another zone are shipped over the link between the zones first.

Links share bandwidth fairly among concurrent transfers (processor sharing, simulated exactly with a
virtual-time heap per link). Model weights come from the zone's own disk when they are staged there,
else they stream over the link from a zone that has them, competing with artifact transfers.

Policies:
- ``kaipai``: earliest estimated finish over zones, counting the zone's first free GPU and queued work,
  transfers in, weight loads (warm GPUs, staged weights) and shipping a shot's output back to its
  episode's home zone; studio priority then remaining path length orders each queue. Locality
  first: a task whose episode inputs all sit in the home zone stays there, unweighed, when that zone
  can start it now about as fast as anywhere (a free core; an idle GPU holding its model). Inside a zone a
  task goes to the idle GPU where it finishes first, unless a faster kind would get to it (after the
  queue ahead) and finish it sooner: no 1,700 s clip straggles on a 0.3x GPU. An idle GPU takes queued
  work from a backed-up zone when it outranks its own queue and finishes sooner here, transfers and
  weights included. A zone lacking a model fetches one copy; its other GPUs wait for it.
- ``heft``: online HEFT: earliest estimated finish with backlog and transfers, no knowledge of weights
  or episodes; queues ordered by upward rank.
- ``zone-blind``: Ray's default: ignores zones and data; spreads tasks over zones by GPU count.
- ``single-zone``: everything in the zone with the most GPU throughput.
- ``locality``: greedy data locality: the zone holding most of a task's input bytes (first task of a
  chain: a zone with its weights staged), with no regard for load.

Why kaipai wins: video stages dominate and their clips are large mezzanine files, and multi-ten-GB
weights are only staged in some zones. Zone-blind placement ships most clips across the shared
inter-zone links and streams weights to GPUs in zones where they are not staged, so GPUs sit waiting
on the links; single-zone and locality leave other zones idle. kaipai keeps each episode's chain in one
zone, prefers zones with the weights, and spills only when the backlog elsewhere outweighs the transfer.

Everything is O(log n) per event (heaps per zone and link, counters for backlog), so a 100k-shot
scenario runs in seconds. No ray or torch imports here.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from orchestrator.placement.costmodel import GPU_SPEED, MODEL_INIT_SECONDS, MODELS, CostModel
from orchestrator.placement.scenario import Scenario

POLICIES = ("kaipai", "heft", "zone-blind", "single-zone", "locality")

# Task kinds
STORYBOARD, CHARACTER, KEYFRAME, MOTION, VOICE, MUX, ASSEMBLY = range(7)
SHOT_KINDS = (KEYFRAME, MOTION, VOICE, MUX)

# Events
ARRIVE, DONE, LINK, INPUTS, WEIGHTS, ZONE_WEIGHTS = range(6)

CPU_MUX_PER_SECOND = 0.6  # ffmpeg mux of a mezzanine clip with voices, per second of shot, one core
CPU_ASSEMBLY_PER_SHOT = 1.5  # concat + burn-in + encode per shot of the episode, one core
LINES_PER_SHOT = 1.4  # a shot's voice task synthesises its lines in one batch
LOCALITY_SLACK_S = 1.0  # kaipai keeps a task home when elsewhere would save at most this much GPU time


@dataclass
class Result:
    policy: str
    makespan: float
    lower_bound: float
    gpu_utilization: float
    cross_zone_bytes: float
    weight_bytes_streamed: float
    job_p50: float
    job_p95: float
    tasks: int
    shots: int
    jobs_count: int
    per_zone_tasks: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "policy": self.policy,
            "makespan": round(self.makespan, 3),
            "lower_bound": round(self.lower_bound, 3),
            "ratio_to_lower_bound": round(self.makespan / self.lower_bound, 4) if self.lower_bound else None,
            "gpu_utilization": round(self.gpu_utilization, 4),
            "cross_zone_bytes": int(self.cross_zone_bytes),
            "weight_bytes_streamed": int(self.weight_bytes_streamed),
            "jobs": {"count": self.jobs_count, "p50": round(self.job_p50, 3), "p95": round(self.job_p95, 3)},
            "tasks": self.tasks,
            "shots": self.shots,
            "per_zone_tasks": self.per_zone_tasks,
        }


@dataclass
class Workload:
    """Parallel lists indexed by task id (no object per task: 100k shots are ~400k tasks)."""

    kind: list[int] = field(default_factory=list)
    model: list[int] = field(default_factory=list)  # index into models, -1 for CPU tasks
    work: list[float] = field(default_factory=list)  # seconds at speed 1 (H100) or on one core
    out_bytes: list[float] = field(default_factory=list)
    job: list[int] = field(default_factory=list)
    episode: list[int] = field(default_factory=list)
    rank: list[float] = field(default_factory=list)  # remaining path length at speed 1
    preds: list[tuple[int, ...]] = field(default_factory=list)
    succs: list[list[int]] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    job_arrival: list[float] = field(default_factory=list)
    job_priority: list[int] = field(default_factory=list)
    job_roots: list[list[int]] = field(default_factory=list)
    job_tasks: list[int] = field(default_factory=list)  # tasks per job, to tell when a job is done
    shots: int = 0


def _model_seconds(model: str, per_unit_default: float) -> float:
    facts = MODELS.get(model)
    return facts.seconds if facts else per_unit_default


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Millions of small lists and tuples and no reference cycles: the cyclic collector would only
    rescan them again and again (a third of generation time at 100k shots)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate(scenario: Scenario) -> Workload:
    """The scenario's jobs as one task list, from its seed."""
    with _no_cycle_collection():
        return _generate(scenario)


def _generate(scenario: Scenario) -> Workload:
    spec = scenario.spec.workload
    rng = random.Random(scenario.spec.seed)
    w = Workload()
    model_index: dict[str, int] = {}

    def mid(name: str) -> int:
        if name not in model_index:
            model_index[name] = len(w.models)
            w.models.append(name)
        return model_index[name]

    sb_model, img_model, tts_model = mid(spec.storyboard_model), mid(spec.image_model), mid(spec.voice_model)
    sb_s = _model_seconds(spec.storyboard_model, 25.0)
    img_s = _model_seconds(spec.image_model, 2.0)
    tts_s = _model_seconds(spec.voice_model, 0.5) * LINES_PER_SHOT
    sizes = CostModel.artifact_bytes
    key_bytes, voice_bytes = sizes("keyframe", {}), sizes("voice", {}) * LINES_PER_SHOT
    clip_bytes_per_s = sizes("motion", {"shot": {"duration": 1.0}})
    studios = spec.studios
    weights = [s.share for s in studios]
    kind, model, work, out_bytes, job_of, ep_of, rank, preds, succs = (
        w.kind,
        w.model,
        w.work,
        w.out_bytes,
        w.job,
        w.episode,
        w.rank,
        w.preds,
        w.succs,
    )

    def add(k: int, m: int, seconds: float, nbytes: float, j: int, e: int, parents: tuple[int, ...]) -> int:
        t = len(kind)
        kind.append(k)
        model.append(m)
        work.append(seconds)
        out_bytes.append(nbytes)
        job_of.append(j)
        ep_of.append(e)
        rank.append(0.0)
        preds.append(parents)
        succs.append([])
        for p in parents:
            succs[p].append(t)
        return t

    t_arrival = 0.0
    episode_no = 0
    limit = spec.total_shots
    lo_s, hi_s = spec.shot_seconds
    for j in range(spec.jobs if limit is None else 10**9):
        if limit is not None and w.shots >= limit:
            break
        studio = rng.choices(studios, weights)[0]
        motion_model = mid(studio.motion_model)
        motion_per_s = _model_seconds(studio.motion_model, 5.0)
        if spec.arrival == "poisson" and j:
            t_arrival += rng.expovariate(spec.rate_per_hour / 3600.0)
        w.job_arrival.append(t_arrival)
        w.job_priority.append(studio.priority)
        first = len(kind)
        character = add(CHARACTER, img_model, 3 * img_s, sizes("character", {}), j, -1, ())
        roots = [character]
        for _ in range(rng.randint(*spec.episodes_per_job)):
            if limit is not None and w.shots >= limit:
                break
            e = episode_no
            episode_no += 1
            board = add(STORYBOARD, sb_model, sb_s, sizes("storyboard", {}), j, e, ())
            roots.append(board)
            muxes = []
            n_shots = rng.randint(*spec.shots_per_episode)
            if limit is not None:
                n_shots = min(n_shots, limit - w.shots)
            board_succs, character_succs = succs[board], succs[character]
            for _ in range(n_shots):  # a shot's four tasks in bulk: key, clip <- key, voice, mux <- clip + voice
                seconds = rng.uniform(lo_s, hi_s)
                key = len(kind)
                clip, voice, mux = key + 1, key + 2, key + 3
                kind.extend(SHOT_KINDS)
                model.extend((img_model, motion_model, tts_model, -1))
                clip_bytes = clip_bytes_per_s * seconds
                work.extend((img_s, motion_per_s * seconds, tts_s, CPU_MUX_PER_SECOND * seconds))
                out_bytes.extend((key_bytes, clip_bytes, voice_bytes, clip_bytes))
                job_of.extend((j, j, j, j))
                ep_of.extend((e, e, e, e))
                preds.extend(((board, character), (key,), (board,), (clip, voice)))
                succs.extend(([clip], [mux], [mux], []))
                board_succs.append(key)
                character_succs.append(key)
                board_succs.append(voice)
                muxes.append(mux)
            w.shots += n_shots
            add(ASSEMBLY, -1, CPU_ASSEMBLY_PER_SHOT * max(n_shots, 1), sizes("assembly", {}), j, e, tuple(muxes))
        w.job_roots.append(roots)
        w.job_tasks.append(len(kind) - first)
    rank.extend([0.0] * (len(kind) - len(rank)))
    for t in range(len(kind) - 1, -1, -1):  # children always have higher ids than parents
        after = 0.0
        for s in succs[t]:
            if rank[s] > after:
                after = rank[s]
        rank[t] = work[t] + after
    return w


class _Link:
    """Processor sharing: n concurrent transfers each get bandwidth / n. Virtual time V counts the
    bytes every active transfer has received; a transfer of b bytes started at V0 ends when V = V0 + b."""

    __slots__ = ("bandwidth", "heap", "last", "latency", "v", "version")

    def __init__(self, latency: float, bandwidth: float) -> None:
        self.latency, self.bandwidth = latency, bandwidth
        self.v = 0.0
        self.last = 0.0
        self.heap: list[tuple[float, int]] = []
        self.version = 0

    def advance(self, now: float) -> None:
        if self.heap:
            self.v += (now - self.last) * self.bandwidth / len(self.heap)
        self.last = now

    def next_time(self) -> float:
        return self.last + (self.heap[0][0] - self.v) * len(self.heap) / self.bandwidth


def simulate(scenario: Scenario, policy: str = "kaipai", workload: Workload | None = None) -> Result:
    """Run the scenario's workload under ``policy``; returns makespan, bounds and traffic."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    w = workload or generate(scenario)
    with _no_cycle_collection():
        return _simulate(scenario, policy, w)


def _simulate(scenario: Scenario, policy: str, w: Workload) -> Result:
    topo = scenario.topology
    zones = topo.zones
    nz = len(zones)
    speed_of = {**GPU_SPEED, **topo.gpu_speed}
    models = w.models
    model_bytes = [(MODELS[m].weights_bytes if m in MODELS else 10e9) for m in models]
    # Weights on each zone's disk. A zone that streams a model from another zone keeps it afterwards
    # (its cache), but every GPU that loads it before the copy lands streams it too.
    staged = [[m in z.weights for m in models] for z in zones]

    # --- GPUs and CPUs
    gpu_speed: list[float] = []
    gpu_zone: list[int] = []
    gpu_model: list[int] = []
    free: list[list[list[tuple[float, int]]]] = [[[] for _ in range(len(models) + 1)] for _ in range(nz)]
    # free[z][m]: heap of (-speed, gpu) idle GPUs holding model m (index len(models) = none loaded)
    none = len(models)
    for zi, z in enumerate(zones):
        for kind_name, count in z.gpus.items():
            s = speed_of.get(kind_name, 0.5)
            for _ in range(count):
                g = len(gpu_speed)
                gpu_speed.append(s)
                gpu_zone.append(zi)
                gpu_model.append(none)
                free[zi][none].append((-s, g))
        heapq.heapify(free[zi][none])
    # GPU groups: one per (zone, kind), fastest first, so kaipai can ask "when does a faster GPU free up?"
    group_of: list[int] = []
    group_speed: list[float] = []
    zone_groups: list[list[int]] = [[] for _ in range(nz)]
    for zi, s in zip(gpu_zone, gpu_speed, strict=True):
        key = next((x for x in zone_groups[zi] if group_speed[x] == s), -1)
        if key < 0:
            key = len(group_speed)
            group_speed.append(s)
            zone_groups[zi].append(key)
        group_of.append(key)
    for zi in range(nz):
        zone_groups[zi].sort(key=lambda x: -group_speed[x])
    free_in_group = [0] * len(group_speed)
    for x in group_of:
        free_in_group[x] += 1
    group_capacity = [group_speed[x] * free_in_group[x] for x in range(len(group_speed))]
    busy_heap: list[list[tuple[float, int]]] = [[] for _ in group_speed]  # (estimated finish, gpu)
    busy_until = [0.0] * len(gpu_speed)
    queued = [0] * nz  # GPU tasks waiting in each zone's queues
    queued_work = [0.0] * nz
    fetching: list[dict[int, list[tuple[int, int]]]] = [{} for _ in range(nz)]  # zone copies in flight
    max_speed = [max((group_speed[x] for x in zone_groups[zi]), default=0.0) for zi in range(nz)]
    free_count = [sum(z.gpus.values()) for z in zones]
    speed_sum = [sum(speed_of.get(k, 0.5) * c for k, c in z.gpus.items()) for z in zones]
    avg_speed = [speed_sum[i] / free_count[i] if free_count[i] else 0.0 for i in range(nz)]
    warm = [[0] * len(models) for _ in range(nz)]  # GPUs holding each model, per zone
    cpu_free = [max(z.cpus, 1) for z in zones]
    n_cpus = list(cpu_free)
    gpu_queue: list[list[list[tuple]]] = [[[] for _ in models] for _ in range(nz)]  # heaps of queue_key(t)
    cpu_queue: list[list[tuple]] = [[] for _ in range(nz)]
    backlog = [0.0] * nz  # GPU work (speed-1 seconds) placed in a zone and not finished
    cpu_backlog = [0.0] * nz

    links: dict[tuple[int, int], _Link] = {}
    for a in range(nz):
        for b in range(a + 1, nz):
            latency, bandwidth = topo.latency_bandwidth(zones[a].name, zones[b].name)
            links[(a, b)] = links[(b, a)] = _Link(latency, bandwidth)
    weight_source: list[list[int]] = []
    for z in zones:
        row = []
        for m in models:
            src = topo.weights_source(m, z.name) if m not in z.weights else z.name
            row.append(topo.zone_names().index(src) if src else -1)
        weight_source.append(row)
    load_local = [[MODEL_INIT_SECONDS + model_bytes[m] / z.read_bandwidth for m in range(len(models))] for z in zones]

    n = len(w.kind)
    model, work, out_bytes, preds, succs = w.model, w.work, w.out_bytes, w.preds, w.succs
    episode, job_of, rank = w.episode, w.job, w.rank
    remaining = [len(p) for p in preds]
    zone_of = [-1] * n
    pending = [0] * n
    finish_time = [0.0] * n
    job_left = list(w.job_tasks)
    job_done = [0.0] * len(w.job_tasks)
    home: dict[int, int] = {}
    events: list[tuple] = []
    seq = itertools.count(1)
    transfer_target: list[tuple[int, int, int]] = []  # (event kind, task, gpu)
    cross_bytes = 0.0
    weight_bytes = 0.0
    busy_compute = 0.0
    per_zone = [0] * nz
    kaipai = policy == "kaipai"
    heft = policy == "heft"
    rr = random.Random(scenario.spec.seed + 1)
    zone_weights = [max(c, 0) for c in free_count]
    biggest = max(range(nz), key=lambda i: speed_sum[i])
    now = 0.0

    def push(t: float, ev: int, a: int, b: int = 0) -> None:
        heapq.heappush(events, (t, next(seq), ev, a, b))

    def start_transfer(src: int, dst: int, nbytes: float, ev: int, task: int, gpu: int) -> None:
        nonlocal cross_bytes
        link = links[(src, dst)]
        link.advance(now)
        tid = len(transfer_target)
        transfer_target.append((ev, task, gpu))
        heapq.heappush(link.heap, (link.v + nbytes, tid))
        cross_bytes += nbytes
        link.version += 1
        push(link.next_time(), LINK, src * nz + dst, link.version)

    def queue_key(t: int) -> tuple:
        """A queue entry: the ordering key, ending with the task id (unique, so ties never compare further)."""
        if kaipai:
            return (-w.job_priority[job_of[t]], -rank[t], t)
        if heft:
            return (-rank[t], t)
        return (t,)

    def take_gpu(g: int) -> None:
        """Mark idle GPU g busy (callers pop it from its free heap)."""
        free_count[gpu_zone[g]] -= 1
        free_in_group[group_of[g]] -= 1
        first_free_at[gpu_zone[g]] = -1.0

    def mark_busy(g: int, until: float) -> None:
        busy_until[g] = until
        heapq.heappush(busy_heap[group_of[g]], (until, g))
        first_free_at[gpu_zone[g]] = -1.0

    def run_on_gpu(t: int, g: int) -> None:
        """Start task t on GPU g (already taken), loading its model first when g does not hold it."""
        nonlocal weight_bytes
        zi = gpu_zone[g]
        m = model[t]
        old = gpu_model[g]
        run = work[t] / gpu_speed[g]
        if old == m:
            mark_busy(g, now + run)
            push(now + run, DONE, t, g)
            return
        if old != none:
            warm[zi][old] -= 1
        gpu_model[g] = m
        warm[zi][m] += 1
        src = weight_source[zi][m]
        if staged[zi][m] or src < 0:
            mark_busy(g, now + load_local[zi][m] + run)
            push(now + load_local[zi][m] + run, DONE, t, g)
        elif kaipai:
            # One copy per zone: the first GPU to need the model starts it, the others wait for it
            # and then read it from the zone's disk like staged weights.
            mark_busy(g, now + fetch_estimate(zi, m) + run)
            waiting = fetching[zi].get(m)
            if waiting is None:
                fetching[zi][m] = [(t, g)]
                weight_bytes += model_bytes[m]
                start_transfer(src, zi, model_bytes[m], ZONE_WEIGHTS, zi, m)
            else:
                waiting.append((t, g))
        else:
            mark_busy(g, now + transfer_estimate(src, zi, model_bytes[m]) + MODEL_INIT_SECONDS + run)
            weight_bytes += model_bytes[m]
            start_transfer(src, zi, model_bytes[m], WEIGHTS, t, g)

    def enqueue(t: int) -> None:
        zi = zone_of[t]
        m = model[t]
        if m < 0:
            if cpu_free[zi]:
                cpu_free[zi] -= 1
                push(now + work[t], DONE, t, -1)
            else:
                heapq.heappush(cpu_queue[zi], queue_key(t))
            return
        if kaipai:
            queued_work[zi] += work[t]
            if free_count[zi] and not queued[zi]:  # dispatch() with t the only head, without the queue
                i, _ = best_free_gpu(zi, t)
                if not faster_soon(zi, t, -free[zi][i][0][0]):
                    queued_work[zi] -= work[t]
                    _, g = heapq.heappop(free[zi][i])
                    take_gpu(g)
                    run_on_gpu(t, g)
                    return
            heapq.heappush(gpu_queue[zi][m], queue_key(t))
            queued[zi] += 1
            dispatch(zi)
            return
        if free_count[zi]:
            own = free[zi][m]
            if own:
                _, g = heapq.heappop(own)
            else:
                pool = max((lst for lst in free[zi] if lst), key=len)
                _, g = heapq.heappop(pool)
            take_gpu(g)
            run_on_gpu(t, g)
        else:
            heapq.heappush(gpu_queue[zi][m], queue_key(t))

    def gpu_idle(g: int) -> None:
        zi = gpu_zone[g]
        if kaipai:
            heapq.heappush(free[zi][gpu_model[g]], (-gpu_speed[g], g))
            free_count[zi] += 1
            free_in_group[group_of[g]] += 1
            first_free_at[zi] = -1.0
            steal(zi)  # a backed-up zone's more urgent work first
            dispatch(zi)
            return
        queues = gpu_queue[zi]
        m = gpu_model[g]
        if m != none and queues[m]:
            t = heapq.heappop(queues[m])[-1]
            run_on_gpu(t, g)
            return
        best = None
        for q in queues:
            if q and (best is None or q[0] < best[0]):
                best = q
        if best is not None:
            t = heapq.heappop(best)[-1]
            run_on_gpu(t, g)
            return
        heapq.heappush(free[zi][m], (-gpu_speed[g], g))
        free_count[zi] += 1
        free_in_group[group_of[g]] += 1

    # --- kaipai: a task goes to the free GPU where it finishes first, unless a faster GPU of its zone
    # frees up soon enough to finish it sooner still (a 1,700 s clip on a 0.3x H20 is a straggler).

    def fetch_estimate(zi: int, m: int) -> float:
        """Seconds until model m could run on a GPU of zone zi that does not hold it."""
        if staged[zi][m] or weight_source[zi][m] < 0:
            return load_local[zi][m]
        return transfer_estimate(weight_source[zi][m], zi, model_bytes[m]) + load_local[zi][m]

    def group_free_at(x: int) -> float:
        """When the first GPU of group x is free: now if one is idle, else its earliest estimated finish."""
        if free_in_group[x]:
            return now
        heap = busy_heap[x]
        while heap and (busy_until[heap[0][1]] != heap[0][0] or heap[0][0] < now):
            heapq.heappop(heap)
        return heap[0][0] if heap else now

    first_free_at = [-1.0] * nz  # zone_first_free's answer until the zone's GPUs change (-1: stale)

    def zone_first_free(zi: int) -> float:
        """When zone zi's first GPU is free (now if one is idle)."""
        first = first_free_at[zi]
        if first >= now:
            return first
        first = float("inf")
        for x in zone_groups[zi]:
            at = group_free_at(x)
            if at < first:
                first = at
        first_free_at[zi] = first
        return first

    def fastest_free(zi: int) -> float:
        """Speed of zone zi's fastest idle GPU (callers check that one is idle)."""
        for x in zone_groups[zi]:
            if free_in_group[x]:
                return group_speed[x]
        return 0.0

    def best_free_gpu(zi: int, t: int) -> tuple[int, float]:
        """(heap index, seconds to finish) of zone zi's idle GPU finishing task t first: one that holds
        its model, or the fastest idle one plus loading the model (O(GPU kinds), no scan of the heaps;
        among equally fast cold GPUs the lowest heap index, evicting the same model every time)."""
        m = model[t]
        fastest = fastest_free(zi)
        own = free[zi][m]
        if own:
            speed = -own[0][0]
            if speed >= fastest:  # loading weights always costs time, so a warm GPU as fast wins
                return m, work[t] / speed
            warm_s = work[t] / speed
        else:
            warm_s = -1.0
        cold_s = fetch_estimate(zi, m) + work[t] / fastest
        if 0.0 <= warm_s <= cold_s:
            return m, warm_s
        for i, heap in enumerate(free[zi]):
            if i != m and heap and -heap[0][0] == fastest:
                return i, cold_s
        raise AssertionError("free_in_group and the free heaps disagree")

    def best_free_seconds(zi: int, t: int) -> float:
        """Seconds until zone zi's best idle GPU finishes task t (best_free_gpu without the heap)."""
        m = model[t]
        fastest = fastest_free(zi)
        own = free[zi][m]
        if own:
            speed = -own[0][0]
            if speed >= fastest:
                return work[t] / speed
            return min(work[t] / speed, fetch_estimate(zi, m) + work[t] / fastest)
        return fetch_estimate(zi, m) + work[t] / fastest

    def faster_soon(zi: int, t: int, speed: float) -> bool:
        """Whether a faster GPU of zone zi would get to t and finish it before ``speed`` would: the
        faster GPUs first drain the rest of the zone's queue, so a long queue is shared with slow GPUs."""
        mine = work[t] / speed
        ahead = max(queued_work[zi] - work[t], 0.0)
        for x in zone_groups[zi]:
            s = group_speed[x]
            if s <= speed:
                break
            if free_in_group[x]:  # idle ones were weighed already, load included; waiting on them
                continue  # would have no event to wake this task
            if group_free_at(x) - now + ahead / group_capacity[x] + work[t] / s < mine:
                return True
        return False

    def start_queued(zi: int, m: int, heap_index: int, dst: int) -> tuple[int, int]:
        """Pop the head of zone zi's queue for model m and the head idle GPU of ``free[dst][heap_index]``."""
        t = heapq.heappop(gpu_queue[zi][m])[-1]
        queued[zi] -= 1
        queued_work[zi] -= work[t]
        _, g = heapq.heappop(free[dst][heap_index])
        take_gpu(g)
        return t, g

    def dispatch(zi: int) -> None:
        """Match zone zi's queued tasks (priority, then longest remaining path) with its idle GPUs."""
        queues = gpu_queue[zi]
        while free_count[zi] and queued[zi]:
            if queued[zi] == 1:
                heads = [(None, next(m for m, q in enumerate(queues) if q))]
            else:
                heads = sorted((q[0], m) for m, q in enumerate(queues) if q)
            for _, m in heads:
                t = queues[m][0][-1]
                i, _ = best_free_gpu(zi, t)
                if not faster_soon(zi, t, -free[zi][i][0][0]):
                    run_on_gpu(*start_queued(zi, m, i, zi))
                    break
            else:
                return

    def steal(zi: int) -> None:
        """Idle GPUs of zone zi take queued work from a backed-up zone when it finishes sooner here,
        inputs and weights shipped over included (spill only when the earlier finish pays for it),
        and only work that ranks above this zone's own queue (studio priority, then path length)."""
        own_head = None
        for other in range(nz):
            if other == zi or not queued[other]:
                continue
            if own_head is None and queued[zi]:
                own_head = min(h[0] for h in gpu_queue[zi] if h)
            queues = gpu_queue[other]
            # There, a task starts once the work queued in that zone has drained to its GPUs.
            first = zone_first_free(other) - now
            for m, q in enumerate(queues):
                while q and free_count[zi]:
                    key = q[0]
                    t = key[-1]
                    if own_head is not None and key > own_head:
                        break
                    there = first + (queued_work[other] - work[t]) / speed_sum[other] + work[t] / max_speed[other]
                    seconds = best_free_seconds(zi, t)
                    if seconds >= there:  # not even with free transfers
                        break
                    ship = 0.0
                    for p in preds[t]:
                        if zone_of[p] != zi:
                            ship = max(ship, transfer_estimate(zone_of[p], zi, out_bytes[p]))
                    if ship + seconds >= there:
                        break
                    i, _ = best_free_gpu(zi, t)
                    if faster_soon(zi, t, -free[zi][i][0][0]):
                        break
                    t, g = start_queued(other, m, i, zi)
                    move(t, other, zi)
                    by_src: dict[int, float] = {}
                    for p in preds[t]:
                        if zone_of[p] != zi and out_bytes[p] > 0:
                            by_src[zone_of[p]] = by_src.get(zone_of[p], 0.0) + out_bytes[p]
                    if not by_src:
                        run_on_gpu(t, g)
                        continue
                    mark_busy(g, now + ship + seconds)
                    pending[t] = len(by_src)
                    for src, nbytes in by_src.items():
                        start_transfer(src, zi, nbytes, INPUTS, t, g)

    def move(t: int, src: int, dst: int) -> None:
        zone_of[t] = dst
        per_zone[src] -= 1
        per_zone[dst] += 1
        backlog[src] -= work[t]
        backlog[dst] += work[t]

    def transfer_estimate(src: int, dst: int, nbytes: float) -> float:
        link = links[(src, dst)]
        return link.latency + nbytes * (len(link.heap) + 1) / link.bandwidth

    # Locality first: a task whose episode inputs all sit in its episode's home zone stays there, without
    # weighing the other zones, when the home zone can start it now about as fast as anywhere: a free
    # core for CPU work; an idle GPU already holding its model whose run is within LOCALITY_SLACK_S
    # of the run on the fastest GPU anywhere (exact when it is that fast: elsewhere only adds a
    # transfer in). Most tasks take this path, which is what keeps 100k shots fast.
    top_speed = max(gpu_speed, default=0.0)

    def stays_home(t: int, h: int) -> bool:
        for p in preds[t]:  # the episode's own inputs; a series' character sheets are small and shared
            if zone_of[p] != h and episode[p] >= 0:
                return False
        m = model[t]
        if m < 0:
            return cpu_free[h] > 0
        own = free[h][m]
        return bool(own) and work[t] / -own[0][0] - work[t] / top_speed <= LOCALITY_SLACK_S

    link_at = [links.get((a // nz, a % nz)) for a in range(nz * nz)]  # by src * nz + dst

    def inputs_by_zone(ps: tuple[int, ...]) -> list[tuple[int, float]]:
        """(zone, largest input bytes there) for the zones holding inputs; usually just one zone."""
        if not ps:
            return []
        first = zone_of[ps[0]]
        largest = out_bytes[ps[0]]
        for p in ps:
            if zone_of[p] != first:
                break
            if out_bytes[p] > largest:
                largest = out_bytes[p]
        else:
            return [(first, largest)]
        in_zone = [-1.0] * nz  # -1 where none
        for p in ps:
            pz = zone_of[p]
            if out_bytes[p] > in_zone[pz]:
                in_zone[pz] = out_bytes[p]
        return [(pz, in_zone[pz]) for pz in range(nz) if in_zone[pz] >= 0.0]

    def choose_kaipai(t: int) -> int:
        """Earliest estimated finish over zones: inputs shipped in (the largest input per source zone
        decides: transfers from one zone run in parallel), the zone's best idle GPU or its queue,
        weights, and shipping the output back to the episode's home zone."""
        m = model[t]
        ps = preds[t]
        ep = episode[t]
        ep_home = home.get(ep, -1) if ep >= 0 else -1
        if ep_home >= 0 and ps and stays_home(t, ep_home):
            return ep_home
        sources = inputs_by_zone(ps)
        wt = work[t]
        best_z, best_est = -1, 0.0
        for zi in range(nz):
            if m >= 0 and not speed_sum[zi]:
                continue
            ready = 0.0
            for pz, nbytes in sources:
                if pz != zi:
                    link = link_at[pz * nz + zi]
                    x = link.latency + nbytes * (len(link.heap) + 1) / link.bandwidth
                    if x > ready:
                        ready = x
            if m < 0:
                wait = cpu_backlog[zi] / n_cpus[zi]
                est = (ready if ready > wait else wait) + wt
            elif free_count[zi]:
                est = ready + best_free_seconds(zi, t)
            else:  # the zone's first GPU to free up, after the work queued ahead, at its best speed
                first = zone_first_free(zi) - now
                wait = first + queued_work[zi] / speed_sum[zi]
                load = 0.0 if warm[zi][m] else fetch_estimate(zi, m)
                est = (ready if ready > wait else wait) + load + wt / max_speed[zi]
            if ep_home >= 0 and zi != ep_home:
                link = link_at[zi * nz + ep_home]
                est += link.latency + out_bytes[t] * (len(link.heap) + 1) / link.bandwidth
            if best_z < 0 or est < best_est:
                best_z, best_est = zi, est
        if ep >= 0 and ep_home < 0:
            home[ep] = best_z
        return best_z

    def choose_zone(t: int) -> int:
        m = model[t]
        if policy == "single-zone":
            return biggest
        if policy == "zone-blind":
            if m < 0:
                return rr.randrange(nz)
            return rr.choices(range(nz), zone_weights)[0]
        if policy == "locality":
            by_zone = [0.0] * nz
            for p in preds[t]:
                by_zone[zone_of[p]] += out_bytes[p]
            if any(by_zone):
                return max(range(nz), key=by_zone.__getitem__)
            if m >= 0:
                for zi in range(nz):
                    if staged[zi][m] and free_count[zi] + len(gpu_queue[zi]) >= 0 and speed_sum[zi]:
                        return zi
            return biggest
        # heft: earliest estimated finish from backlog and transfers (kaipai: choose_kaipai)
        best_z, best_est = -1, 0.0
        for zi in range(nz):
            if m >= 0 and not speed_sum[zi]:
                continue
            ready = 0.0
            for p in preds[t]:
                pz = zone_of[p]
                if pz != zi:
                    ready = max(ready, transfer_estimate(pz, zi, out_bytes[p]))
            if m < 0:
                wait = cpu_backlog[zi] / n_cpus[zi]
                est = max(ready, wait) + work[t]
            else:
                wait = backlog[zi] / speed_sum[zi]
                est = max(ready, wait) + work[t] / avg_speed[zi]
            if best_z < 0 or est < best_est:
                best_z, best_est = zi, est
        return best_z

    choose = choose_kaipai if kaipai else choose_zone

    def ready(t: int) -> None:
        zi = choose(t)
        zone_of[t] = zi
        per_zone[zi] += 1
        if model[t] >= 0:
            backlog[zi] += work[t]
        else:
            cpu_backlog[zi] += work[t]
        for p in preds[t]:
            if zone_of[p] != zi and out_bytes[p] > 0:
                break
        else:  # every input is here already
            enqueue(t)
            return
        by_src: dict[int, float] = {}
        for p in preds[t]:
            pz = zone_of[p]
            if pz != zi and out_bytes[p] > 0:
                by_src[pz] = by_src.get(pz, 0.0) + out_bytes[p]
        pending[t] = len(by_src)
        for src, nbytes in by_src.items():  # one aggregated transfer per source zone
            start_transfer(src, zi, nbytes, INPUTS, t, -1)

    for j, arrival in enumerate(w.job_arrival):
        push(arrival, ARRIVE, j)

    while events:
        now, _, ev, a, b = heapq.heappop(events)
        if ev == DONE:
            t = a
            finish_time[t] = now
            zi = zone_of[t]
            if b >= 0:
                busy_compute += work[t] / gpu_speed[b]
                backlog[zi] -= work[t]
                gpu_idle(b)
            else:
                cpu_backlog[zi] -= work[t]
                if cpu_queue[zi]:
                    nxt = heapq.heappop(cpu_queue[zi])[-1]
                    push(now + work[nxt], DONE, nxt, -1)
                else:
                    cpu_free[zi] += 1
            j = job_of[t]
            job_left[j] -= 1
            if not job_left[j]:
                job_done[j] = now
            for s in succs[t]:
                remaining[s] -= 1
                if not remaining[s]:
                    ready(s)
        elif ev == LINK:
            link = links[(a // nz, a % nz)]
            if b != link.version:
                continue
            link.advance(now)
            done_at = link.v * (1 + 1e-12) + 1.0  # within a byte: float time steps cannot split hairs
            while link.heap and link.heap[0][0] <= done_at:
                _, tid = heapq.heappop(link.heap)
                kind_ev, task, gpu = transfer_target[tid]
                push(now + link.latency, kind_ev, task, gpu)
            if link.heap:
                link.version += 1
                push(link.next_time(), LINK, a, link.version)
        elif ev == INPUTS:
            pending[a] -= 1
            if not pending[a]:
                if b >= 0:  # inputs of a task a GPU took from another zone's queue
                    run_on_gpu(a, b)
                else:
                    enqueue(a)
        elif ev == ZONE_WEIGHTS:
            staged[a][b] = True
            for t, g in fetching[a].pop(b):
                push(now + load_local[a][b] + work[t] / gpu_speed[g], DONE, t, g)
        elif ev == WEIGHTS:
            staged[gpu_zone[b]][model[a]] = True  # the zone's disk keeps what it fetched
            push(now + MODEL_INIT_SECONDS + work[a] / gpu_speed[b], DONE, a, b)
        else:  # ARRIVE
            for root in w.job_roots[a]:
                ready(root)

    makespan = max(finish_time, default=0.0)
    if any(job_left):  # a policy left work queued with no event to start it: a bug, never a result
        raise RuntimeError(f"{policy}: {sum(1 for x in job_left if x)} jobs never finished")
    total_gpus = len(gpu_speed)
    lb = lower_bound(w, sum(gpu_speed), max(gpu_speed, default=1.0), sum(n_cpus))
    spans = sorted(job_done[j] - w.job_arrival[j] for j in range(len(job_done)))
    return Result(
        policy=policy,
        makespan=makespan,
        lower_bound=lb,
        gpu_utilization=busy_compute / (total_gpus * makespan) if makespan and total_gpus else 0.0,
        cross_zone_bytes=cross_bytes,
        weight_bytes_streamed=weight_bytes,
        job_p50=_percentile(spans, 0.50),
        job_p95=_percentile(spans, 0.95),
        tasks=n,
        shots=w.shots,
        jobs_count=len(spans),
        per_zone_tasks={zones[i].name: per_zone[i] for i in range(nz)},
    )


def lower_bound(w: Workload, total_speed: float, best_speed: float, cpus: int) -> float:
    """max(latest arrival + its job's critical path, total work over capacity).

    GPU kinds are related machines (one speed each), so no schedule finishes the GPU work faster than
    its speed-1 seconds over the sum of speeds, nor a chain faster than on the fastest GPU; transfers
    and model loads only add to that.
    """
    total = sum(w.work)
    cpu_work = sum(x for x, m in zip(w.work, w.model, strict=True) if m < 0)
    gpu_work = total - cpu_work
    if best_speed == 1.0:  # the upward rank is the critical path already
        path = w.rank
    else:
        path = [0.0] * len(w.kind)
        work, model, succs = w.work, w.model, w.succs
        for t in range(len(w.kind) - 1, -1, -1):
            after = 0.0
            for s in succs[t]:
                if path[s] > after:
                    after = path[s]
            path[t] = (work[t] / best_speed if model[t] >= 0 else work[t]) + after
    chain = max((w.job_arrival[j] + path[t] for j, roots in enumerate(w.job_roots) for t in roots), default=0.0)
    first = min(w.job_arrival, default=0.0)
    return max(chain, first + gpu_work / total_speed if total_speed else 0.0, first + cpu_work / cpus)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]
