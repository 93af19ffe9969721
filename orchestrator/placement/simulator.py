"""Discrete-event simulation of the cluster: many studios' jobs arriving over time on the zones' GPUs.

A small event loop over ``ClusterState`` (``cluster.py``): jobs arrive, a task becomes ready when its
inputs are done, the ``Placer`` (``policies/``) picks its zone, its inputs produced in other zones
ship over the links (processor sharing, exact with a virtual-time heap per link), and inside the zone
the placer starts it on a GPU (loading its model when that GPU holds another) or a CPU core, or
queues it. Every decision is the placer's; the loop only keeps time and state.

What real clusters do, on request: run times off their estimate (actual = estimate x lognormal(0, σ),
``estimate_error``), GPUs three times slower than their kind (``slow_gpus``), and a zone lost at a
given time (its queued and running work is placed again; finished artifacts stay in the shared
store). Placers see estimates only and may learn from observed run times (``Placer.observe``).
No ray or torch imports here.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field, replace

from orchestrator.placement.bounds import lower_bound
from orchestrator.placement.cluster import ARRIVE, DONE, INPUTS, LINK, LOSE, WEIGHTS, ZONE_WEIGHTS, ClusterState
from orchestrator.placement.costmodel import MODEL_INIT_SECONDS
from orchestrator.placement.policies import POLICIES, Placer, make_placer
from orchestrator.placement.scenario import Scenario
from orchestrator.placement.workload import Workload, generate, no_cycle_collection

__all__ = ["POLICIES", "Disturbances", "Result", "Simulation", "Workload", "generate", "simulate"]


@dataclass(frozen=True)
class Disturbances:
    """What goes wrong: estimate error σ, GPUs slower than their kind, a zone lost at a time."""

    estimate_error: float = 0.0
    slow_gpus: int = 0
    lose_zone: str | None = None
    lose_at: float = 0.0


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
    replaced_tasks: int = 0

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
            "replaced_tasks": self.replaced_tasks,
        }


class Simulation(ClusterState):
    """The event loop and the mechanics placers call (start a task on a GPU, queue it, release a GPU)."""

    # The event loop's own attributes (ClusterState says why slots)
    # fmt: off
    __slots__ = (
        "actual", "busy_compute", "cpu_running", "cross_bytes", "disturbances", "event_times", "events_at",
        "finish_time", "job_done", "job_left", "pending", "placer", "ran_on", "remaining", "replaced", "start_time",
        "transfer_target", "warm_start", "weight_bytes",
    )
    # fmt: on

    def __init__(
        self,
        topology,
        w: Workload,
        placer: Placer,
        disturbances: Disturbances = Disturbances(),
        seed: int = 0,
        warm_gpus: dict[tuple[str, str], int] | None = None,
    ):
        super().__init__(topology, w, slow_gpus=disturbances.slow_gpus, seed=seed)
        if warm_gpus:  # (zone, model) -> GPUs holding it at time 0 (the cluster service's live pools)
            self.preload(warm_gpus)
        self.placer = placer
        self.disturbances = disturbances
        self.actual = _actual_work(w.work, disturbances.estimate_error, seed)
        n = len(w.kind)
        self.remaining = list(map(len, w.preds))
        self.pending = [0] * n
        self.start_time = [0.0] * n
        self.ran_on = [-1] * n  # the GPU each task ran on (-1: a CPU core)
        self.warm_start = [False] * n  # its GPU held its model already: the run time alone is observed
        self.finish_time = [0.0] * n
        self.job_left = list(w.job_tasks)
        self.job_done = [0.0] * len(w.job_tasks)
        # Pending events: a heap of plain float times (no tuples to compare), and per time its events
        # (kind, a, b) in the order pushed, so events at one time run in push order, as a heap of
        # (time, push count, ...) tuples ran them.
        self.event_times: list[float] = []
        self.events_at: dict[float, list[tuple[int, int, int]]] = {}
        self.transfer_target: list[tuple[int, int, int]] = []  # (event kind, task, gpu)
        self.cross_bytes = 0.0
        self.weight_bytes = 0.0
        self.busy_compute = 0.0
        self.replaced = 0
        self.cpu_running: list[set[int]] = [set() for _ in range(self.nz)]
        placer.bind(self)

    # ---- mechanics

    def push(self, t: float, ev: int, a: int, b: int = 0) -> None:
        """Event ev(a, b) at time t, after every event pushed for t before it."""
        bucket = self.events_at.get(t)
        if bucket is None:
            self.events_at[t] = [(ev, a, b)]
            heapq.heappush(self.event_times, t)
        else:
            bucket.append((ev, a, b))

    def start_transfer(self, src: int, dst: int, nbytes: float, ev: int, task: int, gpu: int) -> None:
        a = src * self.nz + dst
        link, now = self.link_at[a], self.now
        heap = link.heap
        if heap:  # link.advance(now), inline
            link.v += (now - link.last) * link.bandwidth / len(heap)
        link.last = now
        tid = len(self.transfer_target)
        self.transfer_target.append((ev, task, gpu))
        heapq.heappush(heap, (link.v + nbytes, tid))
        self.cross_bytes += nbytes
        link.version = version = link.version + 1
        at = now + (heap[0][0] - link.v) * len(heap) / link.bandwidth  # link.next_time(), inline
        bucket = self.events_at.get(at)  # push(at, LINK, a, version), inline
        if bucket is None:
            self.events_at[at] = [(LINK, a, version)]
            heapq.heappush(self.event_times, at)
        else:
            bucket.append((LINK, a, version))

    def take_gpu(self, g: int) -> None:
        """Mark idle GPU g busy (callers pop it from its free heap)."""
        zi = self.gpu_zone[g]
        self.free_count[zi] -= 1
        self.free_in_group[self.group_of[g]] -= 1
        self.first_free_at[zi] = -1.0

    def release_gpu(self, g: int) -> None:
        """GPU g is idle again, under the model it holds."""
        zi = self.gpu_zone[g]
        speed = self.est_speed[g]
        if speed is not self.entry_speed[g]:  # learned since: a new entry
            self.entry_speed[g] = speed
            self.free_entry[g] = (-speed, g)
        heapq.heappush(self.free[zi][self.gpu_model[g]], self.free_entry[g])
        self.free_count[zi] += 1
        self.free_in_group[self.group_of[g]] += 1
        self.first_free_at[zi] = -1.0

    def mark_busy(self, g: int, until: float) -> None:
        """GPU g runs ``running_on[g]`` until about ``until`` (the estimate placers plan with)."""
        if self.booked_speed[g]:
            self.unbook(g)
        self.booked_speed[g] = speed = self.est_speed[g]
        self.booked_work[g] = work = self.w.work[self.running_on[g]]
        totals = self.booked_totals
        totals[0] += speed
        totals[1] += speed * until
        totals[2] += work
        self.busy_until[g] = until
        x = self.group_of[g]
        booked = self.busy_at[x].get(until)
        if booked is None:
            self.busy_at[x][until] = [g]
            heapq.heappush(self.busy_heap[x], until)
        else:
            booked.append(g)
        self.first_free_at[self.gpu_zone[g]] = -1.0

    def run_on_gpu(self, t: int, g: int) -> None:
        """Start task t on GPU g (already taken), loading its model first when g does not hold it."""
        zi, m, now = self.gpu_zone[g], self.w.model[t], self.now
        self.running_on[g] = t
        self.ran_on[t] = g
        self.start_time[t] = now
        old = self.gpu_model[g]
        work, speed = self.w.work[t], self.est_speed[g]
        run = work / speed
        real = self.actual[t] / self.true_speed[g]
        if old == m:
            self.warm_start[t] = True
            until = now + run  # mark_busy(g, until), inline: once per warm start
            if self.booked_speed[g]:
                self.unbook(g)
            self.booked_speed[g] = speed
            self.booked_work[g] = work
            totals = self.booked_totals
            totals[0] += speed
            totals[1] += speed * until
            totals[2] += work
            self.busy_until[g] = until
            x = self.group_of[g]
            booked = self.busy_at[x].get(until)
            if booked is None:
                self.busy_at[x][until] = [g]
                heapq.heappush(self.busy_heap[x], until)
            else:
                booked.append(g)
            self.first_free_at[zi] = -1.0
            at = now + real  # push(at, DONE, t, g), inline: once per warm start
            bucket = self.events_at.get(at)
            if bucket is None:
                self.events_at[at] = [(DONE, t, g)]
                heapq.heappush(self.event_times, at)
            else:
                bucket.append((DONE, t, g))
            return
        if old != self.none:
            self.warm[zi][old] -= 1
        self.gpu_model[g] = m
        self.warm[zi][m] += 1
        src = self.weight_source[zi][m]
        if self.staged[zi][m] or src < 0:
            load = self.load_local[zi][m]
            self.mark_busy(g, now + load + run)
            self.push(now + load + real, DONE, t, g)
        elif self.placer.fetch_once_per_zone:
            # One copy per zone: the first GPU to need the model starts it, the others wait for it
            # and then read it from the zone's disk like staged weights.
            self.mark_busy(g, now + self.fetch_estimate(zi, m) + run)
            waiting = self.fetching[zi].get(m)
            if waiting is None:
                self.fetching[zi][m] = [(t, g)]
                self.weight_bytes += self.model_bytes[m]
                self.start_transfer(src, zi, self.model_bytes[m], ZONE_WEIGHTS, zi, m)
            else:
                waiting.append((t, g))
        else:
            self.mark_busy(g, now + self.transfer_estimate(src, zi, self.model_bytes[m]) + self.load_local[zi][m] + run)
            self.weight_bytes += self.model_bytes[m]
            self.start_transfer(src, zi, self.model_bytes[m], WEIGHTS, t, g)

    def start_cpu(self, t: int, zi: int) -> None:
        self.start_time[t] = self.now
        self.cpu_running[zi].add(t)
        at = self.now + self.actual[t]  # push(at, DONE, t, -1 - zi), inline: once per CPU task
        bucket = self.events_at.get(at)
        if bucket is None:
            self.events_at[at] = [(DONE, t, -1 - zi)]
            heapq.heappush(self.event_times, at)
        else:
            bucket.append((DONE, t, -1 - zi))

    def enqueue(self, t: int) -> None:
        """Task t's inputs are in its zone: a free core, or the placer's GPU decision."""
        zi = self.zone_of[t]
        if self.w.model[t] < 0:
            if self.cpu_free[zi]:
                self.cpu_free[zi] -= 1
                self.start_cpu(t, zi)
            else:
                heapq.heappush(self.cpu_queue[zi], self.placer.queue_key(t))
            return
        self.placer.enqueue_gpu(t, zi)

    def place(self, t: int) -> None:
        """Task t is ready: the placer's zone, then its inputs shipped in (one transfer per source zone)."""
        w, placer = self.w, self.placer
        zi = placer.choose_zone(t)
        self.zone_of[t] = zi
        self.per_zone[zi] += 1
        gpu_task = w.model[t] >= 0
        if gpu_task:
            self.backlog[zi] += w.work[t]
        else:
            self.cpu_backlog[zi] += w.work[t]
        zone_of, out_bytes, ps = self.zone_of, w.out_bytes, w.preds[t]
        for p in ps:
            if zone_of[p] != zi and out_bytes[p] > 0:
                break
        else:  # every input is here already: enqueue(t), inline
            if gpu_task:
                placer.enqueue_gpu(t, zi)
            elif self.cpu_free[zi]:
                self.cpu_free[zi] -= 1
                self.start_cpu(t, zi)
            else:
                heapq.heappush(self.cpu_queue[zi], placer.queue_key(t))
            return
        by_src: dict[int, float] = {}
        for p in ps:
            pz = zone_of[p]
            if pz != zi and out_bytes[p] > 0:
                by_src[pz] = by_src.get(pz, 0.0) + out_bytes[p]
        self.pending[t] = len(by_src)
        for src, nbytes in by_src.items():
            self.start_transfer(src, zi, nbytes, INPUTS, t, -1)

    def unplace(self, t: int, zi: int) -> None:
        """Take task t's bookkeeping out of zone zi (before placing it again)."""
        self.per_zone[zi] -= 1
        if self.w.model[t] >= 0:
            self.backlog[zi] -= self.w.work[t]
        else:
            self.cpu_backlog[zi] -= self.w.work[t]
        self.replaced += 1

    def move(self, t: int, src: int, dst: int) -> None:
        """Task t, queued in zone src, is taken by a GPU of zone dst."""
        self.zone_of[t] = dst
        self.per_zone[src] -= 1
        self.per_zone[dst] += 1
        self.backlog[src] -= self.w.work[t]
        self.backlog[dst] += self.w.work[t]

    # ---- events

    def on_done(self, t: int, b: int) -> None:
        w, now = self.w, self.now
        if b >= 0:
            running_on = self.running_on
            if running_on[b] != t:  # its zone was lost; the task was placed again
                return
            running_on[b] = -1
            speed = self.booked_speed[b]
            if speed:  # unbook(b), inline: once per GPU task
                totals = self.booked_totals
                totals[0] -= speed
                totals[1] -= speed * self.busy_until[b]
                totals[2] -= self.booked_work[b]
                self.booked_speed[b] = 0.0
            self.busy_compute += self.actual[t] / self.true_speed[b]
            self.backlog[self.gpu_zone[b]] -= w.work[t]
            placer = self.placer
            placer.observe(t, b, now - self.start_time[t])
            placer.gpu_freed(b)
        else:
            zi = -1 - b
            if self.zone_of[t] != zi or t not in self.cpu_running[zi]:
                return
            self.cpu_running[zi].discard(t)
            self.cpu_backlog[zi] -= w.work[t]
            if self.cpu_queue[zi]:
                self.start_cpu(heapq.heappop(self.cpu_queue[zi])[-1], zi)
            else:
                self.cpu_free[zi] += 1
        self.finish_time[t] = now
        j = w.job[t]
        job_left = self.job_left
        job_left[j] -= 1
        if not job_left[j]:
            self.job_done[j] = now
        remaining = self.remaining
        for s in w.succs[t]:
            left = remaining[s] - 1
            remaining[s] = left
            if not left:
                self.place(s)

    def on_link(self, a: int, version: int) -> None:
        link = self.link_at[a]
        if version != link.version:
            return
        now, heap = self.now, link.heap
        if heap:  # link.advance(now), inline
            link.v += (now - link.last) * link.bandwidth / len(heap)
        link.last = now
        done_at = link.v * (1 + 1e-12) + 1.0  # within a byte: float time steps cannot split hairs
        events_at, targets = self.events_at, self.transfer_target
        while heap and heap[0][0] <= done_at:
            _, tid = heapq.heappop(heap)
            at = now + link.latency  # push(at, *targets[tid]), inline
            bucket = events_at.get(at)
            if bucket is None:
                events_at[at] = [targets[tid]]
                heapq.heappush(self.event_times, at)
            else:
                bucket.append(targets[tid])
        if heap:
            link.version = version = link.version + 1
            self.push(now + (heap[0][0] - link.v) * len(heap) / link.bandwidth, LINK, a, version)

    def on_inputs(self, t: int, g: int) -> None:
        self.pending[t] -= 1
        if self.pending[t]:
            return
        zi = self.zone_of[t]
        if not self.alive[zi]:  # arrived in a zone that was lost meanwhile
            self.unplace(t, zi)
            self.place(t)
        elif g >= 0:  # inputs of a task a GPU took from another zone's queue
            self.run_on_gpu(t, g)
        elif self.w.model[t] >= 0:  # enqueue(t), inline
            self.placer.enqueue_gpu(t, zi)
        elif self.cpu_free[zi]:
            self.cpu_free[zi] -= 1
            self.start_cpu(t, zi)
        else:
            heapq.heappush(self.cpu_queue[zi], self.placer.queue_key(t))

    def on_zone_weights(self, zi: int, m: int) -> None:
        self.staged[zi][m] = True
        for t, g in self.fetching[zi].pop(m, []):
            if self.running_on[g] == t:
                self.push(self.now + self.load_local[zi][m] + self.actual[t] / self.true_speed[g], DONE, t, g)

    def on_weights(self, t: int, g: int) -> None:
        if self.running_on[g] != t:
            return
        self.staged[self.gpu_zone[g]][self.w.model[t]] = True  # the zone's disk keeps what it fetched
        self.push(self.now + MODEL_INIT_SECONDS + self.actual[t] / self.true_speed[g], DONE, t, g)

    def on_lose(self, zi: int) -> None:
        """Zone zi's nodes are gone: its queued and running work is placed again elsewhere."""
        self.alive[zi] = False
        again: list[int] = []
        for q in self.gpu_queue[zi]:
            again.extend(key[-1] for key in q)
            q.clear()
        again.extend(key[-1] for key in self.cpu_queue[zi])
        self.cpu_queue[zi].clear()
        self.queued[zi], self.queued_work[zi] = 0, 0.0
        self.queued_model_work[zi] = [0.0] * len(self.w.models)
        for g, t in enumerate(self.running_on):
            if t >= 0 and self.gpu_zone[g] == zi:
                self.running_on[g] = -1
                self.unbook(g)
                if not self.pending[t]:  # a stolen task still waiting for inputs is re-placed on arrival
                    again.append(t)
        again.extend(self.cpu_running[zi])
        self.cpu_running[zi].clear()
        again.extend(self.placer.zone_lost(zi))
        for heap in self.free[zi]:
            heap.clear()
        self.free_count[zi] = 0
        for x in self.zone_groups[zi]:
            self.free_in_group[x] = 0
        self.fetching[zi].clear()
        for t in sorted(again):
            self.unplace(t, zi)
            self.place(t)

    def run(self) -> None:
        w = self.w
        for j, arrival in enumerate(w.job_arrival):
            self.push(arrival, ARRIVE, j)
        d = self.disturbances
        if d.lose_zone is not None:
            self.push(d.lose_at, LOSE, self.topology.zone_names().index(d.lose_zone))
        times, events_at = self.event_times, self.events_at
        on_done, on_link, on_inputs = self.on_done, self.on_link, self.on_inputs
        pop, push = heapq.heappop, heapq.heappush
        while times:
            now = pop(times)
            self.now = now
            bucket = events_at.pop(now)  # an event pushed for now while these run: a new bucket, run next
            for event in bucket:
                ev, a, b = event
                if ev == DONE:
                    on_done(a, b)
                elif ev == LINK:
                    on_link(a, b)
                elif ev == INPUTS:
                    on_inputs(a, b)
                elif ev == ARRIVE:
                    for root in w.job_roots[a]:
                        self.place(root)
                elif ev == ZONE_WEIGHTS:
                    self.on_zone_weights(a, b)
                elif ev == WEIGHTS:
                    self.on_weights(a, b)
                else:
                    self.on_lose(a)
                if times and times[0] < now:
                    # An event pushed for earlier than now (a link's next time can round to a hair
                    # before now): it runs next, as it did in a heap of (time, push count) tuples,
                    # and the rest of this time's events after it.
                    rest = bucket[next(k for k, e in enumerate(bucket) if e is event) + 1 :]
                    later = events_at.get(now)  # pushed for now meanwhile: after the rest
                    if later is None:
                        events_at[now] = rest
                        push(times, now)
                    else:
                        later[:0] = rest
                    break
        if any(self.job_left):  # a policy left work queued with no event to start it: a bug, never a result
            raise RuntimeError(f"{self.placer.name}: {sum(1 for x in self.job_left if x)} jobs never finished")

    def result(self) -> Result:
        w = self.w
        makespan = max(self.finish_time, default=0.0)
        total_gpus = len(self.gpu_speed)
        spans = sorted(self.job_done[j] - w.job_arrival[j] for j in range(len(self.job_done)))
        return Result(
            policy=self.placer.name,
            makespan=makespan,
            # the work that really ran: no schedule, even a clairvoyant one, beats its bound
            lower_bound=lower_bound(w if self.actual is w.work else replace(w, work=self.actual), self.topology),
            gpu_utilization=self.busy_compute / (total_gpus * makespan) if makespan and total_gpus else 0.0,
            cross_zone_bytes=self.cross_bytes,
            weight_bytes_streamed=self.weight_bytes,
            job_p50=_percentile(spans, 0.50),
            job_p95=_percentile(spans, 0.95),
            tasks=len(w.kind),
            shots=w.shots,
            jobs_count=len(spans),
            per_zone_tasks={self.zones[i].name: self.per_zone[i] for i in range(self.nz)},
            replaced_tasks=self.replaced,
        )


def _actual_work(work: list[float], sigma: float, seed: int) -> list[float]:
    """actual = estimate x lognormal(0, σ), from the seed; the estimate itself when σ is 0."""
    if sigma <= 0:
        return work
    rng = random.Random(seed * 7919 + 13)
    draw = rng.lognormvariate
    return [x * draw(0.0, sigma) for x in work]


def simulate(
    scenario: Scenario,
    policy: str = "kaipai",
    workload: Workload | None = None,
    disturbances: Disturbances = Disturbances(),
) -> Result:
    """Run the scenario's workload under ``policy``; returns makespan, bounds and traffic."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    w = workload or generate(scenario)
    if disturbances.lose_zone is not None and disturbances.lose_zone not in scenario.topology.zone_names():
        raise ValueError(f"unknown zone {disturbances.lose_zone!r}")
    placer = make_placer(policy, scenario.spec.seed)
    with no_cycle_collection():
        sim = Simulation(scenario.topology, w, placer, disturbances, scenario.spec.seed)
        sim.run()
        result = sim.result()
    del placer.sim  # the placer <-> simulation cycle: the simulation is freed on return, collection or not
    return result


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]
