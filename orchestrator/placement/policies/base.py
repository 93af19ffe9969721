"""The ``Placer`` interface: online placement decisions from the cluster's state.

The simulator, ``kaipai run`` / ``kaipai plan`` (through ``place_dag``) and the cluster service all
drive a placer the same way: ``bind`` it to a cluster state, then for every ready task ask
``choose_zone``; when the task's inputs are in that zone, ``enqueue_gpu`` starts or queues it; when a
GPU finishes, ``gpu_freed`` picks its next task (or leaves it idle); ``observe`` reports what a task
really took. State the placer reads (``ClusterState``): free GPUs per zone and kind (``free``,
``free_in_group``), the model each GPU holds (``gpu_model``, ``warm``), queued and running work
(``gpu_queue``, ``queued_work``, ``backlog``, ``busy_until``), link load (``links``), arrivals and
the workload's estimates (``w``).

The default GPU handling here is what a plain task scheduler does inside a zone: a GPU that holds
the task's model, else one from the largest idle pool; a freed GPU takes queued work for its model
first, else the head of the queues.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestrator.placement.simulator import Simulation


class Placer:
    """Base placer: subclasses choose zones; GPU matching inside a zone defaults to the plain one."""

    name = "base"
    fetch_once_per_zone = False  # a zone lacking a model fetches one copy for all its GPUs

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.sim: Simulation

    def bind(self, sim: Simulation) -> None:
        self.sim = sim

    def choose_zone(self, t: int) -> int:
        raise NotImplementedError

    def queue_key(self, t: int) -> tuple:
        """A queue entry: ordering key ending with the task id (unique, so ties never compare further)."""
        return (t,)

    def observe(self, t: int, g: int, seconds: float) -> None:
        """Task t took ``seconds`` on GPU g (load included); plain placers do not learn."""

    def zone_lost(self, zi: int) -> list[int]:
        """Zone zi is gone: tasks the placer holds there outside the zone's queues, to place again."""
        return []

    def enqueue_gpu(self, t: int, zi: int) -> None:
        s = self.sim
        if s.free_count[zi]:
            free = s.free[zi]
            own = free[s.w.model[t]]
            if own:
                _, g = heapq.heappop(own)
            else:
                _, g = heapq.heappop(max((lst for lst in free if lst), key=len))
            s.take_gpu(g)
            s.run_on_gpu(t, g)
        else:
            heapq.heappush(s.gpu_queue[zi][s.w.model[t]], self.queue_key(t))

    def gpu_freed(self, g: int) -> None:
        s = self.sim
        zi = s.gpu_zone[g]
        queues = s.gpu_queue[zi]
        m = s.gpu_model[g]
        if m != s.none and queues[m]:
            s.run_on_gpu(heapq.heappop(queues[m])[-1], g)
            return
        best = None
        for q in queues:
            if q and (best is None or q[0] < best[0]):
                best = q
        if best is not None:
            s.run_on_gpu(heapq.heappop(best)[-1], g)
            return
        s.release_gpu(g)

    def live_zones(self, t: int) -> list[int]:
        s = self.sim
        return [zi for zi in range(s.nz) if s.can_run(zi, t)]
