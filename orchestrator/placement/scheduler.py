"""The pure scheduling core: insertion-based list scheduling with communication costs.

``heft`` is Topcuoglu, Hariri & Wu (2002) exactly: tasks in decreasing upward rank (mean run time
over the resources a task may use, mean communication cost), each placed on the resource giving the
earliest finish time, inserted into the earliest idle gap long enough for it. Ties go to the task
listed first and to the resource listed first, so published examples come out identically.

``kaipai`` keeps that machinery and adds what a studio workload needs:
- studio priority first: a higher ``priority`` task is ranked before any lower one;
- episodes stay together: the first placed task of a ``group`` fixes its home resource; elsewhere a
  task is charged the time to ship its output back home for its group's successors, so a shot is
  spilled to another zone only when its earlier finish still wins with that transfer included;
- weights locality: a resource's ``load`` time for a model is paid on each slot that has not loaded
  it yet (both policies pay it when it happens; it is what makes spilling expensive).
A resource with ``slots: k`` is k independent timelines; a task goes on the one where it finishes first.

``timelines`` lets successive calls book into the same slots: the simulator's ``heft`` plans each job
as it arrives into the reservations of the jobs planned before it (insertion fills their gaps).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right, insort
from dataclasses import dataclass

from orchestrator.placement import paths
from orchestrator.placement.graph import TaskGraph, topo_order

POLICIES = ("heft", "kaipai")


@dataclass(frozen=True)
class ScheduledTask:
    id: str
    resource: str
    slot: int
    start: float
    finish: float


@dataclass
class Schedule:
    makespan: float
    tasks: list[ScheduledTask]

    def to_json(self, slots: dict[str, int] | None = None) -> dict:
        """DESIGN.md's output; ``slot`` is added only for resources with more than one slot."""
        out = []
        for t in self.tasks:
            row: dict = {"id": t.id, "resource": t.resource, "start": _num(t.start), "finish": _num(t.finish)}
            if slots and slots.get(t.resource, 1) > 1:
                row["slot"] = t.slot
            out.append(row)
        return {"makespan": _num(self.makespan), "tasks": out}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 6)


class Timeline:
    """One slot's busy intervals, sorted and disjoint, plus the models it has loaded."""

    __slots__ = ("finishes", "loaded", "starts")

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.finishes: list[float] = []
        self.loaded: set[str] = set()

    def earliest_start(self, ready: float, duration: float) -> float:
        """Start of the first idle gap at or after ``ready`` that fits ``duration`` (insertion policy)."""
        i = bisect_right(self.finishes, ready)
        t = ready
        for j in range(i, len(self.starts)):
            if self.starts[j] - t >= duration:
                return t
            t = max(t, self.finishes[j])
        return t

    def book(self, start: float, finish: float) -> None:
        insort(self.starts, start)
        insort(self.finishes, finish)


def upward_ranks(graph: TaskGraph) -> list[float]:
    """rank_u(i) = mean cost(i) + max over successors j of (mean comm(i, j) + rank_u(j))."""
    comm: dict[tuple[int, int], float] = {}
    for i, out in enumerate(graph.succ):
        for j, e in out:
            comm[(i, j)] = max(comm.get((i, j), 0.0), graph.mean_comm(e))
    mean = [sum(t.cost.values()) / len(t.cost) for t in graph.tasks]
    succs = [[j for j, _ in out] for out in graph.succ]
    return paths.upward_ranks(topo_order(graph)[::-1], succs, mean, lambda i, j: comm[(i, j)])


def schedule(graph: TaskGraph, policy: str = "heft", timelines: dict[str, list[Timeline]] | None = None) -> Schedule:
    """Schedule every task of ``graph``; returns start/finish per task in input order.

    ``timelines`` (resource id -> one Timeline per slot), when given, holds earlier bookings and
    models already loaded, and receives this graph's bookings; missing resources are added to it.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    kaipai = policy == "kaipai"
    tasks = graph.tasks
    rank = upward_ranks(graph)
    if timelines is None:
        timelines = {}
    for r in graph.resources:
        timelines.setdefault(r.id, [Timeline() for _ in range(r.slots)])
    loads = {r.id: r.load for r in graph.resources}
    order_of = {r.id: n for n, r in enumerate(graph.resources)}
    placed: list[ScheduledTask | None] = [None] * len(tasks)
    home: dict[str, str] = {}

    def key(i: int) -> tuple:
        return (-tasks[i].priority if kaipai else 0, -rank[i], i)

    indeg = [len(p) for p in graph.pred]
    ready = [key(i) for i, d in enumerate(indeg) if d == 0]
    heapq.heapify(ready)
    while ready:
        i = heapq.heappop(ready)[-1]
        task = tasks[i]
        best: tuple | None = None
        group_home = home.get(task.group) if kaipai and task.group else None
        for rid in sorted(task.cost, key=order_of.__getitem__):
            data_ready = task.release
            for p, edge in graph.pred[i]:
                src = placed[p]
                assert src is not None
                data_ready = max(data_ready, src.finish + graph.comm_time(edge, src.resource, rid))
            penalty = 0.0
            if group_home is not None and rid != group_home:
                penalty = _return_cost(graph, i, rid, group_home)
            for slot, tl in enumerate(timelines[rid]):
                duration = task.cost[rid]
                if task.model and task.model not in tl.loaded:
                    duration += loads[rid].get(task.model, 0.0)
                start = tl.earliest_start(data_ready, duration)
                finish = start + duration
                score = (finish + penalty, 0 if rid == group_home else 1, order_of[rid], slot)
                if best is None or score < best[0]:
                    best = (score, rid, slot, start, finish)
        assert best is not None
        _, rid, slot, start, finish = best
        tl = timelines[rid][slot]
        tl.book(start, finish)
        if task.model:
            tl.loaded.add(task.model)
        placed[i] = ScheduledTask(task.id, rid, slot, start, finish)
        if kaipai and task.group and task.group not in home:
            home[task.group] = rid
        for j, _ in graph.succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                heapq.heappush(ready, key(j))
    done = [t for t in placed if t is not None]
    return Schedule(max((t.finish for t in done), default=0.0), done)


def _return_cost(graph: TaskGraph, i: int, rid: str, home: str) -> float:
    """Time to ship task i's output from ``rid`` back to its group's home for same-group successors."""
    group = graph.tasks[i].group
    cost = 0.0
    for j, edge in graph.succ[i]:
        succ = graph.tasks[j]
        if succ.group == group and home in succ.cost:
            cost = max(cost, graph.comm_time(edge, rid, home))
    return cost
