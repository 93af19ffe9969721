"""``zone-blind``: ignores zones and data; spreads tasks over zones in proportion to their GPUs.

What a scheduler without topology or locality information does (random spreading). It is not
Ray's default: see ``ray_default.py`` for that.
"""

from __future__ import annotations

import random

from orchestrator.placement.policies.base import Placer


class ZoneBlindPlacer(Placer):
    name = "zone-blind"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.rr = random.Random(seed + 1)

    def choose_zone(self, t: int) -> int:
        s = self.sim
        zones = self.live_zones(t)
        if s.w.model[t] < 0:
            return zones[self.rr.randrange(len(zones))]
        return self.rr.choices(zones, [s.gpu_count[zi] for zi in zones])[0]
