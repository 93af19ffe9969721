"""Each policy behind the Placer interface: the registry, Ray's hybrid policy, kaipai's learning."""

from __future__ import annotations

import pytest

from orchestrator.placement.policies import PLACERS, POLICIES, Placer, make_placer
from orchestrator.placement.policies.ray_default import RayDefaultPlacer
from orchestrator.placement.scenario import load_scenario
from orchestrator.placement.simulator import Disturbances, Simulation
from orchestrator.placement.workload import generate


def test_one_module_per_policy_and_a_fresh_placer_per_run():
    assert set(POLICIES) == {"kaipai", "heft", "heft-online", "ray-default", "zone-blind", "single-zone", "locality"}
    for name in POLICIES:
        placer = make_placer(name, seed=1)
        assert isinstance(placer, Placer) and placer.name == name
        assert type(placer) is PLACERS[name]
        assert make_placer(name) is not placer  # placers keep per-run state
    with pytest.raises(ValueError, match="unknown policy"):
        make_placer("fastest")


def _clip_with_its_keyframe(w) -> tuple[int, int]:
    clip = next(t for t in range(len(w.kind)) if len(w.preds[t]) == 1 and w.model[t] >= 0)
    return clip, w.preds[clip][0]


def test_ray_default_leases_where_the_arguments_are_while_a_gpu_is_free_there(small):
    scenario = load_scenario(small)
    w = generate(scenario)
    sim = Simulation(scenario.topology, w, RayDefaultPlacer(0))
    clip, key = _clip_with_its_keyframe(w)
    for zone in (0, 1):
        sim.zone_of[key] = zone
        assert sim.placer.choose_zone(clip) == zone
    sim.zone_of[key] = 1
    sim.free_count[1] = 0  # the preferred node is full: spill to an available one
    assert sim.placer.choose_zone(clip) == 0
    sim.free_count[0] = 0  # nothing available: the task waits at the preferred node
    assert sim.placer.choose_zone(clip) == 1


def test_kaipai_learns_which_gpus_are_slower_than_their_kind(small):
    scenario = load_scenario(small)
    w = generate(scenario)
    sim = Simulation(scenario.topology, w, make_placer("kaipai"), Disturbances(slow_gpus=2), seed=3)
    sim.run()
    slow = [g for g in range(len(sim.gpu_speed)) if sim.true_speed[g] < sim.gpu_speed[g]]
    assert len(slow) == 2
    for g in slow:
        if any(sim.ran_on[t] == g and sim.warm_start[t] for t in range(len(w.kind))):
            assert sim.est_speed[g] < 0.9 * sim.gpu_speed[g]  # it saw the GPU run slow
    for g in set(range(len(sim.gpu_speed))) - set(slow):
        assert sim.est_speed[g] == pytest.approx(sim.gpu_speed[g])


def test_plain_placers_do_not_learn(small):
    scenario = load_scenario(small)
    w = generate(scenario)
    sim = Simulation(scenario.topology, w, make_placer("heft"), Disturbances(slow_gpus=2), seed=3)
    sim.run()
    assert sim.est_speed == sim.gpu_speed
