"""``locality``: greedy data locality with no regard for load.

The zone holding most of a task's input bytes; a chain's first task goes to a zone with its weights
staged; otherwise the zone with the most GPU throughput.
"""

from __future__ import annotations

from orchestrator.placement.policies.base import Placer


class LocalityPlacer(Placer):
    name = "locality"

    def choose_zone(self, t: int) -> int:
        s = self.sim
        w = s.w
        zones = self.live_zones(t)
        by_zone = [0.0] * s.nz
        for p in w.preds[t]:
            by_zone[s.zone_of[p]] += w.out_bytes[p]
        if any(by_zone[zi] for zi in zones):
            return max(zones, key=by_zone.__getitem__)
        m = w.model[t]
        if m >= 0:
            for zi in zones:
                if s.staged[zi][m]:
                    return zi
        return max(zones, key=s.speed_sum.__getitem__)
