"""The fair-share replay on datong-standard: the scenario's own job list through the service's policy."""

from __future__ import annotations

import pytest

from orchestrator.placement.scenario import load_scenario
from orchestrator.service.replay import replay, studio_of_jobs
from tests.conftest import REPO

STANDARD = REPO / "configs" / "scenarios" / "datong-standard.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(STANDARD)


def test_every_job_is_attributed_to_a_studio_of_the_scenario(scenario):
    from orchestrator.placement.simulator import generate

    workload = generate(scenario)
    studios = studio_of_jobs(scenario, workload)
    assert len(studios) == scenario.spec.workload.jobs
    assert set(studios) <= {s.name for s in scenario.spec.workload.studios}


def test_all_gpu_work_is_granted_and_accounted(scenario):
    result = replay(scenario, at_once=True)
    assert result["all_waiting_seconds"] > 0 and result["contended_seconds"] >= result["all_waiting_seconds"]
    assert [row["studio"] for row in result["studios"]] == [s.name for s in scenario.spec.workload.studios]
    shares = [row["share"] for row in result["all_waiting"]]
    assert sum(shares) == pytest.approx(1.0)
    assert all(row["gpu_seconds"] > 0 for row in result["studios"])


def test_on_a_saturated_day_every_studio_gets_its_weight_within_ten_percent(scenario):
    result = replay(scenario, at_once=True)
    ratios = {row["studio"]: row["ratio"] for row in result["studios"]}
    assert result["within_tolerance"], ratios


def test_water_filling_owes_nobody_more_than_its_demand():
    from orchestrator.service.replay import water_fill

    shares = water_fill({"a": 10, "b": 1, "c": 100}, {"a": 1, "b": 1, "c": 2}, 31)
    assert shares["b"] == 1  # it wants one GPU: the other 30 go to a and c by weight
    assert shares["a"] == pytest.approx(10) and shares["c"] == pytest.approx(20)
