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
