"""The service's fair-share policy on a simulator scenario's jobs (``datong-standard``: six studios).

The same ``FairShare`` object the service runs decides which ready GPU task gets the next free GPU;
the jobs, their DAGs, arrival times and work come from the simulator's workload generator
(``placement.simulator.generate``), so the replay sees the scenario's exact job list. What it
simplifies, on purpose, to isolate sharing from placement: the cluster's GPUs are one pool (zones,
GPU kinds and transfers ignored: every GPU runs at speed 1), and CPU tasks take their time without
contending. It measures, while two or more studios have work waiting, each waiting studio's GPU-seconds
against what weighted max-min fair share entitles it to (the GPUs that studios without a queue do
not hold, divided among the waiting ones by weight, none owed more than its demand: running plus
queued), counted only while the waiting studios want more GPUs than there are; a ratio of 1.0 is
exactly its weight's share.
"""

from __future__ import annotations

import heapq
from typing import Any

from orchestrator.service.fairshare import FairShare, Policy, Request
from stages.errors import InputError

TOLERANCE = 0.10  # the target: each share within ±10% of its weight while contended


def studio_of_jobs(scenario: Any, workload: Any) -> list[str]:
    """The generator draws each job's studio and records its priority; priorities name the studio
    when they are unique per studio (as in datong-standard)."""
    studios = scenario.spec.workload.studios
    by_priority = {s.priority: s.name for s in studios}
    if len(by_priority) != len(studios):
        raise InputError("replay needs one priority per studio to tell the jobs' studios apart", field="studios")
    return [by_priority[p] for p in workload.job_priority]


def replay(
    scenario: Any, weights: dict[str, float] | None = None, policy: Policy | None = None, *, at_once: bool = False
) -> dict[str, Any]:
    """Run the scenario's GPU work through fair share; returns per-studio shares against weights.

    ``at_once``: every job arrives at time 0 (a saturated cluster), so all studios wait together
    until the first one runs out of work; ``all_waiting`` then measures shares over exactly that span.
    """
    from orchestrator.placement.simulator import generate

    w = generate(scenario)
    if at_once:
        w.job_arrival = [0.0] * len(w.job_arrival)
    studio = studio_of_jobs(scenario, w)
    names = [s.name for s in scenario.spec.workload.studios]
    weights = weights or {s.name: s.share for s in scenario.spec.workload.studios}
    gpus = sum(sum(z.gpus.values()) for z in scenario.topology.zones)
    sim = _Replay(w, studio, FairShare(policy or Policy(weights=dict(weights)), clock=lambda: sim.now), gpus)
    sim.run()
    rows = []
    for name in names:
        got, owed = sim.contended.get(name, 0.0), sim.entitled.get(name, 0.0)
        g, go = sim.granted.get(name, 0.0), sim.granted_owed.get(name, 0.0)
        rows.append({"studio": name, "weight": weights.get(name, 1.0), "contended_gpu_seconds": got,
                     "entitled_gpu_seconds": owed, "ratio": got / owed if owed else None,
                     "granted_gpu_seconds": g, "granted_owed": go, "grant_ratio": g / go if go else None,
                     "gpu_seconds": sim.used.get(name, 0.0)})  # fmt: skip
    return {
        "scenario": scenario.name,
        "gpus": gpus,
        "makespan": sim.now,
        "contended_seconds": sim.contended_time,
        "all_waiting_seconds": sim.all_time,
        "all_waiting": _all_waiting_shares(sim, names, weights),
        "studios": rows,
        "within_tolerance": all(r["ratio"] is None or abs(r["ratio"] - 1) <= TOLERANCE for r in rows),
    }


def _all_waiting_shares(sim: _Replay, names: list[str], weights: dict[str, float]) -> list[dict[str, Any]]:
    """Each studio's share of the GPU-seconds used while every studio had work waiting, vs its weight."""
    total = sum(sim.all_used.values())
    weight_total = sum(weights.get(n, 1.0) for n in names)
    rows = []
    for name in names:
        share = sim.all_used.get(name, 0.0) / total if total else None
        fair = weights.get(name, 1.0) / weight_total
        rows.append({"studio": name, "share": share, "weight_share": fair, "ratio": share / fair if share else None})
    return rows


class _Replay:
    """A small event loop: arrivals, GPU grants by fair share, finishes."""

    def __init__(self, w: Any, studio: list[str], fair: FairShare, gpus: int) -> None:
        self.w, self.studio, self.fair, self.free, self.gpus = w, studio, fair, gpus, gpus
        self.entitled: dict[str, float] = {}  # studio -> GPU-seconds fair share gave it while contended
        self.all_used: dict[str, float] = {}  # studio -> GPU-seconds while every studio had work waiting
        self.all_time = 0.0
        self.granted: dict[str, float] = {}  # studio -> GPU-seconds granted while 2+ studios waited
        self.granted_owed: dict[str, float] = {}  # ... and what their weights owed it at those grants
        self.now = 0.0
        self.events: list[tuple[float, int, int, int]] = []  # (time, order, kind, task or job)
        self.left = [len(p) for p in w.preds]
        self.running: dict[str, int] = {}  # studio -> GPUs busy
        self.used: dict[str, float] = {}
        self.contended: dict[str, float] = {}
        self.contended_time = 0.0
        self._order = 0

    def push(self, t: float, kind: int, x: int) -> None:
        self._order += 1
        heapq.heappush(self.events, (t, self._order, kind, x))

    def run(self) -> None:
        for j, arrival in enumerate(self.w.job_arrival):
            self.push(arrival, 0, j)
        while self.events:
            t, _, kind, x = heapq.heappop(self.events)
            self._account(t)
            if kind == 0:
                for root in self.w.job_roots[x]:
                    self._ready(root)
            else:
                self._finish(x, gpu=kind == 2)
            self._grant()

    def _ready(self, t: int) -> None:
        j = self.w.job[t]
        if self.w.model[t] < 0:  # CPU work: no contention modelled
            self.push(self.now + self.w.work[t], 1, t)
            return
        request = Request(str(j), self.studio[j], str(t), "gpu", None, self.w.work[t], self.w.job_priority[j])
        self.fair.submit(request)

    def _grant(self) -> None:
        while self.free > 0:
            waiting = [s for s, items in self.fair.waiting.items() if items]
            request = self.fair.grant(lambda r: True)
            if request is None:
                return
            if len(waiting) >= 2:  # the decision itself: whom it gave these GPU-seconds, whom weight owed
                total_weight = sum(self.fair.policy.weight(s) for s in waiting)
                for name in waiting:
                    owed = request.cost * self.fair.policy.weight(name) / total_weight
                    self.granted_owed[name] = self.granted_owed.get(name, 0.0) + owed
                self.granted[request.studio] = self.granted.get(request.studio, 0.0) + request.cost
            self.free -= 1
            self.running[request.studio] = self.running.get(request.studio, 0) + 1
            self.push(self.now + request.cost, 2, int(request.node))

    def _finish(self, t: int, gpu: bool) -> None:
        if gpu:
            j = self.w.job[t]
            self.fair.settle(str(j), str(t), self.w.work[t])
            self.free += 1
            self.running[self.studio[j]] -= 1
        for s in self.w.succs[t]:
            self.left[s] -= 1
            if self.left[s] == 0:
                self._ready(s)

    def _account(self, t: float) -> None:
        """GPU-seconds per studio since the last event, and, while two or more studios have work
        waiting, what each of them got against what weighted fair share entitles it to: the GPUs not
        held by studios without a queue, divided among the waiting ones by weight."""
        dt = t - self.now
        if dt > 0:
            for name, busy in self.running.items():
                self.used[name] = self.used.get(name, 0.0) + busy * dt
            waiting = {s for s, items in self.fair.waiting.items() if items}
            if waiting >= set(self.studio):
                self.all_time += dt
                for name, busy in self.running.items():
                    self.all_used[name] = self.all_used.get(name, 0.0) + busy * dt
            if len(waiting) >= 2:
                self._account_contended(waiting, dt)
        self.now = t

    def _account_contended(self, waiting: set[str], dt: float) -> None:
        """What each waiting studio got against its weighted max-min fair share, while the waiting
        studios want more GPUs than they may use together (GPUs held by studios without a queue are
        theirs; a studio whose demand, running plus queued, is below its weight's share is owed only
        its demand, and the rest goes to the others by weight: water-filling)."""
        others = sum(n for s, n in self.running.items() if s not in waiting)
        pool = self.gpus - others
        demand = {s: self.running.get(s, 0) + len(self.fair.waiting[s]) for s in waiting}
        if sum(demand.values()) <= pool:
            return  # every waiting studio could hold all it wants: waiting only for a GPU to free
        self.contended_time += dt
        for name, entitled in water_fill(demand, {s: self.fair.policy.weight(s) for s in waiting}, pool).items():
            self.entitled[name] = self.entitled.get(name, 0.0) + entitled * dt
            self.contended[name] = self.contended.get(name, 0.0) + self.running.get(name, 0) * dt


def water_fill(demand: dict[str, float], weight: dict[str, float], capacity: float) -> dict[str, float]:
    """Weighted max-min fair shares of ``capacity``: nobody gets more than its demand, the rest by weight."""
    share: dict[str, float] = {}
    left, open_ = capacity, set(demand)
    while open_:
        total = sum(weight[s] for s in open_)
        level = left / total
        capped = {s for s in open_ if demand[s] <= level * weight[s]}
        if not capped:
            for s in open_:
                share[s] = level * weight[s]
            return share
        for s in capped:
            share[s] = demand[s]
            left -= demand[s]
        open_ -= capped
    return share
