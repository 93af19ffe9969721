"""The service's fair-share policy on a simulator scenario's jobs (``datong-standard``: six studios).

The same ``FairShare`` object the service runs decides which ready GPU task gets the next free GPU;
the jobs, their DAGs, arrival times and work come from the simulator's workload generator
(``placement.simulator.generate``), so the replay sees the scenario's exact job list. What it
simplifies, on purpose, to isolate sharing from placement: the cluster's GPUs are one pool (zones,
GPU kinds and transfers ignored: every GPU runs at speed 1), and CPU tasks take their time without
contending.

What it measures, while two or more studios have work waiting and want more GPUs than they may use
together: each waiting studio's GPUs held against its weighted max-min fair share of them (the GPUs
that studios without a queue do not hold, divided among the waiting ones by weight, none owed more
than its demand: running plus queued), integrated over time; a ratio of 1.0 is its weight's share.

``within_tolerance`` is that figure, every ratio within ±10%. Beside it, two diagnostics that say
why a ratio is off; neither replaces it, because neither is the whole truth:

1. *The drain of uncontested grants.* A task granted while no other studio had anything queued was
   the only work-conserving choice, and once running no non-preemptive scheduler can take it back.
   ``ratio_after_drain`` counts such GPUs as a floor under their studio's share (water-filling with
   floors, ``min(demand, max(floor, level x weight))``) instead of owing them at once to a studio
   that queued later. On the day's arrivals 北京微剧社 held 200 of 256 GPUs (CogVideoX shots up to
   90 s, granted at t=282 s while nobody else waited) when 抖音短剧工作室 queued 256 shots 2 s later;
   every GPU that freed went to 抖音 and 高校AIGC系, and the raw figure still read 0.83 for 抖音 and
   1.12 for 北京. But the policy charges the holder for those GPUs (as SFQ does: the newcomer
   starts at the virtual time of the work in service and is paid back once it ends), so where the
   contention lasts past the drain the floors call the payback over-service: over a whole
   backlogged period the raw figure is the right one.
2. *Lag against one task.* ``lag_gpu_seconds`` (got minus owed, floors counted) beside
   ``longest_task`` (the studio's longest task granted while it was contended): a studio contended
   for a few seconds in all compares a few GPU-seconds, and SFQ bounds a backlogged flow's lag by
   one of its longest tasks (plus a share of the others') per backlogged interval.

With ``Policy.preempt`` (fairshare rule 5, ``fair_share.preempt``, on in ``configs/datong.yaml``)
the replay takes GPUs back as the policy says, as the live service does with it on: the victim's work so far
is lost (``lost_gpu_seconds``), its finish void, and it runs again from the start when granted.
"""

from __future__ import annotations

import heapq
from typing import Any

from orchestrator.service.fairshare import FairShare, Policy, Request
from stages.errors import InputError

TOLERANCE = 0.10  # the target: each share within ±10% of its weight while contended
OPERATOR_PROFILE = "configs/datong.yaml"  # the profile a Datong deployment runs its service with


def operator_policy(profile: str = OPERATOR_PROFILE) -> Policy:
    """The fair-share rules an operator's profile gives the live service (``cluster.fair_share``):
    the replay runs those, not the class defaults, so its figures are the deployed policy's."""
    from orchestrator.config import load_profile
    from orchestrator.service.settings import policy_of

    cluster = load_profile(profile).cluster
    if cluster is None:
        raise InputError(f"{profile} has no cluster section to take the fair-share rules from", field="cluster")
    return policy_of(cluster.fair_share)


def studio_of_jobs(scenario: Any, workload: Any) -> list[str]:
    """The generator draws each job's studio and records its priority; priorities name the studio
    when they are unique per studio (as in datong-standard)."""
    studios = scenario.spec.workload.studios
    by_priority = {s.priority: s.name for s in studios}
    if len(by_priority) != len(studios):
        raise InputError("replay needs one priority per studio to tell the jobs' studios apart", field="studios")
    return [by_priority[p] for p in workload.job_priority]


def replay(scenario: Any, policy: Policy | None = None, *, at_once: bool = False) -> dict[str, Any]:
    """Run the scenario's GPU work through fair share; returns per-studio shares against weights.

    ``policy``: the fair-share rules, by default those of the operator's profile (``operator_policy``),
    whose weights are the ones shares are measured against.

    ``at_once``: every job arrives at time 0 (a saturated cluster), so all studios wait together
    until the first one runs out of work; ``all_waiting`` then measures shares over exactly that span.
    """
    from orchestrator.placement.simulator import generate

    w = generate(scenario)
    if at_once:
        w.job_arrival = [0.0] * len(w.job_arrival)
    studio = studio_of_jobs(scenario, w)
    names = [s.name for s in scenario.spec.workload.studios]
    policy = policy or operator_policy()
    weights = {name: policy.weight(name) for name in names}
    gpus = sum(sum(z.gpus.values()) for z in scenario.topology.zones)
    sim = simulate(w, studio, gpus, policy)
    rows = [studio_row(sim, name, weights.get(name, 1.0)) for name in names]
    return {
        "scenario": scenario.name,
        "gpus": gpus,
        "makespan": sim.now,
        "fair_share": sim.fair,
        "contended_seconds": sim.fair.ledger.contended_seconds,
        "all_waiting_seconds": sim.all_time,
        "all_waiting": _all_waiting_shares(sim, names, weights),
        "studios": rows,
        "within_tolerance": all(r["ratio"] is None or abs(r["ratio"] - 1) <= TOLERANCE for r in rows),
        "preempt": policy.preempt,
        "preemptions": sim.preemptions,
        "lost_gpu_seconds": sim.lost,
        "gpu_seconds": sum(sim.used.values()),
    }


def simulate(workload: Any, studio: list[str], gpus: int, policy: Policy) -> Replay:
    """Run a workload (``placement.workload.Workload``; ``studio``: each job's studio) on ``gpus``
    GPUs through the service's own ``FairShare``, on the replay's clock; returns the finished replay."""
    sim = Replay(workload, studio, FairShare(policy, clock=lambda: sim.now), gpus)
    sim.run()
    return sim


def studio_row(sim: Replay, name: str, weight: float) -> dict[str, Any]:
    """One studio's figures: GPU-seconds got while contended against the share owed (``ratio``, the
    target's figure), and the diagnostics of the module's docstring."""
    ledger = sim.fair.ledger
    got, owed, floored = ledger.got.get(name, 0.0), ledger.owed.get(name, 0.0), ledger.floored.get(name, 0.0)
    return {"studio": name, "weight": weight, "contended_gpu_seconds": got, "entitled_gpu_seconds": owed,
            "ratio": got / owed if owed else None, "contended_seconds": ledger.seconds.get(name, 0.0),
            "owed_after_drain_gpu_seconds": floored, "ratio_after_drain": got / floored if floored else None,
            "lag_gpu_seconds": got - floored, "longest_task": sim.longest.get(name, 0.0),
            "gpu_seconds": sim.used.get(name, 0.0)}  # fmt: skip


def _all_waiting_shares(sim: Replay, names: list[str], weights: dict[str, float]) -> list[dict[str, Any]]:
    """Each studio's share of the GPU-seconds used while every studio had work waiting, vs its weight."""
    total = sum(sim.all_used.values())
    weight_total = sum(weights.get(n, 1.0) for n in names)
    rows = []
    for name in names:
        share = sim.all_used.get(name, 0.0) / total if total else None
        fair = weights.get(name, 1.0) / weight_total
        rows.append({"studio": name, "share": share, "weight_share": fair, "ratio": share / fair if share else None})
    return rows


class Replay:
    """A small event loop: arrivals, GPU grants by fair share, finishes."""

    def __init__(self, w: Any, studio: list[str], fair: FairShare, gpus: int) -> None:
        self.w, self.studio, self.fair, self.free, self.gpus = w, studio, fair, gpus, gpus
        fair.capacity["gpu"] = gpus  # the one pool the shares of rule 5 (and the ledger's) divide
        fair.ledger.floors = lambda: self.floor  # got against owed, with the drain diagnostic beside it
        self.all_used: dict[str, float] = {}  # studio -> GPU-seconds while every studio had work waiting
        self.all_time = 0.0
        self.uncontested: set[int] = set()  # running tasks granted while no other studio had a queue
        self.floor: dict[str, int] = {}  # studio -> GPUs those tasks hold
        self.longest: dict[str, float] = {}  # studio -> its longest task granted while contended
        self.now = 0.0
        self.events: list[tuple[float, int, int, int]] = []  # (time, order, kind, task or job)
        self.left = [len(p) for p in w.preds]
        self.running: dict[str, int] = {}  # studio -> GPUs busy
        self.used: dict[str, float] = {}
        self.finishing: dict[int, int] = {}  # running GPU task -> the order of its finish event
        self.started: dict[int, float] = {}  # running GPU task -> when it started
        self.lost = 0.0  # GPU-seconds of work thrown away by preemption
        self.preemptions = 0
        self._order = 0

    def push(self, t: float, kind: int, x: int) -> int:
        self._order += 1
        heapq.heappush(self.events, (t, self._order, kind, x))
        return self._order

    def run(self) -> None:
        for j, arrival in enumerate(self.w.job_arrival):
            self.push(arrival, 0, j)
        while self.events:
            t, order, kind, x = heapq.heappop(self.events)
            if kind == 2 and self.finishing.get(x) != order:
                continue  # the task was taken back: its finish is void
            self._account(t)
            if kind == 0:
                for root in self.w.job_roots[x]:
                    self._ready(root)
            elif kind in (1, 2):
                self._finish(x, gpu=kind == 2)
            self._grant()  # kind 3: a request has waited long enough to take a GPU back

    def _ready(self, t: int) -> None:
        j = self.w.job[t]
        if self.w.model[t] < 0:  # CPU work: no contention modelled
            self.push(self.now + self.w.work[t], 1, t)
            return
        request = Request(str(j), self.studio[j], str(t), "gpu", None, self.w.work[t], self.w.job_priority[j])
        self.fair.submit(request)
        if self.fair.policy.preempt:
            self.push(self.now + self.fair.policy.preempt_after_seconds, 3, t)

    def _grant(self) -> None:
        while self.free > 0:
            request = self.fair.grant(lambda r: True)
            if request is None:
                break
            self.free -= 1
            self._begin(request)
        while self.free == 0 and (pair := self.fair.reclaim(self.gpus)) is not None:
            taker, victim = pair
            self._take_back(int(victim.node))
            self._begin(taker)  # the victim's GPU, at once

    def _begin(self, request: Request) -> None:
        t = int(request.node)
        if request.studio in self.fair.ledger.contended_now:
            self.longest[request.studio] = max(self.longest.get(request.studio, 0.0), request.cost)
        if not self._others_queued(request.studio):  # the only work-conserving choice:
            self.uncontested.add(t)  # its GPU is its studio's until the task ends
            self.floor[request.studio] = self.floor.get(request.studio, 0) + 1
        self.running[request.studio] = self.running.get(request.studio, 0) + 1
        self.started[t] = self.now
        self.finishing[t] = self.push(self.now + request.cost, 2, t)

    def _take_back(self, t: int) -> None:
        """A running task preempted: its work so far is lost, its finish void (it was queued again)."""
        studio = self.studio[self.w.job[t]]
        self.finishing.pop(t, None)
        self.lost += self.now - self.started.pop(t)
        self.preemptions += 1
        self.running[studio] -= 1
        if t in self.uncontested:
            self.uncontested.discard(t)
            self.floor[studio] -= 1

    def _others_queued(self, studio: str) -> bool:
        return any(items for s, items in self.fair.waiting.items() if s != studio)

    def _finish(self, t: int, gpu: bool) -> None:
        if gpu:
            j = self.w.job[t]
            self.fair.settle(str(j), str(t), self.w.work[t])
            if t in self.uncontested:
                self.uncontested.discard(t)
                self.floor[self.studio[j]] -= 1
            self.free += 1
            self.running[self.studio[j]] -= 1
            self.finishing.pop(t, None)
            self.started.pop(t, None)
        for s in self.w.succs[t]:
            self.left[s] -= 1
            if self.left[s] == 0:
                self._ready(s)

    def _account(self, t: float) -> None:
        """GPU-seconds per studio since the last event, and while every studio had work waiting (the
        share got against owed while contended is the fair share's own ledger, ``ShareLedger``)."""
        dt = t - self.now
        if dt > 0:
            for name, busy in self.running.items():
                self.used[name] = self.used.get(name, 0.0) + busy * dt
            waiting = {s for s, items in self.fair.waiting.items() if items}
            if waiting >= set(self.studio):
                self.all_time += dt
                for name, busy in self.running.items():
                    self.all_used[name] = self.all_used.get(name, 0.0) + busy * dt
        self.now = t
