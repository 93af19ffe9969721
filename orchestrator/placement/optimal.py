"""The exact optimum of a small task graph with OR-Tools CP-SAT (``pip install kaipai[optimal]``).

The model is the scheduling core's problem exactly: every slot of a resource is one machine; a task
runs on one slot of a resource it has a cost for, for that cost; an edge's data takes
``comm_time`` when the two tasks are on different resources (nothing on the same one); a slot holds
one model at a time, so the order of its tasks (a circuit per slot) pays the resource's ``load``
seconds for a task's ``model`` on its first task and at every change of model; a task starts no
earlier than its ``release``; slots run one task at a time. (A load may happen before the release
of the task it is for: the only way the model is looser than the simulator.) Times are integers
in ``1 / SCALE`` seconds, so an optimum is exact to 1 ms.

Two things help CP-SAT prove more within its time limit, neither changes the optimum:
- the slots of one resource are identical, so they are ordered by the first task (in graph order)
  each runs: a task may use slot k > 0 only when an earlier task uses slot k - 1. Every schedule
  has a relabelling of slots that satisfies this, so no makespan is lost;
- a ``hint`` (a schedule, e.g. kaipai's simulated one) starts the search from a good incumbent; its
  slots are relabelled the same way so it satisfies the symmetry breaking.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.placement.graph import TaskGraph
from orchestrator.placement.scheduler import Schedule, ScheduledTask

SCALE = 1000  # CP-SAT works in integers: milliseconds
MAX_TASKS = 400  # beyond this an exact solve is not what anyone should wait for


@dataclass
class Solution:
    schedule: Schedule
    optimal: bool  # False: the time limit ran out; ``bound`` is then CP-SAT's proven lower bound
    bound: float


def _ticks(seconds: float) -> int:
    return round(seconds * SCALE)


def solve(graph: TaskGraph, time_limit_s: float = 60.0, workers: int = 2, hint: Schedule | None = None) -> Solution:
    """Minimise the makespan of ``graph``; raises ImportError when ortools is not installed.

    ``hint``: a schedule of the same graph (task ids and resource ids as in it) to start from.
    """
    from ortools.sat.python import cp_model

    if len(graph.tasks) > MAX_TASKS:
        raise ValueError(f"{len(graph.tasks)} tasks: the exact solver takes at most {MAX_TASKS}")
    m = cp_model.CpModel()
    horizon = _horizon(graph)
    start = [m.new_int_var(_ticks(t.release), horizon, f"s{i}") for i, t in enumerate(graph.tasks)]
    end = [m.new_int_var(0, horizon, f"e{i}") for i in range(len(graph.tasks))]
    on_resource, choices, per_slot = _assignments(m, graph, start, end, horizon)
    _loads(m, graph, start, end, choices)
    _precedence(m, graph, start, end, on_resource)
    for intervals in per_slot.values():
        m.add_no_overlap(intervals)
    _break_slot_symmetry(m, graph, choices)
    makespan = m.new_int_var(0, horizon, "makespan")
    m.add_max_equality(makespan, end)
    m.minimize(makespan)
    if hint is not None:
        _hint(m, graph, hint, start, end, choices, on_resource)
        m.add_hint(makespan, _ticks(hint.makespan))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"CP-SAT found no schedule in {time_limit_s:.0f} s ({solver.status_name(status)})")
    tasks = []
    for i, t in enumerate(graph.tasks):
        rid, slot = next((r, k) for (j, r, k), lit in choices.items() if j == i and solver.boolean_value(lit))
        tasks.append(ScheduledTask(t.id, rid, slot, solver.value(start[i]) / SCALE, solver.value(end[i]) / SCALE))
    return Solution(
        Schedule(solver.value(makespan) / SCALE, tasks),
        status == cp_model.OPTIMAL,
        solver.best_objective_bound / SCALE,
    )


def _horizon(graph: TaskGraph) -> int:
    """Everything in a row on its slowest resource, every transfer and load paid: never exceeded."""
    total = max((t.release for t in graph.tasks), default=0.0)
    total += sum(max(t.cost.values()) for t in graph.tasks)
    total += sum(_max_comm(graph, e) for e in graph.edges)
    total += sum(max(r.load.values(), default=0.0) for r in graph.resources) * len(graph.tasks)
    return _ticks(total) + 1


def _max_comm(graph: TaskGraph, edge) -> float:
    ids = [r.id for r in graph.resources]
    return max((graph.comm_time(edge, a, b) for a in ids for b in ids if a != b), default=0.0)


def _assignments(m, graph: TaskGraph, start, end, horizon):
    """One optional interval per (task, slot) it may run on; exactly one is present."""
    slots = {r.id: r.slots for r in graph.resources}
    choices: dict[tuple[int, str, int], object] = {}
    on_resource: dict[tuple[int, str], object] = {}
    per_slot: dict[tuple[str, int], list] = {}
    for i, t in enumerate(graph.tasks):
        lits = []
        for rid, cost in t.cost.items():
            used = m.new_bool_var(f"r{i}_{rid}")
            on_resource[(i, rid)] = used
            here = []
            for k in range(slots[rid]):
                lit = m.new_bool_var(f"x{i}_{rid}_{k}")
                iv = m.new_optional_interval_var(start[i], _ticks(cost), end[i], lit, f"iv{i}_{rid}_{k}")
                choices[(i, rid, k)] = lit
                per_slot.setdefault((rid, k), []).append(iv)
                here.append(lit)
            m.add(sum(here) == used)
            lits.append(used)
        m.add_exactly_one(lits)
    return on_resource, choices, per_slot


def _loads(m, graph: TaskGraph, start, end, choices) -> None:
    """A slot holds one model: the order of its tasks (a circuit) pays a load at every change of model."""
    loads = {r.id: r.load for r in graph.resources}
    by_slot: dict[tuple[str, int], list[int]] = {}
    for i, rid, k in choices:
        by_slot.setdefault((rid, k), []).append(i)
    for (rid, k), tasks in by_slot.items():
        load = loads[rid]
        if not any(load.get(graph.tasks[i].model or "", 0.0) > 0 for i in tasks):
            continue
        arcs = [(0, 0, m.new_bool_var(f"empty_{rid}_{k}"))]
        for a, i in enumerate(tasks, start=1):
            here = choices[(i, rid, k)]
            arcs.append((a, a, here.Not()))
            first, last = m.new_bool_var(""), m.new_bool_var("")
            arcs += [(0, a, first), (a, 0, last)]
            m.add(start[i] >= _ticks(load.get(graph.tasks[i].model or "", 0.0))).only_enforce_if(first)
            for b, j in enumerate(tasks, start=1):
                if i == j:
                    continue
                nxt = m.new_bool_var("")
                arcs.append((a, b, nxt))
                mi, mj = graph.tasks[i].model, graph.tasks[j].model
                setup = 0.0 if mi == mj else load.get(mj or "", 0.0)
                m.add(start[j] >= end[i] + _ticks(setup)).only_enforce_if(nxt)
        m.add_circuit(arcs)


def _break_slot_symmetry(m, graph: TaskGraph, choices) -> None:
    """Identical slots ordered by their first task: task p on slot k needs an earlier task on k - 1."""
    for r in graph.resources:
        if r.slots < 2:
            continue
        able = [i for i, t in enumerate(graph.tasks) if r.id in t.cost]
        for k in range(1, r.slots):
            before = None  # true only if some task so far in ``able`` is on slot k - 1
            for i in able:
                if before is None:
                    m.add(choices[(i, r.id, k)] == 0)
                else:
                    m.add_implication(choices[(i, r.id, k)], before)
                nxt = m.new_bool_var("")
                m.add_bool_or([choices[(i, r.id, k - 1)]] + ([before] if before is not None else [])).only_enforce_if(
                    nxt
                )
                before = nxt


def _hint(m, graph: TaskGraph, hint: Schedule, start, end, choices, on_resource) -> None:
    """Every task's start, end, resource and slot from ``hint``, slots relabelled by their first task."""
    placed = {st.id: st for st in hint.tasks}
    first: dict[tuple[str, int], int] = {}
    for i, t in enumerate(graph.tasks):
        st = placed[t.id]
        first.setdefault((st.resource, st.slot), i)
    label: dict[tuple[str, int], int] = {}
    for rid in {rid for rid, _ in first}:
        used = sorted((i, slot) for (r, slot), i in first.items() if r == rid)
        label.update({(rid, slot): k for k, (_, slot) in enumerate(used)})
    for i, t in enumerate(graph.tasks):
        st = placed[t.id]
        m.add_hint(start[i], _ticks(st.start))
        m.add_hint(end[i], _ticks(st.finish))
        for rid in t.cost:
            m.add_hint(on_resource[(i, rid)], rid == st.resource)
    for (i, rid, k), lit in choices.items():
        st = placed[graph.tasks[i].id]
        m.add_hint(lit, rid == st.resource and k == label[(rid, st.slot)])


def _precedence(m, graph: TaskGraph, start, end, on_resource) -> None:
    """Successors start after their inputs arrive: the transfer depends on both tasks' resources."""
    for e in graph.edges:
        a, b = graph.index[e.src], graph.index[e.dst]
        m.add(start[b] >= end[a])
        for ra in graph.tasks[a].cost:
            for rb in graph.tasks[b].cost:
                comm = _ticks(graph.comm_time(e, ra, rb))
                if comm > 0:
                    m.add(start[b] >= end[a] + comm).only_enforce_if([on_resource[(a, ra)], on_resource[(b, rb)]])
