"""Simulator invariants on a small scenario, scenario validation, and the CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.placement.scenario import load_scenario
from orchestrator.placement.simulator import POLICIES, generate, simulate
from stages.errors import InputError
from tests.orchestrator.placement.conftest import SMALL


@pytest.mark.parametrize("policy", POLICIES)
def test_every_task_runs_once_and_makespan_respects_the_bound(small, policy):
    scenario = load_scenario(small)
    result = simulate(scenario, policy)
    workload = generate(scenario)
    assert result.tasks == len(workload.kind)
    assert sum(result.per_zone_tasks.values()) == result.tasks  # each task placed exactly once
    assert result.makespan >= result.lower_bound > 0
    assert 0 < result.gpu_utilization <= 1.0  # > 1 would mean a GPU ran two tasks at once
    assert result.jobs_count == 4 and result.job_p95 >= result.job_p50 > 0


def test_single_zone_moves_no_artifacts_and_zone_blind_does(small):
    scenario = load_scenario(small)
    single = simulate(scenario, "single-zone")
    blind = simulate(scenario, "zone-blind")
    assert single.cross_zone_bytes == single.weight_bytes_streamed  # only weights it had to fetch
    assert blind.cross_zone_bytes > blind.weight_bytes_streamed


def test_simulation_is_deterministic(small):
    scenario = load_scenario(small)
    assert simulate(scenario, "kaipai").to_json() == simulate(scenario, "kaipai").to_json()


def test_events_run_in_time_then_push_order_even_one_pushed_for_before_now(small):
    # The event heap holds plain float times, with each time's events in push order: the order a heap
    # of (time, push count) tuples gave. An event pushed for a hair before now (a link's next time can
    # round so) runs before the rest of now's events, and they after it, in their order.
    from orchestrator.placement.cluster import WEIGHTS
    from orchestrator.placement.policies import make_placer
    from orchestrator.placement.simulator import Simulation

    ran = []
    follow_ups = {1: [(5.0, 4), (4.0, 5), (5.0, 6)], 2: [(5.0 - 1e-9, 7)], 7: [(5.0, 8), (5.0 - 1e-9, 9)]}

    class Recorded(Simulation):
        __slots__ = ()

        def on_weights(self, t, g):
            if t < 0:  # one of this test's events (a real one names a task)
                ran.append((self.now, -t))
                for at, mark in follow_ups.get(-t, []):
                    self.push(at, WEIGHTS, -mark)
            else:
                super().on_weights(t, g)

    scenario = load_scenario(small)
    sim = Recorded(scenario.topology, generate(scenario), make_placer("kaipai"))
    for at, mark in ((5.0, 1), (5.0, 2), (5.0, 3), (1.0, 10)):
        sim.push(at, WEIGHTS, -mark)
    sim.run()
    assert ran == [(1.0, 10), (5.0, 1), (4.0, 5), (5.0, 2), (5.0 - 1e-9, 7), (5.0 - 1e-9, 9)] + [
        (5.0, mark) for mark in (3, 4, 6, 8)
    ]


def test_scenario_errors_name_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SMALL.replace("  jobs: 4", "  jobz: 4"))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    assert f"{path}:10: workload.jobz: unknown key" in str(info.value)


def test_scenario_needs_exactly_one_topology(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nworkload: {jobs: 1}\n")
    with pytest.raises(InputError, match="either profile"):
        load_scenario(path)


def test_shipped_scenarios_load():
    root = Path(__file__).resolve().parents[3] / "configs" / "scenarios"
    for path in root.glob("*.yaml"):
        assert load_scenario(path).topology.zones


def _cli():
    from orchestrator.cli import app

    return app


def test_cli_schedule_prints_the_published_schedule(graphs_dir):
    result = CliRunner().invoke(_cli(), ["schedule", str(graphs_dir / "topcuoglu2002.json")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["makespan"] == 80
    assert out["tasks"][0] == {"id": "n1", "resource": "P3", "start": 0, "finish": 9}


def test_cli_schedule_bad_graph_exits_2(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{"resources": [{"id": "A"}], "tasks": [{"id": "x", "cost": {"B": 1}}]}')
    result = CliRunner().invoke(_cli(), ["schedule", str(path)])
    assert result.exit_code == 2


def test_cli_simulate_json(small):
    result = CliRunner().invoke(_cli(), ["simulate", str(small), "--policy", "kaipai", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert {"policy", "makespan", "lower_bound", "gpu_utilization", "cross_zone_bytes", "jobs"} <= set(out)
    assert {"p50", "p95"} <= set(out["jobs"])
