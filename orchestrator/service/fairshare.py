"""Who gets the next free slot: weighted fair queuing over device-seconds, with bounded priority.

Pure (no Ray, no wall clock: the clock is passed in), so the same object runs inside the cluster
service, in unit tests with a fake clock and in the datong-standard replay (``service.replay``).

The rule, one grant at a time (start-time fair queuing, the virtual-time form of deficit round
robin; Kueue and YuniKorn share by the same idea per Kubernetes job, we share per shot):

1. Each studio ``s`` has a weight ``w_s`` and a charge ``c_s`` (device-seconds it was granted).
   Its virtual time is ``v_s = c_s / w_s``. A studio whose queue was empty starts, when it queues
   again, at the smallest virtual time of the studios with a queue (of the busy ones if none has a
   queue), so neither idleness nor an empty queue banks credit (work-conserving: an idle cluster
   gives one studio everything, and it owes nothing for it later). Catching up only from full
   idleness let a studio that kept one long task running bank the service it did not ask for, then
   take every slot on its return until the others' lead was spent (SFQ's rule: a flow that becomes
   backlogged starts at the system's virtual time, whatever it still has in service).
2. Among the studios with a request that fits a free slot, the one with the smallest
   ``v_s - bonus(priority)`` wins; ``bonus`` grows with the job's priority and is capped at
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
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

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

    def weight(self, studio: str) -> float:
        return max(self.weights.get(studio, self.default_weight), 1e-9)

    def bonus(self, priority: int) -> float:
        return max(-self.max_jump, min(self.max_jump, (priority - self.base_priority) * self.jump_per_priority))


class FairShare:
    """The global queue of requests and each studio's account."""

    def __init__(self, policy: Policy, clock: Callable[[], float]) -> None:
        self.policy = policy
        self.clock = clock
        self.charged: dict[str, float] = {}
        self.waiting: dict[str, list[_Waiting]] = {}  # studio -> its requests, in serving order
        self.running: dict[tuple[str, str], Request] = {}  # (job, node) -> granted request
        self.meters: dict[str, _RunningMeter] = {}  # studio -> what its running grants have cost so far
        self._seq = 0

    # ---------------------------------------------------------------- the queue

    def submit(self, request: Request) -> None:
        """Queue one request (a node whose inputs exist)."""
        if not self.waiting.get(request.studio):
            self._catch_up(request.studio)
        self._seq += 1
        item = _Waiting(request, self._seq, self.clock())
        item.order = self._order_key(item)
        bisect.insort(self.waiting.setdefault(request.studio, []), item, key=lambda w: w.order)

    def withdraw(self, job: str) -> list[Request]:
        """Drop a job's queued requests (cancelled, or its driver went away); returns them."""
        dropped: list[Request] = []
        for studio, items in self.waiting.items():
            dropped += [w.request for w in items if w.request.job == job]
            self.waiting[studio] = [w for w in items if w.request.job != job]
        return dropped

    def grant(self, fits: Callable[[Request], bool]) -> Request | None:
        """The next request to run among those ``fits`` says have a free slot; charged its estimate."""
        best: tuple[float, int, str] | None = None
        chosen: _Waiting | None = None
        for studio, items in self.waiting.items():
            head = self._head(items, fits)
            if head is None:
                continue
            score = self.virtual_time(studio) - self.policy.bonus(head.request.priority)
            key = (score, head.seq, studio)
            if best is None or key < best:
                best, chosen = key, head
        if chosen is None:
            return None
        request = chosen.request
        self.waiting[request.studio].remove(chosen)  # near the front: the head, or close to it
        self.running[(request.job, request.node)] = request
        cost = max(request.cost, MIN_CHARGE)
        self._meter(request.studio).start((request.job, request.node), self.clock(), cost, self.policy.horizon_seconds)
        return request

    def settle(self, job: str, node: str, seconds: float | None) -> Request | None:
        """The granted node finished (or was given back): replace its estimate by what it used."""
        request = self.running.pop((job, node), None)
        if request is None:
            return None
        ran = self._meter(request.studio).stop((job, node), self.clock())
        self._charge(request.studio, max(seconds if seconds is not None else ran, MIN_CHARGE))
        return request

    # ---------------------------------------------------------------- views

    def usage(self, studio: str) -> float:
        """Device-seconds charged so far: settled grants plus what the running ones have cost yet."""
        meter = self.meters.get(studio)
        running = meter.cost(self.clock()) if meter is not None else 0.0
        return self.charged.get(studio, 0.0) + running

    def virtual_time(self, studio: str) -> float:
        return self.usage(studio) / self.policy.weight(studio)

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
                score = self.virtual_time(studio) - self.policy.bonus(w.request.priority)
                heads.append(((score, w.seq), w.request.job))
        return [job for _, job in sorted(heads)]

    # ---------------------------------------------------------------- helpers

    def _head(self, items: list[_Waiting], fits: Callable[[Request], bool]) -> _Waiting | None:
        return next((w for w in items if fits(w.request)), None)

    def _order_key(self, w: _Waiting) -> tuple[float, int]:
        """Aged priority, then age. Every request of a studio ages at the same rate, so the order by
        ``priority + (now - since) / aging`` never changes once queued: it is ``since / aging - priority``."""
        return (w.since / max(self.policy.aging_seconds, 1e-9) - w.request.priority, w.seq)

    def _catch_up(self, studio: str) -> None:
        """A studio queuing again starts at the smallest virtual time of the studios with a queue, or
        of the busy ones if none has a queue (no credit banked while it asked for nothing)."""
        queued = {s for s, items in self.waiting.items() if items} - {studio}
        busy = queued or {r.studio for r in self.running.values()} - {studio}
        if not busy:
            return
        floor = min(self.virtual_time(s) for s in busy)
        if self.virtual_time(studio) < floor:
            self._charge(studio, (floor - self.virtual_time(studio)) * self.policy.weight(studio))

    def _charge(self, studio: str, amount: float) -> None:
        self.charged[studio] = self.charged.get(studio, 0.0) + amount

    def _meter(self, studio: str) -> _RunningMeter:
        meter = self.meters.get(studio)
        if meter is None:
            meter = self.meters[studio] = _RunningMeter()
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
