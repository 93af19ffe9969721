"""Task graph validation: every mistake named by its field, never a traceback."""

from __future__ import annotations

import json

import pytest

from orchestrator.placement.graph import graph_from_data, load_graph
from stages.errors import InputError

BASE = {
    "resources": [{"id": "A"}, {"id": "B"}],
    "tasks": [{"id": "x", "cost": {"A": 1}}, {"id": "y", "cost": {"B": 1}}],
    "edges": [{"from": "x", "to": "y", "comm": 1}],
}


def _problems(data: dict) -> str:
    with pytest.raises(InputError) as info:
        graph_from_data(data, "g.json")
    return str(info.value)


def test_valid_graph_loads():
    graph = graph_from_data(BASE)
    assert [t.id for t in graph.tasks] == ["x", "y"]
    assert graph.pred[1][0][0] == 0


def test_unknown_resource_in_cost():
    data = {**BASE, "tasks": [{"id": "x", "cost": {"C": 1}}, {"id": "y", "cost": {"B": 1}}]}
    assert "g.json: tasks[0].cost.C: unknown resource 'C'" in _problems(data)


def test_edge_to_unknown_task():
    data = {**BASE, "edges": [{"from": "x", "to": "zz", "comm": 1}]}
    assert "edges[0].to: edge names unknown task 'zz'" in _problems(data)


def test_cycle_is_named():
    data = {**BASE, "edges": [{"from": "x", "to": "y", "comm": 1}, {"from": "y", "to": "x", "comm": 1}]}
    assert "cycle: x -> y -> x" in _problems(data)


def test_bytes_edge_needs_a_link():
    data = {**BASE, "edges": [{"from": "x", "to": "y", "bytes": 100}]}
    assert "no link between 'A' and 'B'" in _problems(data)


def test_unknown_key_and_missing_field():
    data = {**BASE, "tasks": [{"id": "x", "cots": {"A": 1}}]}
    text = _problems(data)
    assert "tasks[0].cots: unknown key" in text
    assert "tasks[0].cost: Field required" in text


def test_duplicate_ids_and_negative_cost():
    data = {**BASE, "tasks": [{"id": "x", "cost": {"A": -1}}, {"id": "x", "cost": {"B": 1}}], "edges": []}
    text = _problems(data)
    assert "duplicate task id 'x'" in text
    assert "cannot be negative" in text


def test_bad_json_names_the_line(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{"resources": [\n  {"id": "A"},\n  oops\n]}')
    with pytest.raises(InputError) as info:
        load_graph(path)
    assert f"{path}:3: not valid JSON" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_graph(tmp_path / "nope.json")


def test_example_graphs_are_valid(graphs_dir):
    for path in graphs_dir.glob("*.json"):
        json.loads(path.read_text())
        load_graph(path)
