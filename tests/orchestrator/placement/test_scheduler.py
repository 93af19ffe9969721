"""The scheduling core on published examples and on small graphs that isolate one rule each."""

from __future__ import annotations

import pytest

from orchestrator.placement.graph import graph_from_data, load_graph
from orchestrator.placement.scheduler import schedule, upward_ranks

# Topcuoglu, Hariri & Wu 2002, Fig. 3(a): the HEFT schedule of the Fig. 2 graph.
TOPCUOGLU_HEFT = {
    "n1": ("P3", 0, 9),
    "n2": ("P1", 27, 40),
    "n3": ("P3", 9, 28),
    "n4": ("P2", 18, 26),
    "n5": ("P3", 28, 38),
    "n6": ("P2", 26, 42),
    "n7": ("P3", 38, 49),
    "n8": ("P1", 57, 62),
    "n9": ("P2", 56, 68),
    "n10": ("P2", 73, 80),
}
# Table 2 of the paper lists these upward ranks (n6 and n7, n9, n10 to three decimals).
TOPCUOGLU_RANKS = [108.0, 77.0, 80.0, 80.0, 69.0, 63.333, 42.667, 35.667, 44.333, 14.667]


def _by_id(result) -> dict:
    return {t.id: (t.resource, t.start, t.finish) for t in result.tasks}


def test_topcuoglu2002_upward_ranks(graphs_dir):
    ranks = upward_ranks(load_graph(graphs_dir / "topcuoglu2002.json"))
    assert [round(r, 3) for r in ranks] == TOPCUOGLU_RANKS


def test_topcuoglu2002_heft_makespan_and_every_task(graphs_dir):
    result = schedule(load_graph(graphs_dir / "topcuoglu2002.json"), "heft")
    assert result.makespan == 80
    assert _by_id(result) == TOPCUOGLU_HEFT


def test_rocklin_heft_example(graphs_dir):
    # mrocklin/heft's test_schedule: a=[4 0-4, 6 4-10, 7 11-18, 9 18-27], b=[3 0-3, 5 3-8, 8 21-29], c idle.
    result = schedule(load_graph(graphs_dir / "rocklin-heft.json"), "heft")
    assert result.makespan == 29
    assert _by_id(result) == {
        "t4": ("a", 0, 4),
        "t6": ("a", 4, 10),
        "t7": ("a", 11, 18),
        "t9": ("a", 18, 27),
        "t3": ("b", 0, 3),
        "t5": ("b", 3, 8),
        "t8": ("b", 21, 29),
    }


def test_insertion_fills_an_idle_gap():
    graph = graph_from_data(
        {
            "resources": [{"id": "P"}, {"id": "Q"}],
            "tasks": [
                {"id": "x", "cost": {"P": 1, "Q": 100}},
                {"id": "a", "cost": {"P": 100, "Q": 10}},
                {"id": "c", "cost": {"P": 5, "Q": 100}},
                {"id": "b", "cost": {"P": 3, "Q": 100}},
            ],
            "edges": [{"from": "x", "to": "a", "comm": 0}, {"from": "a", "to": "c", "comm": 0}],
        }
    )
    # x on P 0-1; a on Q 1-11; c on P 11-16; b (ranked last) fits P's idle gap 1-11: starts at 1.
    result = _by_id(schedule(graph, "heft"))
    assert result["c"] == ("P", 11, 16)
    assert result["b"] == ("P", 1, 4)


def test_slots_run_tasks_in_parallel():
    data = {
        "resources": [{"id": "Z", "slots": 3}],
        "tasks": [{"id": f"s{i}", "cost": {"Z": 10}} for i in range(4)],
        "edges": [],
    }
    result = schedule(graph_from_data(data), "heft")
    starts = sorted(t.start for t in result.tasks)
    assert starts == [0, 0, 0, 10]
    assert result.makespan == 20
    assert len({t.slot for t in result.tasks if t.start == 0}) == 3
    assert result.to_json({"Z": 3})["tasks"][0]["slot"] in (0, 1, 2)


def test_bytes_over_links_cost_latency_plus_transfer():
    data = {
        "resources": [{"id": "A"}, {"id": "B"}],
        "tasks": [{"id": "src", "cost": {"A": 1}}, {"id": "dst", "cost": {"B": 2}}],
        "edges": [{"from": "src", "to": "dst", "bytes": 4.0e9}],
        "links": [{"between": ["A", "B"], "latency": 0.5, "bandwidth": 1.0e9}],
    }
    result = _by_id(schedule(graph_from_data(data), "heft"))
    assert result["dst"] == ("B", 1 + 0.5 + 4.0, 1 + 0.5 + 4.0 + 2)


def test_same_resource_communication_is_free():
    from tests.orchestrator.placement.conftest import chain

    result = schedule(graph_from_data(chain({"P": [1, 1, 1]}, comm=100)), "heft")
    assert result.makespan == 3


def two_shot_episode(k1: dict, k2: dict, output_bytes: float) -> dict:
    """Episode ``e``: two shots on zones A or B, then a mux that needs both outputs (100 MB/s link)."""
    return {
        "resources": [{"id": "A"}, {"id": "B"}],
        "tasks": [
            {"id": "k1", "cost": k1, "group": "e"},
            {"id": "k2", "cost": k2, "group": "e"},
            {"id": "mux", "cost": {"A": 1, "B": 1}, "group": "e"},
        ],
        "edges": [{"from": k, "to": "mux", "bytes": output_bytes} for k in ("k1", "k2")],
        "links": [{"between": ["A", "B"], "latency": 0.001, "bandwidth": 1e8}],
    }


def test_kaipai_keeps_group_home_when_spilling_does_not_pay():
    # k2 finishes 1 s earlier on B, but its 30 s output must come back to A for the mux.
    graph = graph_from_data(two_shot_episode({"A": 10, "B": 10}, {"A": 10, "B": 9}, 3e9))
    heft = _by_id(schedule(graph, "heft"))
    kaipai = _by_id(schedule(graph, "kaipai"))
    assert heft["k2"][0] == "B"  # HEFT grabs the idle resource
    assert kaipai["k1"][0] == kaipai["k2"][0] == kaipai["mux"][0] == "A"
    assert schedule(graph, "kaipai").makespan < schedule(graph, "heft").makespan


def test_kaipai_spills_when_the_earlier_finish_pays_for_the_transfer():
    graph = graph_from_data(two_shot_episode({"A": 100, "B": 100}, {"A": 100, "B": 100}, 1e8))
    result = _by_id(schedule(graph, "kaipai"))
    assert {result["k1"][0], result["k2"][0]} == {"A", "B"}


def test_kaipai_ranks_higher_priority_studios_first():
    data = {
        "resources": [{"id": "G"}],
        "tasks": [
            {"id": "low", "cost": {"G": 50}, "priority": 1},
            {"id": "high", "cost": {"G": 5}, "priority": 9},
        ],
        "edges": [],
    }
    assert _by_id(schedule(graph_from_data(data), "heft"))["low"][1] == 0
    assert _by_id(schedule(graph_from_data(data), "kaipai"))["high"][1] == 0


def test_model_load_is_paid_once_per_slot():
    data = {
        "resources": [{"id": "G", "load": {"wan": 30}}],
        "tasks": [{"id": f"m{i}", "cost": {"G": 10}, "model": "wan"} for i in range(3)],
        "edges": [],
    }
    assert schedule(graph_from_data(data), "heft").makespan == 30 + 3 * 10


def test_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="unknown policy"):
        schedule(graph_from_data({"resources": [{"id": "P"}], "tasks": []}), "fifo")
