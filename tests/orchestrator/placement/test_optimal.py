"""The exact CP-SAT solver on task graphs: the published example, loads per slot, the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.placement.graph import graph_from_data, load_graph

pytest.importorskip("ortools")
from orchestrator.placement.optimal import solve


def _valid(graph, schedule) -> None:
    """Every precedence with its transfer, one task at a time per slot."""
    at = {t.id: t for t in schedule.tasks}
    for e in graph.edges:
        a, b = at[e.src], at[e.dst]
        assert b.start >= a.finish + graph.comm_time(e, a.resource, b.resource) - 1e-6
    by_slot: dict = {}
    for t in schedule.tasks:
        by_slot.setdefault((t.resource, t.slot), []).append((t.start, t.finish))
    for spans in by_slot.values():
        spans.sort()
        assert all(x[1] <= y[0] + 1e-6 for x, y in itertools.pairwise(spans))


def test_topcuoglu2002_optimum_is_73_below_heft_80(graphs_dir):
    graph = load_graph(graphs_dir / "topcuoglu2002.json")
    solution = solve(graph, time_limit_s=60)
    assert solution.optimal and solution.schedule.makespan == 73
    _valid(graph, solution.schedule)


def test_a_slot_holds_one_model_and_reloads_on_every_change():
    graph = graph_from_data(
        {
            "resources": [{"id": "gpu", "load": {"m1": 10, "m2": 10}}],
            "tasks": [
                {"id": "a", "cost": {"gpu": 1}, "model": "m1"},
                {"id": "b", "cost": {"gpu": 1}, "model": "m2"},
                {"id": "c", "cost": {"gpu": 1}, "model": "m1"},
            ],
        }
    )
    solution = solve(graph)
    assert solution.optimal and solution.schedule.makespan == 23  # a, c together: two loads, not three


def test_identical_slots_are_ordered_without_losing_the_optimum():
    # Four independent tasks on two identical slots: 3+3 | 4+2 in one of the two labellings, makespan 12 / 2.
    graph = graph_from_data(
        {
            "resources": [{"id": "gpu", "slots": 2}],
            "tasks": [{"id": f"t{i}", "cost": {"gpu": c}} for i, c in enumerate([3, 4, 2, 3])],
        }
    )
    solution = solve(graph)
    assert solution.optimal and solution.schedule.makespan == 6
    first = {}
    for i, t in enumerate(solution.schedule.tasks):
        first.setdefault(t.slot, i)
    assert first[0] == 0 and (1 not in first or first[1] > first[0])  # slot 0 holds the first task
    _valid(graph, solution.schedule)


def test_kaipais_simulated_schedule_is_a_valid_hint_and_the_optimum_stays(tmp_path):
    from orchestrator.placement.policies import make_placer
    from orchestrator.placement.scenario import load_scenario
    from orchestrator.placement.scenario_graph import simulated_schedule, workload_graph
    from orchestrator.placement.simulator import Simulation
    from orchestrator.placement.workload import generate

    scenario = load_scenario(Path(__file__).resolve().parents[3] / "configs" / "scenarios" / "tiny.yaml")
    scenario.spec.seed = 5
    w = generate(scenario)
    sim = Simulation(scenario.topology, w, make_placer("kaipai", 5), seed=5)
    sim.run()
    graph = workload_graph(w, scenario.topology)
    hint = simulated_schedule(sim)
    assert hint.makespan == sim.result().makespan
    for t, st in zip(graph.tasks, hint.tasks, strict=True):
        assert t.id == st.id and st.finish - st.start == pytest.approx(t.cost[st.resource])
    _valid(graph, hint)  # the simulation is feasible in the graph, which relaxes it
    hinted, plain = solve(graph, 60, hint=hint), solve(graph, 60)
    assert hinted.optimal and plain.optimal
    assert hinted.schedule.makespan == pytest.approx(plain.schedule.makespan)
    assert hinted.schedule.makespan <= hint.makespan


def test_cli_schedule_optimal(graphs_dir):
    from orchestrator.cli import app
    from orchestrator.commands import placement  # noqa: F401

    result = CliRunner().invoke(app, ["schedule", str(graphs_dir / "topcuoglu2002.json"), "--policy", "optimal"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["makespan"] == 73 and out["optimal"] is True
