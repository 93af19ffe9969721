"""``ray-default``: a model of what Ray itself does with these tasks (Ray 2.x default scheduling).

Sources, read from ray-project/ray:
- ``src/ray/core_worker/lease_policy.cc``, ``LocalityAwareLeasePolicy::GetBestNodeIdForTask``: the
  owner asks for a worker lease at the node holding the most bytes of the task's arguments (objects
  it knows the location of); with no located arguments, at the owner's own (driver's) node.
- ``src/ray/raylet/scheduling/policy/hybrid_scheduling_policy.cc``, ``ScheduleImpl``/``GetBestNode``:
  that raylet (the *preferred* node) scores every feasible node by its critical resource utilisation,
  zeroed below ``scheduler_spread_threshold`` (0.5, ``ray_config_def.h``); among nodes that are
  *available* now it keeps the preferred node when its score is the lowest, else picks uniformly at
  random among the top k = max(``scheduler_top_k_absolute`` 1, 20% ``scheduler_top_k_fraction`` of
  the nodes) by (score, node id); with no available node it does the same over feasible nodes, so the
  task waits in the chosen node's queue. ``CalculateCriticalResourceUtilization`` counts CPU, memory
  and object-store memory, not GPUs: a GPU node running GPU tasks with one CPU each stays under the
  threshold, so for GPU work "pack" means "stay on the preferred node if it has a GPU free".
- Docs, "Scheduling" (docs.ray.io/en/latest/ray-core/scheduling): "DEFAULT ... Ray's default
  hybrid policy ... packs ... then spreads", and locality-aware scheduling prefers nodes holding large
  task arguments. Ray knows neither model weights nor zones, and queues tasks first come, first served.

Modelled at zone granularity (the simulator tracks zones, not nodes): a zone is *available* for a
task when it has an idle GPU (a free core for CPU work); its score is its CPU utilisation (GPU tasks
count nothing); the top-k random pick weighs zones by their nodes (8 GPUs or 64 cores each). That
favours Ray slightly: a real preferred node is one machine, which is full more often than its zone.
The driver runs on the head node, in the first zone of the topology.
"""

from __future__ import annotations

import random

from orchestrator.placement.policies.base import Placer

SPREAD_THRESHOLD = 0.5  # RAY_CONFIG(float, scheduler_spread_threshold, 0.5)
TOP_K_FRACTION = 0.2  # RAY_CONFIG(float, scheduler_top_k_fraction, 0.2)
TOP_K_ABSOLUTE = 1  # RAY_CONFIG(int32_t, scheduler_top_k_absolute, 1)
GPUS_PER_NODE = 8
CPUS_PER_NODE = 64
DRIVER_ZONE = 0


class RayDefaultPlacer(Placer):
    name = "ray-default"

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.rng = random.Random(seed + 2)

    def bind(self, sim) -> None:
        super().bind(sim)
        self.nodes = [
            max(1, -(-sim.gpu_count[zi] // GPUS_PER_NODE)) + -(-sim.n_cpus[zi] // CPUS_PER_NODE) for zi in range(sim.nz)
        ]

    def preferred(self, t: int) -> int:
        """The zone holding most of the task's argument bytes (the lease goes there), else the driver's."""
        s = self.sim
        by_zone = [0.0] * s.nz
        for p in s.w.preds[t]:
            by_zone[s.zone_of[p]] += s.w.out_bytes[p]
        best = max(range(s.nz), key=by_zone.__getitem__)
        return best if by_zone[best] > 0 else DRIVER_ZONE

    def score(self, zi: int) -> float:
        s = self.sim
        used = 1.0 - s.cpu_free[zi] / s.n_cpus[zi]
        return used if used >= SPREAD_THRESHOLD else 0.0

    def available(self, zi: int, t: int) -> bool:
        s = self.sim
        return s.cpu_free[zi] > 0 if s.w.model[t] < 0 else s.free_count[zi] > 0

    def choose_zone(self, t: int) -> int:
        feasible = self.live_zones(t)
        preferred = self.preferred(t)
        available = [zi for zi in feasible if self.available(zi, t)]
        candidates = available or feasible
        scores = {zi: self.score(zi) for zi in candidates}
        lowest = min(scores.values())
        if preferred in scores and scores[preferred] <= lowest:
            return preferred
        # top k nodes by (score, id): node ids are random, so the zones of the lowest-score nodes
        # come up in proportion to their node counts
        best = [zi for zi in candidates if scores[zi] == lowest]
        k = max(TOP_K_ABSOLUTE, int(sum(self.nodes) * TOP_K_FRACTION))
        low_nodes = sum(self.nodes[zi] for zi in best)
        if k > low_nodes:  # the top k reach past the lowest score: every candidate may come up
            best = candidates
        return self.rng.choices(best, [self.nodes[zi] for zi in best])[0]
