"""Zone execution on the session 3-node cluster: tasks run where placed; a lost zone's work moves."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest

from orchestrator.dag import plan_dag
from orchestrator.execution.executor import Executor
from orchestrator.placement.topology import Topology, Zone
from orchestrator.progress import QuietProgress
from tests.conftest import ZONES
from tests.orchestrator.conftest import fake_profile
from tests.orchestrator.storyboards import make_storyboard

LOST = "test-lost-zone"


@dataclass
class SimplePlacement:
    zone: dict[str, str | None]
    start: dict[str, float] = field(default_factory=dict)
    finish: dict[str, float] = field(default_factory=dict)
    makespan: float = 0.0


def episode_placer(preferred: dict[str, str]):
    """Each episode's work in its preferred zone, or the first zone left; characters in the first zone."""
    calls = []

    def place(dag, profile, policy="kaipai", *, exclude_zones=(), done=()):
        calls.append({"exclude": set(exclude_zones), "done": set(done)})
        left = [z for z in profile.topology.zone_names() if z not in exclude_zones]
        zone = {}
        for nid, node in dag.nodes.items():
            want = preferred.get(node.episode or "", left[0])
            zone[nid] = want if want in left else left[0]
        return SimplePlacement(zone)

    place.calls = calls
    return place


def node_zones(ray) -> dict[str, str]:
    return {n["NodeID"]: n["Labels"].get("zone") for n in ray.nodes()}


def zoned_profile(zones, **options):
    return fake_profile(options, topology=Topology(zones=[Zone(name=z, cpus=2) for z in zones]))


def test_every_task_runs_in_its_planned_zone(ray_cluster, ray_session, job, fakes, tmp_path):
    profile = zoned_profile(ZONES)
    placer = episode_placer({"ep01": ZONES[1], "ep02": ZONES[2]})
    dag = plan_dag(job, make_storyboard(episodes=2, shots=2), profile)
    report = Executor(profile, tmp_path, placer=placer, observer=QuietProgress()).run(dag)
    assert report.ok
    where = node_zones(ray_session)
    for nid, rec in report.records.items():
        expected = {"ep01": ZONES[1], "ep02": ZONES[2]}.get(rec.episode or "", ZONES[0])
        assert rec.zone == expected, nid
        assert where[rec.node] == expected, nid  # the Ray node it ran on carries that zone label
        assert report.artifacts[nid].meta["node_id"] == rec.node  # as the task itself saw it
    assert placer.calls == [{"exclude": set(), "done": set()}]


@pytest.mark.slow
def test_lost_zone_work_is_placed_again_and_the_job_completes(ray_cluster, ray_session, job, fakes, tmp_path):
    extra = ray_cluster.add_node(num_cpus=1, object_store_memory=80_000_000, labels={"zone": LOST})
    ray_cluster.wait_for_nodes()
    try:
        profile = zoned_profile([*ZONES, LOST], motion={"sleep": 0.8}, voice={"sleep": 0.3})
        placer = episode_placer({"ep01": ZONES[1], "ep02": LOST})
        dag = plan_dag(job, make_storyboard(episodes=2, shots=3), profile)
        observer = QuietProgress()
        executor = Executor(profile, tmp_path, placer=placer, observer=observer)

        def remove_when_busy():
            deadline = time.time() + 30
            while time.time() < deadline:
                if list((tmp_path / "voice").glob("[0-9a-f]*")):  # work is under way
                    break
                time.sleep(0.05)
            time.sleep(0.5)
            ray_cluster.remove_node(extra, allow_graceful=False)

        killer = threading.Thread(target=remove_when_busy)
        killer.start()
        report = executor.run(dag)
        killer.join()
    finally:
        if extra in ray_cluster.worker_nodes:
            ray_cluster.remove_node(extra)
    assert report.ok, report.failure_summary()
    assert len(report.replacements) == 1
    replacement = report.replacements[0]
    assert replacement["lost_zones"] == [LOST]
    assert replacement["moved"] and set(replacement["moved"].values()) == {ZONES[0]}
    assert placer.calls[-1]["exclude"] == {LOST}
    where = node_zones(ray_session)
    for nid in replacement["moved"]:
        rec = report.records[nid]
        assert rec.status == "done" and rec.zone == ZONES[0] and where[rec.node] == ZONES[0], nid
    # Work finished in the lost zone before it went stays finished (the store is shared).
    ep02 = [r for r in report.records.values() if r.episode == "ep02"]
    assert all(r.status == "done" for r in ep02)
    assert any("re-placed" in message for _, message in observer.events)
