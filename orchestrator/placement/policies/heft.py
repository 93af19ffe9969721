"""``heft``: HEFT's static plan, made once per job at its arrival and replayed.

When a job arrives (its first task asks for a zone), its tasks become a task graph
(``scenario_graph.workload_graph``: one resource per zone and GPU kind, slots = its GPUs, plus
the zone's CPU cores) and ``scheduler.schedule(graph, "heft")`` plans them exactly as Topcuoglu,
Hariri & Wu (2002): upward rank, earliest finish time per task, insertion into idle gaps, into
the same slot timelines every earlier job was planned into (so a later job fills the gaps that
earlier plans left, and a slot remembers the models it has loaded). All from the estimates.

The simulation then replays the plan against the real run times: each task goes to its planned
zone, and on its planned GPU (slot k of "zone/kind" is that zone's k-th GPU of the kind) tasks
start in planned order (start, finish, id), each when its inputs are there and the GPU is free;
a GPU whose next planned task is not ready waits for it, even with later work ready. This cannot
deadlock: every planned start is after the planned finish of the task's inputs. CPU tasks go to
their planned zone and queue there by planned start. A task whose planned zone was lost (or is
lost while it waits) is placed online, as ``heft-online`` places it, and runs from the zone's
queues on any GPU whose planned task is not ready.
"""

from __future__ import annotations

import heapq

from orchestrator.placement import scheduler
from orchestrator.placement.policies.heft_online import HeftOnlinePlacer
from orchestrator.placement.scenario_graph import workload_graph


class HeftPlacer(HeftOnlinePlacer):
    name = "heft"

    def bind(self, sim) -> None:
        super().bind(sim)
        w, n = sim.w, len(sim.w.kind)
        self.timelines: dict[str, list[scheduler.Timeline]] = {}
        self.job_task_ids: list[list[int]] = [[] for _ in w.job_tasks]
        for t, j in enumerate(w.job):
            self.job_task_ids[j].append(t)
        self.planned = [False] * len(w.job_tasks)
        self.plan_zone = [-1] * n
        self.plan_gpu = [-1] * n  # -1: a CPU task
        self.plan_start = [0.0] * n
        self.ready = [False] * n  # inputs in the planned zone, waiting for the planned GPU
        self.adrift = [False] * n  # placed online: its planned zone was lost
        self.plan: list[list[tuple[float, float, int]]] = [[] for _ in sim.gpu_speed]  # per GPU, planned order
        names = [z.name for z in sim.zones]
        self.zone_index = {name: zi for zi, name in enumerate(names)}
        self.gpus_of: dict[str, list[int]] = {}
        for g, (zi, kind) in enumerate(zip(sim.gpu_zone, sim.gpu_kind, strict=True)):
            self.gpus_of.setdefault(f"{names[zi]}/{kind}", []).append(g)

    # ---- the plan

    def plan_job(self, j: int) -> None:
        """HEFT over job j's tasks, booked into the slots earlier jobs' plans already hold."""
        s = self.sim
        self.planned[j] = True
        graph = workload_graph(s.w, s.topology, self.job_task_ids[j])
        for st in scheduler.schedule(graph, "heft", self.timelines).tasks:
            t = int(st.id[1:])
            zone, kind = st.resource.rsplit("/", 1)
            self.plan_zone[t] = self.zone_index[zone]
            self.plan_start[t] = st.start
            if kind != "cpu":
                g = self.gpus_of[st.resource][st.slot]
                self.plan_gpu[t] = g
                heapq.heappush(self.plan[g], (st.start, st.finish, t))

    # ---- the replay

    def queue_key(self, t: int) -> tuple:
        return (self.plan_start[t], t)

    def choose_zone(self, t: int) -> int:
        j = self.sim.w.job[t]
        if not self.planned[j]:
            self.plan_job(j)
        zi = self.plan_zone[t]
        if self.sim.alive[zi] and not self.adrift[t]:
            return zi
        self.adrift[t] = True
        return super().choose_zone(t)

    def enqueue_gpu(self, t: int, zi: int) -> None:
        if self.adrift[t]:
            super().enqueue_gpu(t, zi)
            return
        self.ready[t] = True
        g = self.plan_gpu[t]
        if self.sim.running_on[g] < 0 and self.plan[g][0][-1] == t:
            self._take(g)
            self._run_next(g)

    def gpu_freed(self, g: int) -> None:
        s = self.sim
        plan = self.plan[g]
        if plan and self.ready[plan[0][-1]]:
            self._run_next(g)
        elif any(s.gpu_queue[s.gpu_zone[g]]):  # work placed online after a zone was lost
            super().gpu_freed(g)
        else:
            s.release_gpu(g)

    def zone_lost(self, zi: int) -> list[int]:
        """Tasks of zone zi that were ready and waiting for their planned GPU: placed online now."""
        s = self.sim
        waiting = []
        for g in range(len(s.gpu_speed)):
            if s.gpu_zone[g] == zi:
                for _, _, t in self.plan[g]:
                    if self.ready[t]:
                        self.ready[t] = False
                        self.adrift[t] = True
                        waiting.append(t)
        return waiting

    def _run_next(self, g: int) -> None:
        t = heapq.heappop(self.plan[g])[-1]
        self.ready[t] = False
        self.sim.run_on_gpu(t, g)

    def _take(self, g: int) -> None:
        """Take idle GPU g itself (not any idle GPU of the zone) out of its free heap."""
        s = self.sim
        heap = s.free[s.gpu_zone[g]][s.gpu_model[g]]
        i = next(k for k, entry in enumerate(heap) if entry[1] == g)
        heap[i] = heap[-1]
        heap.pop()
        heapq.heapify(heap)
        s.take_gpu(g)
