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


def workload(jobs: list[tuple[float, list[float]]]):
    """Jobs of independent GPU tasks: (arrival, each task's seconds)."""
    from orchestrator.placement.workload import Workload

    w = Workload()
    for j, (arrival, tasks) in enumerate(jobs):
        w.job_arrival.append(arrival)
        w.job_priority.append(5)
        w.job_roots.append([])
        for seconds in tasks:
            w.job_roots[j].append(len(w.work))
            w.model.append(0)
            w.work.append(seconds)
            w.job.append(j)
            w.preds.append(())
            w.succs.append([])
    return w


def test_gpus_granted_while_nobody_else_waited_are_a_floor_after_drain():
    """ "a" takes all four GPUs for 100 s while nobody else waits, with four more queued; "b" queues
    eight one-second tasks at t=1. No non-preemptive scheduler can give "b" a GPU before t=100: the
    target's figure owes it two GPUs from t=1; after the drain, it is owed none until then."""
    from orchestrator.service.fairshare import Policy
    from orchestrator.service.replay import simulate, studio_row

    sim = simulate(workload([(0.0, [100.0] * 8), (1.0, [1.0] * 8)]), ["a", "b"], 4, Policy())
    a, b = studio_row(sim, "a", 1.0), studio_row(sim, "b", 1.0)
    assert b["entitled_gpu_seconds"] == pytest.approx(2 * 99 + 2, abs=1)  # two GPUs owed over t = 1..101
    assert b["ratio"] < 0.05 and a["ratio"] > 1.9  # the drain read as unfairness
    assert b["owed_after_drain_gpu_seconds"] < 5 and a["ratio_after_drain"] == pytest.approx(1.0, abs=0.02)


def test_the_replay_and_the_live_service_run_one_fair_share_policy(service):
    """The replay's figures are only the service's if both decide with the same object."""
    from orchestrator.service import fairshare
    from orchestrator.service.fairshare import Policy
    from orchestrator.service.replay import simulate

    sim = simulate(workload([(0.0, [1.0] * 4)]), ["a"], 2, Policy())
    assert type(sim.fair) is fairshare.FairShare and type(service.fair) is fairshare.FairShare
    assert type(sim.fair.policy) is type(service.fair.policy) is fairshare.Policy


def test_with_the_operators_rules_the_days_arrivals_give_every_studio_its_weight_within_ten_percent(scenario):
    """What runs (configs/datong.yaml, preemption on) meets the target; without taking GPUs back the
    drain of long shots granted while nobody else waited misses it."""
    import dataclasses

    from orchestrator.service.replay import operator_policy

    shipped = replay(scenario)
    ratios = {row["studio"]: round(row["ratio"], 3) for row in shipped["studios"]}
    assert shipped["preempt"] and shipped["within_tolerance"], ratios
    assert 0 < shipped["lost_gpu_seconds"] < 0.02 * shipped["gpu_seconds"]  # under 2% of the work thrown away
    off = replay(scenario, dataclasses.replace(operator_policy(), preempt=False))
    assert off["preemptions"] == 0 and not off["within_tolerance"]
    assert shipped["makespan"] <= off["makespan"] * 1.01
