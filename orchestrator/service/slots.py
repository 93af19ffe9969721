"""Free slots per (zone, kind): what the service may hand out right now. Pure, no Ray."""

from __future__ import annotations

from orchestrator.service.fairshare import Request


class Slots:
    """Capacity from the cluster config (``cluster.slots``), minus the grants outstanding."""

    def __init__(self, capacity: dict[str, dict[str, int]]) -> None:
        self.capacity = {(zone, kind): n for zone, kinds in capacity.items() for kind, n in kinds.items()}
        self.used: dict[tuple[str, str], int] = dict.fromkeys(self.capacity, 0)
        self.lost: set[str] = set()

    def zones(self) -> list[str]:
        return sorted({zone for zone, _ in self.capacity})

    def free(self, zone: str, kind: str) -> int:
        if zone in self.lost:
            return 0
        return self.capacity.get((zone, kind), 0) - self.used.get((zone, kind), 0)

    def zone_for(self, request: Request) -> str | None:
        """The zone a request would run in now: its planned zone if free, any free one if unplaced."""
        if request.zone is not None:
            return request.zone if self.free(request.zone, request.kind) > 0 else None
        best = max(self.zones(), key=lambda z: self.free(z, request.kind), default=None)
        return best if best is not None and self.free(best, request.kind) > 0 else None

    def fits(self, request: Request) -> bool:
        return self.zone_for(request) is not None

    def take(self, request: Request) -> str:
        zone = self.zone_for(request)
        if zone is None:
            raise ValueError(f"no free {request.kind} slot for {request.node}")
        self.used[(zone, request.kind)] += 1
        return zone

    def give(self, zone: str, kind: str) -> None:
        key = (zone, kind)
        if self.used.get(key, 0) > 0:
            self.used[key] -= 1

    def knows(self, zone: str | None, kind: str) -> bool:
        """Whether a request could ever be granted (its zone has slots of its kind)."""
        if zone is None:
            return any(k == kind and n > 0 for (_, k), n in self.capacity.items())
        return self.capacity.get((zone, kind), 0) > 0
