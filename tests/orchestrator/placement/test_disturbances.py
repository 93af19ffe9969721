"""What real clusters do: wrong estimates, a lost zone, a burst of arrivals."""

from __future__ import annotations

from orchestrator.placement.policies import POLICIES, make_placer
from orchestrator.placement.scenario import load_scenario
from orchestrator.placement.simulator import Disturbances, Simulation, simulate
from orchestrator.placement.workload import generate
from tests.orchestrator.placement.conftest import SMALL


def test_estimate_error_changes_what_runs_not_what_placers_see(small):
    scenario = load_scenario(small)
    w = generate(scenario)
    sim = Simulation(scenario.topology, w, make_placer("kaipai"), Disturbances(estimate_error=0.3), seed=3)
    assert sim.actual != w.work and all(x > 0 for x in sim.actual)
    sim.run()
    exact = simulate(scenario, "kaipai", w)
    noisy = simulate(scenario, "kaipai", w, Disturbances(estimate_error=0.3))
    assert noisy.makespan != exact.makespan
    assert noisy == simulate(scenario, "kaipai", w, Disturbances(estimate_error=0.3))  # seeded


def test_a_lost_zone_runs_nothing_after_it_is_gone_and_every_job_finishes(small):
    scenario = load_scenario(small)
    w = generate(scenario)
    for policy in POLICIES:
        sim = Simulation(scenario.topology, w, make_placer(policy), Disturbances(lose_zone="a", lose_at=60.0))
        sim.run()  # raises when a job never finishes
        finished_in_a_later = [t for t in range(len(w.kind)) if sim.zone_of[t] == 0 and sim.finish_time[t] > 60.0]
        assert not finished_in_a_later, policy
        result = sim.result()
        assert sum(result.per_zone_tasks.values()) == result.tasks
    assert simulate(scenario, "kaipai", w, Disturbances(lose_zone="a", lose_at=60.0)).replaced_tasks > 0


def test_a_burst_adds_jobs_arriving_together(tmp_path):
    path = tmp_path / "burst.yaml"
    path.write_text(SMALL.replace("  jobs: 4\n", "  jobs: 4\n  burst: {at: 900, jobs: 3}\n"))
    w = generate(load_scenario(path))
    assert len(w.job_arrival) == 7 and w.job_arrival[4:] == [900.0] * 3
    assert simulate(load_scenario(path), "kaipai").jobs_count == 7
