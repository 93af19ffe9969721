"""What each studio held of the GPUs against what fair share owed it, while the studios contended.

The one measure of the fair-share target, kept the same way by the live service (``kaipai cluster
status``, ``benchmarks/cluster.py``) and by the datong-standard replay (``service.replay``), so the
figure a benchmark prints on the cluster and the one the replay prints are the same figure.

While two or more studios have work of the kind queued and want more slots than they may use
together, each waiting studio is owed its weighted max-min share (``water_fill``) of the slots that
studios without a queue do not hold (none owed more than its demand: held plus queued). The ledger
integrates, per studio, the slots it held (``got``) and the share it was owed (``owed``) over that
time; ``got / owed`` of 1.0 is exactly its weight's share. When every studio is backlogged, owed is
proportional to weight, so Jain's index over the ratios is Jain's index over the weight-normalised
shares; when one wants less than its weight's share, it is owed only what it wants (work-conserving).

The state only changes when ``FairShare`` changes it, so ``FairShare`` calls :meth:`advance` at the
start of every change, and the integral is exact (piecewise constant), on whatever clock it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.service.fairshare import FairShare


class ShareLedger:
    """GPU-seconds (or slot-seconds of ``kind``) got and owed per studio while contended."""

    def __init__(self, fair: FairShare, kind: str = "gpu") -> None:
        self.fair, self.kind = fair, kind
        self.last: float | None = None
        self.got: dict[str, float] = {}
        self.owed: dict[str, float] = {}
        self.seconds: dict[str, float] = {}  # studio -> seconds it was contended
        self.contended_seconds = 0.0  # seconds two or more studios contended
        self.contended_now: set[str] = set()  # the studios contended over the last interval
        # Optional: slots each studio holds that it cannot be asked to give back (the replay's drain
        # diagnostic); with it, ``floored`` is the share owed with those as floors.
        self.floors: Callable[[], dict[str, int]] | None = None
        self.floored: dict[str, float] = {}

    def advance(self, now: float) -> None:
        """Count the state as it has been since the last call, up to ``now``."""
        if self.last is not None and now > self.last:
            self._integrate(now - self.last)
        if self.last is None or now > self.last:
            self.last = now

    def _integrate(self, dt: float) -> None:
        fair, kind = self.fair, self.kind
        waiting = {s for (s, k), n in fair.queued_of.items() if k == kind and n > 0}
        if len(waiting) < 2:
            self.contended_now = set()
            return
        others = sum(n for (s, k), n in fair.held.items() if k == kind and s not in waiting)
        pool = fair.capacity.get(kind, 0) - others
        held = {s: fair.held.get((s, kind), 0) for s in sorted(waiting)}  # name order: sums not hash-dependent
        demand = {s: held[s] + fair.queued_of[(s, kind)] for s in held}
        if sum(demand.values()) <= pool:
            self.contended_now = set()
            return  # every waiting studio could hold all it wants: waiting only for a slot to free
        self.contended_seconds += dt
        weight = {s: fair.policy.weight(s) for s in held}
        owed = water_fill(demand, weight, pool)
        floored = water_fill(demand, weight, pool, {s: self.floors().get(s, 0) for s in held}) if self.floors else {}
        for name in held:
            self.got[name] = self.got.get(name, 0.0) + held[name] * dt
            self.owed[name] = self.owed.get(name, 0.0) + owed[name] * dt
            self.seconds[name] = self.seconds.get(name, 0.0) + dt
            if floored:
                self.floored[name] = self.floored.get(name, 0.0) + floored[name] * dt
        self.contended_now = set(held)

    def ratio(self, studio: str) -> float | None:
        owed = self.owed.get(studio, 0.0)
        return self.got.get(studio, 0.0) / owed if owed else None

    def jain(self) -> float | None:
        """Jain's index over the studios' got/owed (1.0: each held exactly what it was owed)."""
        ratios = [r for s in self.owed if (r := self.ratio(s)) is not None]
        if not ratios or not any(ratios):
            return None
        return sum(ratios) ** 2 / (len(ratios) * sum(r * r for r in ratios))

    def view(self) -> dict[str, Any]:
        """For ``kaipai cluster status`` and the benchmark: per studio got, owed, ratio, seconds."""
        studios = {
            s: {"got": round(self.got.get(s, 0.0), 3), "owed": round(self.owed[s], 3), "ratio": self.ratio(s),
                "contended_seconds": round(self.seconds.get(s, 0.0), 3)}
            for s in sorted(self.owed)
        }  # fmt: skip
        return {"kind": self.kind, "contended_seconds": round(self.contended_seconds, 3), "jain": self.jain(),
                "studios": studios}  # fmt: skip


def water_fill(
    demand: dict[str, float], weight: dict[str, float], capacity: float, floor: dict[str, float] | None = None
) -> dict[str, float]:
    """Weighted max-min fair shares of ``capacity``: nobody gets more than its demand, nobody less than
    its floor (what it holds and cannot be asked to give back), the rest by weight.

    Each share is ``min(demand, max(floor, level x weight))`` for the one ``level`` at which they add
    up to ``capacity`` (or everyone's demand, if that is less); the sum is piecewise linear in the
    level, so it is solved exactly between the breakpoints."""
    floor = {s: min(floor.get(s, 0.0), demand[s]) for s in demand} if floor else dict.fromkeys(demand, 0.0)

    def shares(level: float) -> dict[str, float]:
        return {s: min(demand[s], max(floor[s], level * weight[s])) for s in demand}

    points = sorted({0.0} | {floor[s] / weight[s] for s in demand} | {demand[s] / weight[s] for s in demand})
    low = 0.0
    for high in points:
        if sum(shares(high).values()) >= capacity:
            a, b = sum(shares(low).values()), sum(shares(high).values())
            level = high if b == a else low + (capacity - a) / (b - a) * (high - low)
            return shares(max(level, 0.0))
        low = high
    return shares(points[-1])  # capacity exceeds every demand: each gets all it wants
