"""``single-zone``: everything in the zone with the most GPU throughput (the one still up)."""

from __future__ import annotations

from orchestrator.placement.policies.base import Placer


class SingleZonePlacer(Placer):
    name = "single-zone"

    def choose_zone(self, t: int) -> int:
        s = self.sim
        return max(self.live_zones(t) or range(s.nz), key=lambda zi: s.speed_sum[zi] * s.alive[zi])
