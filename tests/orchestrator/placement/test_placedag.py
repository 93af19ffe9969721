"""place_dag: zones for a kaipai DAG, re-placement after a lost zone, and no topology at all."""

from __future__ import annotations

from orchestrator.placement import estimate_seconds, place_dag
from tests.orchestrator.placement.conftest import fake_dag


def test_every_node_gets_a_zone_of_the_topology(datong):
    dag = fake_dag(episodes=2, shots=3)
    placement = place_dag(dag, datong)
    assert set(placement.zone) == set(dag.nodes)
    assert set(placement.zone.values()) <= set(datong.topology.zone_names())
    for nid, node in dag.nodes.items():
        for dep in node.deps:
            assert placement.start[nid] >= placement.finish[dep] - 1e-9
    assert placement.makespan == max(placement.finish.values())


def test_pools_and_weights_steer_stages(datong):
    placement = place_dag(fake_dag(episodes=2, shots=3), datong)
    # Voices have pools only in xinrong-yungang and yanggao-tianzhen (TTS weights are there too).
    voices = {z for nid, z in placement.zone.items() if nid.startswith("voice:")}
    assert voices <= {"xinrong-yungang", "yanggao-tianzhen"}
    # An episode's motion clips and its mux stay together: no 60 MB mezzanine crosses zones needlessly.
    for ep in ("ep01", "ep02"):
        assert placement.zone[f"mux:{ep}-sh001"] == placement.zone[f"motion:{ep}-sh001"]


def test_lost_zone_replaces_remaining_work(datong):
    dag = fake_dag(episodes=2, shots=3)
    first = place_dag(dag, datong)
    lost = first.zone["motion:ep01-sh001"]
    done = [nid for nid in dag.nodes if nid.startswith(("character:", "keyframe:"))]
    again = place_dag(dag, datong, exclude_zones={lost}, done=done)
    remaining = [nid for nid in dag.nodes if nid not in done]
    assert all(again.zone[nid] not in (None, lost) for nid in remaining)
    assert all(again.zone[nid] is None for nid in done)


def test_no_topology_means_anywhere(profile_without_topology=None):
    from orchestrator.config import Profile

    profile = Profile(
        name="flat",
        stages={
            s: {"backend": b}
            for s, b in [
                ("character", "card"),
                ("keyframe", "card"),
                ("motion", "kenburns"),
                ("voice", "espeak"),
                ("subtitles", "ass"),
                ("mux", "ffmpeg"),
                ("assembly", "ffmpeg"),
            ]
        },
    )
    dag = fake_dag(episodes=1, shots=2)
    placement = place_dag(dag, profile)
    assert set(placement.zone.values()) == {None}
    assert placement.makespan > 0


def test_estimate_seconds_follows_published_figures():
    wan_clip = {"shot": {"duration": 81 / 16}}
    assert abs(estimate_seconds("motion", "diffusers", wan_clip) - 1491.6) < 1e-6
    assert estimate_seconds("motion", "diffusers", wan_clip, "A800") > 1491.6
    short, long = ({"shot": {"duration": d}} for d in (2.0, 6.0))
    assert estimate_seconds("motion", "kenburns", long) == 3 * estimate_seconds("motion", "kenburns", short)


def test_place_dag_decides_with_the_simulators_placer(datong, monkeypatch):
    from orchestrator.placement import placedag, simulator
    from orchestrator.placement.policies import PLACERS

    made = []

    def recording(name, seed=0):
        placer = PLACERS[name](seed)
        made.append(placer)
        return placer

    monkeypatch.setattr(placedag, "make_placer", recording)
    monkeypatch.setattr(simulator, "make_placer", recording)
    placement = place_dag(fake_dag(episodes=1, shots=2), datong)
    assert placement.placer is made[0] and type(made[0]) is PLACERS["kaipai"]
    assert placement.placer.sim.zone_of  # the decisions were made on a simulated cluster state


def test_gpus_that_start_with_a_model_in_memory_pay_no_load_for_it(datong):
    from orchestrator.placement.placedag import JobToPlace, place_jobs

    dag = fake_dag(episodes=1, shots=3)
    cold = place_jobs([JobToPlace("j", dag, datong)], datong.topology)["j"]
    sim = cold.placer.sim
    gpu_tasks = [t for t, m in enumerate(sim.w.model) if m >= 0]
    # Live pools everywhere: each zone's GPUs split among the models the job uses.
    models = sim.w.models
    warm = {(z.name, m): max(1, sum(z.gpus.values()) // len(models)) for z in datong.topology.zones for m in models}
    loaded = place_jobs([JobToPlace("j", dag, datong)], datong.topology, warm_gpus=warm)["j"]
    warm_sim = loaded.placer.sim
    assert sum(warm_sim.warm_start[t] for t in gpu_tasks) > sum(sim.warm_start[t] for t in gpu_tasks)
    assert loaded.makespan < cold.makespan  # the loads the pools already paid are not paid again


def test_preloaded_gpus_hold_their_model_from_the_start_and_unknown_models_are_left_out(datong):
    from orchestrator.placement.placedag import JobToPlace, place_jobs
    from orchestrator.placement.policies import make_placer
    from orchestrator.placement.simulator import Simulation

    w = place_jobs([JobToPlace("j", fake_dag(episodes=1, shots=2), datong)], datong.topology)["j"].placer.sim.w
    zone = datong.topology.zones[0]
    warm = {(zone.name, w.models[0]): 2, (zone.name, "no/such-model"): 5, ("no-such-zone", w.models[0]): 1}
    sim = Simulation(datong.topology, w, make_placer("kaipai"), warm_gpus=warm)
    holding = [g for g in range(len(sim.gpu_model)) if sim.gpu_model[g] == 0]
    assert len(holding) == min(2, sum(zone.gpus.values())) and all(sim.gpu_zone[g] == 0 for g in holding)
    assert sim.warm[0][0] == len(holding) and len(sim.free[0][0]) == len(holding)
    fastest = max(sim.gpu_speed[g] for g in range(len(sim.gpu_zone)) if sim.gpu_zone[g] == 0)
    assert all(sim.gpu_speed[g] == fastest for g in holding)  # the fastest idle GPUs take it
