"""``heft``: HEFT's static plan per job, replayed in the simulator (and ``heft-online`` beside it)."""

from __future__ import annotations

import itertools

import pytest

from orchestrator.placement.policies import make_placer
from orchestrator.placement.policies.heft import HeftPlacer
from orchestrator.placement.scenario import load_scenario
from orchestrator.placement.simulator import Disturbances, Simulation, simulate
from orchestrator.placement.workload import generate


def _replayed(small, disturbances: Disturbances = Disturbances()) -> Simulation:
    scenario = load_scenario(small)
    sim = Simulation(scenario.topology, generate(scenario), HeftPlacer(0), disturbances, seed=3)
    sim.run()
    return sim


@pytest.mark.parametrize("sigma", [0.0, 0.3])
def test_every_task_runs_in_its_planned_zone_and_on_its_planned_gpu_in_planned_order(small, sigma):
    sim = _replayed(small, Disturbances(estimate_error=sigma))
    placer = sim.placer
    assert isinstance(placer, HeftPlacer) and all(placer.planned)
    w = sim.w
    for t in range(len(w.kind)):
        assert sim.zone_of[t] == placer.plan_zone[t]
        if w.model[t] >= 0:
            assert sim.ran_on[t] == placer.plan_gpu[t]
    for g in range(len(sim.gpu_speed)):
        ran = [t for t in range(len(w.kind)) if sim.ran_on[t] == g and w.model[t] >= 0]
        by_start = sorted(ran, key=lambda t: (sim.start_time[t], t))
        assert by_start == sorted(ran, key=lambda t: (placer.plan_start[t], t))


def test_no_task_starts_before_its_job_arrives_or_its_inputs_finish(small):
    sim = _replayed(small, Disturbances(estimate_error=0.3))
    w = sim.w
    for t in range(len(w.kind)):
        assert sim.start_time[t] >= w.job_arrival[w.job[t]]
        assert all(sim.start_time[t] >= sim.finish_time[p] for p in w.preds[t])


def test_later_jobs_are_planned_into_the_gaps_earlier_plans_left(small):
    sim = _replayed(small)
    for slots in sim.placer.timelines.values():
        for tl in slots:
            intervals = sorted(zip(tl.starts, tl.finishes, strict=True))
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))  # disjoint bookings
    jobs_on_a_gpu = {}
    for t, g in enumerate(sim.placer.plan_gpu):
        if g >= 0:
            jobs_on_a_gpu.setdefault(g, set()).add(sim.w.job[t])
    assert any(len(jobs) > 1 for jobs in jobs_on_a_gpu.values())  # plans of several jobs share GPUs


def test_a_plan_is_made_once_per_job_when_it_arrives(small, monkeypatch):
    calls = []
    original = HeftPlacer.plan_job

    def counting(self, j):
        calls.append((j, self.sim.now))
        original(self, j)

    monkeypatch.setattr(HeftPlacer, "plan_job", counting)
    sim = _replayed(small)
    assert sorted(j for j, _ in calls) == list(range(len(sim.w.job_tasks)))
    assert all(now == sim.w.job_arrival[j] for j, now in calls)


def test_heft_online_is_the_task_by_task_variant(small):
    scenario = load_scenario(small)
    w = generate(scenario)
    online = simulate(scenario, "heft-online", w)
    assert online.policy == "heft-online" and online.tasks == len(w.kind)
    assert type(make_placer("heft-online")) is not HeftPlacer
