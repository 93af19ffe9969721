"""The service's global plan: every active job placed together, by the simulator's own placer."""

from __future__ import annotations

import pytest

from orchestrator.dag import plan_dag
from orchestrator.placement import placedag
from orchestrator.placement.policies import PLACERS
from orchestrator.placement.topology import Topology, Zone
from orchestrator.service.globalplan import GlobalPlan
from tests.conftest import ZONES
from tests.orchestrator.conftest import fake_profile
from tests.orchestrator.storyboards import make_storyboard


@pytest.fixture
def tight():
    """Three zones of one core each: two jobs at once must queue behind each other."""
    return fake_profile(topology=Topology(zones=[Zone(name=z, cpus=1) for z in ZONES]))


@pytest.fixture
def dags(job, tight):
    return [plan_dag(job, make_storyboard(episodes=2, shots=3), tight) for _ in range(2)]


def test_every_placement_is_made_by_a_placer_from_the_simulators_factory(tight, dags, monkeypatch):
    made = []

    def recording(name, seed=0):
        made.append(PLACERS[name](seed))
        return made[-1]

    monkeypatch.setattr(placedag, "make_placer", recording)
    plan = GlobalPlan(tight.topology)
    plan.place("a", dags[0], tight)
    plan.place("b", dags[1], tight)
    assert [type(p) for p in made] == [PLACERS["kaipai"]] * 2
    assert plan.last_placer is made[-1]
    assert {job for job, _ in plan.zone} == {"a", "b"}  # the second placement placed both jobs


def test_a_job_placed_beside_another_is_planned_to_finish_later_than_alone(tight, dags):
    alone = placedag.place_dag(dags[1], tight).makespan
    plan = GlobalPlan(tight.topology)
    plan.place("a", dags[0], tight)
    together = plan.place("b", dags[1], tight)
    assert together.makespan > alone  # it shares three cores with job a, not an empty cluster


def test_running_nodes_stay_in_their_zone_when_the_plan_is_made_again(tight, dags):
    plan = GlobalPlan(tight.topology)
    first = plan.place("a", dags[0], tight)
    node = next(iter(dags[0].topo_order()))
    other = next(z for z in ZONES if z != first.zone[node])
    plan.started("a", node, other)
    plan.place("b", dags[1], tight)
    assert plan.zone_of("a", node) == other


def test_a_lost_zone_moves_every_jobs_waiting_nodes(tight, dags):
    plan = GlobalPlan(tight.topology)
    plan.place("a", dags[0], tight)
    plan.place("b", dags[1], tight)
    assert plan.lose([ZONES[0]])
    zones = {zone for (_, _), zone in plan.zone.items()}
    assert ZONES[0] not in zones and zones <= set(ZONES[1:])
    assert not plan.lose([ZONES[0]])  # already known


def test_finished_jobs_leave_the_plan(tight, dags):
    plan = GlobalPlan(tight.topology)
    plan.place("a", dags[0], tight)
    plan.drop("a")
    assert not plan.knows("a") and plan.zone_of("a", next(iter(dags[0].nodes))) is None


def test_warm_pools_count_as_weights_on_their_zones_disks(tight, dags):
    plan = GlobalPlan(tight.topology)
    plan.place("a", dags[0], tight, warm_gpus={(ZONES[1], "some/model"): 2, (ZONES[2], "other/model"): 0})
    zones = {z.name: z for z in plan._topology().zones}  # the pools' one account: GPUs per (zone, model)
    assert "some/model" in zones[ZONES[1]].weights and "some/model" not in zones[ZONES[0]].weights
    assert "other/model" not in zones[ZONES[2]].weights  # a pool with no actor left holds nothing
    assert plan.topology.zones[1].weights == []  # the profile's own topology is left as it was
    plan.place("a", dags[0], tight, warm_gpus={})  # the pools were stopped: their weights count no more
    assert all("some/model" not in z.weights for z in plan._topology().zones)
