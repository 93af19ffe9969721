"""Who gets the next free slot: weighted fair queuing over device-seconds, with bounded priority.

Pure (no Ray, no wall clock: the clock is passed in), so the same object runs inside the cluster
service, in unit tests with a fake clock and in the datong-standard replay (``service.replay``).

The rule, one grant at a time (start-time fair queuing, the virtual-time form of deficit round
robin; Kueue and YuniKorn share by the same idea per Kubernetes job, we share per shot):

1. Each studio ``s`` has a weight ``w_s`` and, per kind of slot ``k`` (GPU, CPU), a charge
   ``c_sk`` (device-seconds of that kind it was granted). Its virtual time for that kind is
   ``v_sk = c_sk / w_s``: each kind's slots are divided by weight on their own, so a studio whose
   jobs spend more CPU-seconds than the others does not get fewer GPU-seconds for it (one currency
   across kinds gave the weight-1 studio of the local cluster 0.64-0.80 of its GPU share while its
   device-seconds were on weight). A studio whose queue of a kind was empty starts, when it queues
   again, at the smallest virtual time of that kind among the studios with a queue (of the busy ones
   if none has a queue), so neither idleness nor an empty queue banks credit (work-conserving: an
   idle cluster gives one studio everything, and it owes nothing for it later). Catching up only from full
   idleness let a studio that kept one long task running bank the service it did not ask for, then
   take every slot on its return until the others' lead was spent (SFQ's rule: a flow that becomes
   backlogged starts at the system's virtual time, whatever it still has in service).
2. Among the studios with a request that fits a free slot, the one with the smallest
   ``v_sk - bonus(priority)`` (``k`` the request's kind) wins; ``bonus`` grows with the job's priority and is capped at
   ``max_jump`` virtual seconds. A high-priority job can therefore run ahead of its studio's fair
   share by at most ``max_jump``, never more, so no studio starves: every grant to others raises
   their virtual time, and once it passes a waiting studio's by ``max_jump`` that studio wins.
3. Inside a studio, requests go by job priority (aged: a request gains one priority level per
   ``aging_seconds`` waited, so a stream of urgent jobs cannot starve an old one), then by age.
4. A grant is charged as it holds its slot: at once its estimate up to ``horizon_seconds`` (so
   many slots freeing together do not all go to one studio), then one second per second held,
   staying ``horizon_seconds`` ahead of what it has run but never beyond its estimate, and the
   measured seconds when it finishes (:meth:`settle`). A studio whose tasks each hold a GPU for half
   an hour thus pays for them while it holds them; charged whole at the grant it would sit far
   below its weight over any window shorter than one of its tasks.
5. Taking GPUs back (:meth:`reclaim`, only with ``Policy.preempt``; Kueue's fair-sharing preemption
   and YARN's fair-scheduler preemption do the same per pod or container). A grant made while no
   other studio waited was the only work-conserving choice, but a non-preemptive scheduler cannot
   take it back when another studio queues, and a studio of 90-s shots then holds most of the
   cluster for a whole shot. One measure decides both who is owed and who gives back: each waiting
   studio's weighted max-min share of the GPUs the studios without a queue do not hold (the one the
   replay reports against, :func:`water_fill`). A studio ``S`` whose request has waited
   ``preempt_after_seconds`` and that holds at least one GPU less than its share takes one from a
   studio ``H`` that holds at least one more than its share, if the grant rule itself (rule 2)
   would give the slot to ``S`` rather than to ``H``'s head request, so a victim never wins its slot
   straight back. The victim is ``H``'s youngest grant (least work lost) that has run at most
   ``preempt_within_seconds`` and was never taken back before (each node is preempted at most
   once, so no shot is taken back again and again). The victim is charged what it held and queued
   again in its old place; the freed slot goes to ``S`` at once.
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.service.ledger import ShareLedger, water_fill

__all__ = ["FairShare", "Policy", "Request", "water_fill"]

MIN_CHARGE = 1e-3  # every grant costs something, so virtual time always moves (no starvation)


@dataclass(frozen=True)
class Request:
    """One node of one job that wants a slot of ``kind`` ("gpu" or "cpu") in ``zone`` (None: any)."""

    job: str
    studio: str
    node: str
    kind: str
    zone: str | None
    cost: float  # estimated device-seconds
    priority: int = 5


@dataclass
class _Waiting:
    request: Request
    seq: int
    since: float
    order: tuple[float, int] = (0.0, 0)  # place in its studio's queue (see FairShare._order_key)


@dataclass
class Policy:
    """The cluster config's sharing rules (``cluster.fair_share``)."""

    weights: dict[str, float] = field(default_factory=dict)
    default_weight: float = 1.0
    jump_per_priority: float = 2.0  # virtual seconds of lead per priority level above the base
    base_priority: int = 5
    max_jump: float = 30.0  # the most a priority can put a studio ahead of its fair share
    aging_seconds: float = 60.0  # one priority level gained per this many seconds waited
    horizon_seconds: float = 30.0  # a running grant is charged this far ahead of what it has run
    preempt: bool = False  # take GPUs back from a studio over its share (rule 5); off: grants run to their end
    preempt_after_seconds: float = 5.0  # how long a request waits for a free slot before it takes one back
    preempt_within_seconds: float = 60.0  # a grant that has run longer is never taken back (too much lost)

    def weight(self, studio: str) -> float:
        return max(self.weights.get(studio, self.default_weight), 1e-9)

    def bonus(self, priority: int) -> float:
        return max(-self.max_jump, min(self.max_jump, (priority - self.base_priority) * self.jump_per_priority))


class FairShare:
    """The global queue of requests and each studio's account."""

    def __init__(self, policy: Policy, clock: Callable[[], float]) -> None:
        self.policy = policy
        self.clock = clock
        self.charged: dict[str, float] = {}  # studio -> device-seconds charged, every kind (admission, status)
        self.kind_charged: dict[tuple[str, str], float] = {}  # (studio, kind) -> the same, of one kind
        self.waiting: dict[str, list[_Waiting]] = {}  # studio -> its requests, in serving order
        self.running: dict[tuple[str, str], Request] = {}  # (job, node) -> granted request
        self.meters: dict[tuple[str, str], _RunningMeter] = {}  # (studio, kind) -> what its running grants cost so far
        self.granted: dict[tuple[str, str], tuple[_Waiting, float]] = {}  # (job, node) -> its queue entry, when
        self.preempted: set[tuple[str, str]] = set()  # taken back once: never again
        self.capacity: dict[str, int] = {}  # kind -> slots there are (set by the owner; used with ``preempt``)
        self.held: dict[tuple[str, str], int] = {}  # (studio, kind) -> running grants
        self.queued_of: dict[tuple[str, str], int] = {}  # (studio, kind) -> queued requests
        self.ledger = ShareLedger(self)  # GPU-seconds got against owed while contended (the target's figure)
        self._seq = 0

    # ---------------------------------------------------------------- the queue

    def submit(self, request: Request) -> None:
        """Queue one request (a node whose inputs exist)."""
        self.ledger.advance(self.clock())
        if not self.queued_of.get((request.studio, request.kind)):
            self._catch_up(request.studio, request.kind)
        self._seq += 1
        item = _Waiting(request, self._seq, self.clock())
        item.order = self._order_key(item)
        self._enqueue(item)

    def withdraw(self, job: str) -> list[Request]:
        """Drop a job's queued requests (cancelled, or its driver went away); returns them."""
        self.ledger.advance(self.clock())
        dropped: list[Request] = []
        for studio, items in self.waiting.items():
            dropped += [w.request for w in items if w.request.job == job]
            self.waiting[studio] = [w for w in items if w.request.job != job]
        for r in dropped:
            self._count(self.queued_of, r, -1)
        return dropped

    def withdraw_node(self, job: str, node: str) -> bool:
        """Drop one queued request (a node taken back that finished anyway before it could stop)."""
        self.ledger.advance(self.clock())
        items = self.waiting.get(next((s for s, ws in self.waiting.items() if any(
            w.request.job == job and w.request.node == node for w in ws)), ""), [])  # fmt: skip
        for w in items:
            if w.request.job == job and w.request.node == node:
                items.remove(w)
                self._count(self.queued_of, w.request, -1)
                return True
        return False

    def grant(self, fits: Callable[[Request], bool]) -> Request | None:
        """The next request to run among those ``fits`` says have a free slot; charged its estimate.

        With ``preempt``, studios below their share (rule 5's measure) are served before the others,
        so a grant never takes a studio past its share while another waits below its own: the grant
        and the preemption rule then agree on who is owed a slot."""
        self.ledger.advance(self.clock())
        best: tuple[int, float, int, str] | None = None
        chosen: _Waiting | None = None
        shares: dict[str, tuple[dict[str, float], set[str]]] = {}
        for studio, items in self.waiting.items():
            head = self._head(items, fits)
            if head is None:
                continue
            kind = head.request.kind
            if self.policy.preempt and kind in self.capacity and kind not in shares:
                shares[kind] = self.shares(kind)
            share = shares[kind][0] if kind in shares else {}
            over = int(studio in share and self.held.get((studio, kind), 0) >= share[studio])
            key = (over, self._score(studio, head.request), head.seq, studio)
            if best is None or key < best:
                best, chosen = key, head
        if chosen is None:
            return None
        return self._start(chosen)

    def settle(self, job: str, node: str, seconds: float | None) -> Request | None:
        """The granted node finished (or was given back): replace its estimate by what it used."""
        self.ledger.advance(self.clock())
        request = self.running.pop((job, node), None)
        if request is None:
            return None
        self.granted.pop((job, node), None)
        self._count(self.held, request, -1)
        ran = self._meter(request.studio, request.kind).stop((job, node), self.clock())
        self._charge(request.studio, request.kind, max(seconds if seconds is not None else ran, MIN_CHARGE))
        return request

    def reclaim(
        self, capacity: int, fits: Callable[[Request, Request], bool] = lambda waiting, running: True, kind: str = "gpu"
    ) -> tuple[Request, Request] | None:
        """Rule 5: one slot of ``kind`` taken back, as (the request now granted, the grant taken back),
        or None. ``capacity``: the slots of ``kind`` there are; ``fits(w, r)``: whether waiting request
        ``w`` may run in the slot running grant ``r`` holds (its zone). The victim is already queued
        again, the winner already granted: the caller moves the slot and stops the victim's work."""
        if not self.policy.preempt:
            return None
        now = self.clock()
        self.ledger.advance(now)
        self.capacity[kind] = capacity
        share, waiting = self.shares(kind)
        if len(waiting) < 2:
            return None  # one studio waiting: the GPUs the others hold are theirs (they queue nothing)
        held = {s: self.held.get((s, kind), 0) for s in waiting}
        over = {h: held[h] / self.policy.weight(h) for h in waiting if held[h] - 1 >= share[h]}
        if not over:
            return None
        victims = self._victims(over, now, kind)
        if not victims:
            return None
        takers = [s for s in waiting if held[s] + 1 <= share[s]]
        for taker in sorted(takers, key=lambda s: (self._score(s, self.waiting[s][0].request), s)):
            for item in self.waiting[taker]:
                if item.request.kind != kind or now - item.since < self.policy.preempt_after_seconds:
                    continue
                victim = next((v for v in victims if fits(item.request, v)), None)
                if victim is not None:
                    self._take_back(victim)
                    return self._start(item), victim
        return None

    def shares(self, kind: str) -> tuple[dict[str, float], set[str]]:
        """Rule 5's measure: each waiting studio's weighted max-min share of the ``kind`` slots that
        studios without a queue do not hold (none owed more than it holds plus queues), and the
        studios waiting."""
        waiting = {s for (s, k), n in self.queued_of.items() if k == kind and n > 0}
        others = sum(n for (s, k), n in self.held.items() if k == kind and s not in waiting)
        # In name order: the shares' float sums must not depend on the process's string hashing.
        demand = {s: self.held.get((s, kind), 0) + self.queued_of[(s, kind)] for s in sorted(waiting)}
        weights = {s: self.policy.weight(s) for s in waiting}
        return water_fill(demand, weights, self.capacity.get(kind, 0) - others), waiting

    def _victims(self, over: dict[str, float], now: float, kind: str) -> list[Request]:
        """The grants that may be taken back, best first: of the studios over their share, the one
        holding the most per weight first, and in it the youngest grant (least work lost); never one
        taken back before or run past ``preempt_within_seconds``. (The grant rule serves studios
        below their share first, so the freed slot is the taker's by the same rule that grants it.)"""
        ranked = [
            ((-over[entry.request.studio], -start), entry.request)
            for key, (entry, start) in self.granted.items()
            if entry.request.studio in over and entry.request.kind == kind and key not in self.preempted
            and now - start <= self.policy.preempt_within_seconds
        ]  # fmt: skip
        return [request for _, request in sorted(ranked, key=lambda pair: pair[0])]

    def _take_back(self, victim: Request) -> None:
        """Stop charging the victim for its slot (it pays what it held) and queue it again in its old place."""
        key = (victim.job, victim.node)
        entry, start = self.granted[key]
        self.settle(victim.job, victim.node, self.clock() - start)
        self.preempted.add(key)
        self._enqueue(entry)

    def _enqueue(self, item: _Waiting) -> None:
        bisect.insort(self.waiting.setdefault(item.request.studio, []), item, key=lambda w: w.order)
        self._count(self.queued_of, item.request, +1)

    @staticmethod
    def _count(counts: dict[tuple[str, str], int], request: Request, delta: int) -> None:
        key = (request.studio, request.kind)
        counts[key] = counts.get(key, 0) + delta

    def _start(self, chosen: _Waiting) -> Request:
        request = chosen.request
        self.waiting[request.studio].remove(chosen)  # near the front: the head, or close to it
        self._count(self.queued_of, request, -1)
        self._count(self.held, request, +1)
        key = (request.job, request.node)
        self.running[key] = request
        self.granted[key] = (chosen, self.clock())
        cost = max(request.cost, MIN_CHARGE)
        self._meter(request.studio, request.kind).start(key, self.clock(), cost, self.policy.horizon_seconds)
        return request

    def _score(self, studio: str, request: Request) -> float:
        """The grant rule's order (rule 2): lower is served first, by the virtual time of the request's kind."""
        return self.virtual_time(studio, request.kind) - self.policy.bonus(request.priority)

    # ---------------------------------------------------------------- views

    def usage(self, studio: str, kind: str | None = None) -> float:
        """Device-seconds charged so far (of ``kind``; None: of every kind): settled grants plus what
        the running ones have cost yet."""
        now = self.clock()
        if kind is not None:
            meter = self.meters.get((studio, kind))
            return self.kind_charged.get((studio, kind), 0.0) + (meter.cost(now) if meter is not None else 0.0)
        running = sum(m.cost(now) for (s, _), m in self.meters.items() if s == studio)
        return self.charged.get(studio, 0.0) + running

    def virtual_time(self, studio: str, kind: str | None = None) -> float:
        return self.usage(studio, kind) / self.policy.weight(studio)

    def queued(self, job: str | None = None) -> int:
        return sum(1 for items in self.waiting.values() for w in items if job is None or w.request.job == job)

    def order(self) -> list[str]:
        """Jobs with queued work, in the order the next grants would favour them (queue positions)."""
        heads: list[tuple[tuple[float, int], str]] = []
        seen: set[str] = set()
        for studio, items in self.waiting.items():
            for w in items:
                if w.request.job in seen:
                    continue
                seen.add(w.request.job)
                score = self._score(studio, w.request)
                heads.append(((score, w.seq), w.request.job))
        return [job for _, job in sorted(heads)]

    # ---------------------------------------------------------------- helpers

    def _head(self, items: list[_Waiting], fits: Callable[[Request], bool]) -> _Waiting | None:
        return next((w for w in items if fits(w.request)), None)

    def _order_key(self, w: _Waiting) -> tuple[float, int]:
        """Aged priority, then age. Every request of a studio ages at the same rate, so the order by
        ``priority + (now - since) / aging`` never changes once queued: it is ``since / aging - priority``."""
        return (w.since / max(self.policy.aging_seconds, 1e-9) - w.request.priority, w.seq)

    def _catch_up(self, studio: str, kind: str) -> None:
        """A studio queuing work of ``kind`` again starts at the smallest virtual time of that kind
        among the studios with such work queued, or running if none has it queued (no credit banked
        while it asked for nothing)."""
        queued = {s for (s, k), n in self.queued_of.items() if k == kind and n > 0} - {studio}
        busy = queued or {r.studio for r in self.running.values() if r.kind == kind} - {studio}
        if not busy:
            return
        floor = min(self.virtual_time(s, kind) for s in busy)
        mine = self.virtual_time(studio, kind)
        if mine < floor:
            self._charge(studio, kind, (floor - mine) * self.policy.weight(studio))

    def _charge(self, studio: str, kind: str, amount: float) -> None:
        self.charged[studio] = self.charged.get(studio, 0.0) + amount
        self.kind_charged[(studio, kind)] = self.kind_charged.get((studio, kind), 0.0) + amount

    def _meter(self, studio: str, kind: str) -> _RunningMeter:
        meter = self.meters.get((studio, kind))
        if meter is None:
            meter = self.meters[(studio, kind)] = _RunningMeter()
        return meter


class _RunningMeter:
    """One studio's running grants, each costing ``max(ran, min(estimate, ran + horizon))``, in O(log n).

    So a grant costs its estimate up to ``horizon`` at once, then one second per second it holds the
    slot (always ``horizon`` ahead of what it has run, never beyond its estimate), and the seconds it
    has run once it overruns. Each grant passes through three phases, moved lazily by a heap:
    ``ahead`` (cost ``ran + horizon``), ``flat`` (cost ``estimate``), ``over`` (cost ``ran``).
    """

    __slots__ = ("ahead", "flat", "over", "phase", "turns")

    def __init__(self) -> None:
        self.ahead = [0, 0.0]  # [count, sum of (start - horizon)]
        self.flat = 0.0  # sum of estimates
        self.over = [0, 0.0]  # [count, sum of starts]
        self.turns: list[tuple[float, int, tuple[str, str]]] = []  # (when, next phase, key)
        self.phase: dict[tuple[str, str], tuple[int, float, float, float]] = {}  # key -> (phase, start, est, horizon)

    def start(self, key: tuple[str, str], now: float, estimate: float, horizon: float) -> None:
        if estimate > horizon:
            self._enter(key, 0, now, estimate, horizon)
            heapq.heappush(self.turns, (now + estimate - horizon, 1, key))
        else:
            self._enter(key, 1, now, estimate, horizon)
        heapq.heappush(self.turns, (now + estimate, 2, key))

    def stop(self, key: tuple[str, str], now: float) -> float:
        """Forget a grant; returns what it cost up to now."""
        self._advance(now)
        entry = self.phase.pop(key, None)
        if entry is None:
            return 0.0
        phase, start, estimate, horizon = entry
        self._leave(phase, start, estimate, horizon)
        return (now - start + horizon, estimate, now - start)[phase]

    def cost(self, now: float) -> float:
        self._advance(now)
        return self.ahead[0] * now - self.ahead[1] + self.flat + self.over[0] * now - self.over[1]

    def _enter(self, key: tuple[str, str], phase: int, start: float, estimate: float, horizon: float) -> None:
        self.phase[key] = (phase, start, estimate, horizon)
        if phase == 0:
            self.ahead[0] += 1
            self.ahead[1] += start - horizon
        elif phase == 1:
            self.flat += estimate
        else:
            self.over[0] += 1
            self.over[1] += start

    def _leave(self, phase: int, start: float, estimate: float, horizon: float) -> None:
        if phase == 0:
            self.ahead[0] -= 1
            self.ahead[1] -= start - horizon
        elif phase == 1:
            self.flat -= estimate
        else:
            self.over[0] -= 1
            self.over[1] -= start

    def _advance(self, now: float) -> None:
        while self.turns and self.turns[0][0] <= now:
            _, phase, key = heapq.heappop(self.turns)
            entry = self.phase.get(key)
            if entry is None or entry[0] >= phase:
                continue  # stopped, or already there
            self._leave(*entry)
            self._enter(key, phase, *entry[1:])
