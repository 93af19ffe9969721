"""``heft-online``: HEFT applied task by task as work becomes ready. Earliest estimated finish over
zones, from each zone's backlog and the transfers its inputs need, at the zone's mean GPU speed;
queues ordered by upward rank. No knowledge of weights or episodes (Topcuoglu, Hariri & Wu 2002;
the paper's static HEFT, planned per job at its arrival and replayed, is ``heft``).
"""

from __future__ import annotations

from orchestrator.placement.policies.base import Placer


class HeftOnlinePlacer(Placer):
    name = "heft-online"

    def queue_key(self, t: int) -> tuple:
        return (-self.sim.w.rank[t], t)

    def choose_zone(self, t: int) -> int:
        s = self.sim
        w = s.w
        m, wt = w.model[t], w.work[t]
        best_z, best_est = -1, 0.0
        for zi in range(s.nz):
            if not s.can_run(zi, t):
                continue
            ready = 0.0
            for p in w.preds[t]:
                pz = s.zone_of[p]
                if pz != zi:
                    ready = max(ready, s.transfer_estimate(pz, zi, w.out_bytes[p]))
            if m < 0:
                est = max(ready, s.cpu_backlog[zi] / s.n_cpus[zi]) + wt
            else:
                avg_speed = s.speed_sum[zi] / s.gpu_count[zi]
                est = max(ready, s.backlog[zi] / s.speed_sum[zi]) + wt / avg_speed
            if best_z < 0 or est < best_est:
                best_z, best_est = zi, est
        return best_z
