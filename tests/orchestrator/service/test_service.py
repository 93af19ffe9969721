"""The service object in-process (no Ray): registry, grants by zone and fair share, cancel, restart."""

from __future__ import annotations

import json

import pytest

from orchestrator.service.service import KaipaiService
from tests.conftest import ZONES


def offer(node: str, zone: str | None = ZONES[0], kind: str = "gpu", cost: float = 1.0) -> dict:
    return {"node": node, "stage": "keyframe", "kind": kind, "zone": zone, "cost": cost}


def test_a_grant_is_a_slot_of_the_planned_zone_and_is_given_back(service):
    service.register("j1", "a", "t", 5)
    answer = service.exchange("j1", [offer("n1"), offer("n2")])
    assert answer["grants"] == [("n1", ZONES[0])]  # one gpu slot in that zone
    assert service.exchange("j1")["grants"] == []
    answer = service.exchange("j1", finished=[{"node": "n1", "seconds": 2.0}])
    assert answer["grants"] == [("n2", ZONES[0])]
    assert service.usage_log()[0]["seconds"] == 2.0


def test_unplaced_work_goes_to_any_zone_with_a_free_slot(service):
    service.register("j1", "a", "t", 5)
    grants = service.exchange("j1", [offer(f"n{i}", zone=None, kind="cpu") for i in range(4)])["grants"]
    assert sorted(zone for _, zone in grants) == sorted(ZONES)


def test_the_job_registry_survives_a_restart(settings):
    first = KaipaiService(settings)
    first.register("j1", "a", "first", 5)
    first.register("j2", "b", "second", 3)
    first.exchange("j1", [offer("n1")])
    first.finish("j2", "SUCCEEDED")
    second = KaipaiService(settings)  # a restarted actor: same store, new epoch
    assert second.epoch != first.epoch
    assert second.registry.jobs["j1"].state == "RUNNING"
    assert second.registry.jobs["j2"].state == "SUCCEEDED"
    assert second.exchange("j1")["epoch"] == second.epoch  # the driver sees the change and re-offers


def test_a_torn_last_journal_line_loses_nothing_before_it(settings):
    first = KaipaiService(settings)
    first.register("j1", "a", "first", 5)
    first.registry.close()
    with first.registry.path.open("a") as journal:
        journal.write('{"at": 1, "job": {"id": "j2", "stud')
    second = KaipaiService(settings)
    assert list(second.registry.jobs) == ["j1"]
    lines = second.registry.path.read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # compacted on start: the torn line is gone


def test_cancel_frees_the_slots_and_stops_the_grants(service):
    service.register("j1", "a", "t", 5)
    service.register("j2", "b", "t", 5)
    service.exchange("j1", [offer("n1"), offer("n2")])
    service.exchange("j2", [offer("m1")])
    assert service.cancel("j1")
    assert service.exchange("j1")["cancelled"]
    assert service.exchange("j2")["grants"] == [("m1", ZONES[0])]
    assert service.job("j1")["state"] == "CANCELLED"
    assert not service.cancel("j1")


def test_queue_position_follows_the_fair_share_order(service):
    service.register("busy", "a", "t", 5)
    service.register("urgent", "b", "t", 9)
    service.exchange("busy", [offer("n1"), offer("n2"), offer("n3")])
    service.exchange("urgent", [offer("m1")])
    assert service.job("busy")["running_nodes"] == 1
    positions = {job: service.job(job)["queue_position"] for job in ("busy", "urgent")}
    assert positions == {"urgent": 1, "busy": 2}  # priority 9 jumps ahead (within max_jump)
    service.exchange("busy", finished=[{"node": "n1", "seconds": 1.0}])
    assert service.job("urgent")["running_nodes"] == 1


def test_a_file_outside_the_jobs_folder_cannot_be_read(service, tmp_path):
    service.register("j1", "a", "t", 5)
    (tmp_path / "store" / "secret.txt").write_text("no")
    try:
        service.read("j1", "../../secret.txt")
    except FileNotFoundError as exc:
        assert "not a file of job" in str(exc)
    else:
        raise AssertionError("read outside the job's folder")


def test_cluster_status_shows_jobs_slots_and_shares(service):
    from orchestrator.service.views import status_lines

    service.register("j1", "a", "t", 5)
    service.exchange("j1", [offer("n1")])
    service.exchange("j1", finished=[{"node": "n1", "seconds": 3.0}])
    view = service.status()
    assert view["studios"]["a"]["RUNNING"] == 1
    assert view["charged"]["a"] == 3.0
    text = "\n".join(status_lines(view))
    assert "lingqiu-guangling" in text and "100.0%" in text


def test_cluster_status_shows_gpus_held_against_owed_while_studios_contend(service):
    from orchestrator.service.views import status_lines

    clock = [100.0]
    service.fair.clock = lambda: clock[0]
    service.register("ja", "a", "t", 5)
    service.register("jb", "b", "t", 5)
    service.exchange("ja", [offer(f"a{i}", zone=z) for i, z in enumerate(ZONES * 2)])  # a takes all three GPUs
    service.exchange("jb", [offer(f"b{i}", zone=z) for i, z in enumerate(ZONES)])
    clock[0] = 110.0
    service.exchange("ja", finished=[{"node": "a0", "seconds": 10.0}])  # its GPU goes to b (below its share)
    contended = service.status()["contended"]
    assert contended["contended_seconds"] == 10.0
    assert contended["studios"]["a"]["got"] == 30.0 and contended["studios"]["a"]["owed"] == 20.0
    assert contended["studios"]["b"]["got"] == 0.0 and contended["studios"]["b"]["owed"] == 10.0
    assert [lease["studio"] for lease in service.leases.values()].count("b") == 1
    text = "\n".join(status_lines(service.status()))
    assert "GPUs while studios contended (10 s): held / owed" in text and "30.0 / 20.0" in text


def test_gpu_work_spills_only_to_a_zone_where_a_pool_of_its_settings_is_warm(service, monkeypatch):
    monkeypatch.setattr(service.pools, "warm_zones", lambda digest: {ZONES[2]} if digest == "p1" else set())
    service.register("j1", "a", "t", 5)
    grants = service.exchange("j1", [{**offer(f"g{i}"), "pool": "p1"} for i in range(3)])["grants"]
    assert grants == [("g0", ZONES[0]), ("g1", ZONES[2])]  # ZONES[1] has a free GPU but no warm pool
    service.register("j2", "b", "t", 5)
    assert service.exchange("j2", [{**offer("h0"), "pool": "p2"}])["grants"] == []  # p2 is warm nowhere


def test_a_studio_planned_alone_in_a_zone_does_not_keep_its_gpu_from_the_others(service, monkeypatch):
    monkeypatch.setattr(service.pools, "warm_zones", lambda digest: set(ZONES))
    clock = [0.0]
    service.fair.clock = lambda: clock[0]
    service.register("ja", "a", "t", 5)  # weight 2, planned in ZONES[0] only
    service.register("jb", "b", "t", 5)  # weight 1, planned in ZONES[1] only; nobody in ZONES[2]
    service.exchange("ja", [{**offer(f"a{i}", zone=ZONES[0]), "pool": "p"} for i in range(100)])
    service.exchange("jb", [{**offer(f"b{i}", zone=ZONES[1]), "pool": "p"} for i in range(100)])
    for step in range(1, 61):  # each second the oldest grant ends; its GPU goes to whoever is owed it
        clock[0] = float(step)
        job, node = next(iter(service.leases))
        service.exchange(job, finished=[{"node": node, "seconds": 1.0}])
    contended = service.status()["contended"]["studios"]
    assert contended["a"]["got"] / contended["b"]["got"] == pytest.approx(2.0, rel=0.15)  # by weight, 2:1
    assert all(abs(row["ratio"] - 1) <= 0.1 for row in contended.values())  # not 1:1 with one GPU idle


def test_the_service_places_jobs_and_grants_in_the_zone_of_its_own_plan(service, job):
    from orchestrator.dag import plan_dag
    from orchestrator.placement.topology import Topology, Zone
    from tests.orchestrator.conftest import fake_profile
    from tests.orchestrator.storyboards import make_storyboard

    profile = fake_profile(topology=Topology(zones=[Zone(name=z, cpus=1) for z in ZONES]))
    dag = plan_dag(job, make_storyboard(episodes=1, shots=2), profile)
    service.register("j1", "a", "t", 5)
    placement = service.place("j1", dag, profile, "kaipai")
    root = dag.topo_order()[0]
    wrong = next(z for z in ZONES if z != placement.zone[root])
    grants = service.exchange("j1", [{"node": root, "stage": "storyboard", "kind": "cpu", "zone": wrong}])["grants"]
    assert grants == [(root, placement.zone[root])]  # the service's plan, not the driver's guess
    assert service.status()["placement"]["placements"] == 1


def test_a_zone_one_driver_lost_is_lost_for_every_job(service, job):
    from orchestrator.dag import plan_dag
    from orchestrator.placement.topology import Topology, Zone
    from tests.orchestrator.conftest import fake_profile
    from tests.orchestrator.storyboards import make_storyboard

    profile = fake_profile(topology=Topology(zones=[Zone(name=z, cpus=1) for z in ZONES]))
    dags = [plan_dag(job, make_storyboard(episodes=1, shots=2), profile) for _ in range(2)]
    for key, dag in zip(("j1", "j2"), dags, strict=True):
        service.register(key, "a", "t", 5)
        service.place(key, dag, profile, "kaipai")
    service.place("j1", dags[0], profile, "kaipai", exclude=[ZONES[0]])
    roots = [n for n in dags[1].topo_order() if not dags[1].nodes[n].deps]
    stale = [{"node": n, "stage": dags[1].nodes[n].stage, "kind": "cpu", "zone": ZONES[0]} for n in roots]
    grants = service.exchange("j2", stale)["grants"]  # j2's driver still thinks ZONES[0] is there
    assert grants and all(zone != ZONES[0] for _, zone in grants)
    assert ZONES[0] in service.status()["placement"]["lost"]


def test_a_restarted_driver_reattaches_and_the_dead_drivers_grants_are_freed(service):
    service.register("j1", "a", "t", 5)
    assert service.exchange("j1", [offer("n1")])["grants"] == [("n1", ZONES[0])]
    out = service.register("j1", "a", "t", 5)["out"]  # the supervisor started a new driver
    assert out.endswith("j1") and service.registry.jobs["j1"].state != "CANCELLED"
    assert service.exchange("j1", [offer("n1")])["grants"] == [("n1", ZONES[0])]  # the slot came back


def test_a_runs_bytes_between_zones_are_exported_by_the_service_under_its_studio(service):
    seen = []
    service.metrics.zone_bytes = lambda studio, zone, source, nbytes: seen.append((studio, zone, source, nbytes))
    service.register("j1", "a", "t", 5)
    service.zone_bytes("j1", {f"{ZONES[0]}->{ZONES[1]}": 1200})
    service.zone_bytes("unknown", {f"{ZONES[0]}->{ZONES[1]}": 1})
    assert seen == [("a", ZONES[1], ZONES[0], 1200.0)]


def test_cpu_work_spills_to_a_free_zone_when_its_planned_one_is_full(service):
    service.register("j1", "a", "t", 5)
    grants = service.exchange("j1", [offer("n1", kind="cpu"), offer("n2", kind="cpu")])["grants"]
    assert grants[0] == ("n1", ZONES[0]) and grants[1][1] != ZONES[0]  # a free slot now beats one later
    gpu = service.exchange("j1", [offer("g1"), offer("g2")])["grants"]
    assert gpu == [("g1", ZONES[0])]  # GPU work waits for its zone (its weights are there)
