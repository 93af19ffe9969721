"""The exact CP-SAT solver on task graphs: the published example, loads per slot, the CLI."""

from __future__ import annotations

import itertools
import json

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


def test_cli_schedule_optimal(graphs_dir):
    from orchestrator.cli import app
    from orchestrator.commands import placement  # noqa: F401

    result = CliRunner().invoke(app, ["schedule", str(graphs_dir / "topcuoglu2002.json"), "--policy", "optimal"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["makespan"] == 73 and out["optimal"] is True
