"""Taking GPUs back (fair-share rule 5) on a real Ray cluster, as a Datong service would run it.

``deploy/local/cluster.sh`` starts the three zones (one fake GPU each), ``kaipai cluster up`` starts
the service with ``fair_share.preempt`` on, and the keyframe model takes long enough (more denoising
steps) that a studio's shots hold the GPUs for a while. A low-weight studio submits a long job that
takes all three GPUs and still has keyframes queued; a studio of three times its weight submits
after it. The service must take GPUs back: the low job's calls stop between two denoising steps
(the worker sees the stop marker its driver touched), run again later and finish; both jobs
SUCCEED with valid episodes, nothing half-made is stored and no stop marker is left behind.
"""

from __future__ import annotations

import json
import time

import pytest

from stages.media.probe import probe
from tests.e2e.cluster import LocalCluster, local_cluster, studio_job, wait_until_final

pytestmark = pytest.mark.slow

LOW = ("long-c", "高校AIGC系", 5)  # weight 1 in configs/local-cluster.yaml
HIGH = ("later-a", "云冈短剧工作室", 5)  # weight 3
RULES = {"preempt": True, "preempt_after_seconds": 2.0, "preempt_within_seconds": 600.0}
SLOW_KEYFRAMES = {"keyframe": {"steps": 100, "max_side": 256}}  # ~15 s a keyframe here, not a fraction of one


@pytest.fixture(scope="module")
def preempted(tmp_path_factory):
    """The scenario, once: the long low-weight job first, the other studio's job once it holds every GPU."""
    root = tmp_path_factory.mktemp("cluster-preempt")
    with local_cluster(root, options=SLOW_KEYFRAMES, **RULES) as cluster:
        low = studio_job(root / "jobs", *LOW, "第一条", scenes=3)
        high = studio_job(root / "jobs", *HIGH, "第二条")
        ids = {LOW[0]: submit(cluster, low)}
        held_then = wait_for_all_gpus_held(cluster)
        ids[HIGH[0]] = submit(cluster, high)
        states = wait_until_final(cluster, list(ids.values()))
        view = service_view(cluster)
        fetched = {}
        for name, job_id in ids.items():
            fetched[name] = root / "fetched" / name
            cluster.kaipai("fetch", job_id, "--to", str(fetched[name]), "--address", cluster.address)
        yield {
            "ids": ids,
            "states": states,
            "view": view,
            "held_then": held_then,
            "fetched": fetched,
            "markers": sorted(p.name for p in (root / "store" / ".interrupt").glob("*")),
        }


def submit(cluster: LocalCluster, spec) -> str:
    return cluster.kaipai("submit", str(spec), "--address", cluster.address).stdout.strip().splitlines()[-1]


def service_view(cluster: LocalCluster) -> dict:
    return json.loads(cluster.kaipai("cluster", "status", "--address", cluster.address, "--json").stdout)


def wait_for_all_gpus_held(cluster: LocalCluster, timeout: float = 300) -> dict:
    """Until the low job's keyframes hold every GPU slot while more of them wait (the view then)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        view = service_view(cluster)
        gpus = sum(zone.get("gpu", 0) for zone in view["running"].values())
        if gpus == 3 and view["queued"]:
            return view
        time.sleep(1)
    raise AssertionError(f"the long job never held every GPU: {view}")


def manifest(preempted, name: str) -> dict:
    return json.loads((preempted["fetched"][name] / "manifest.json").read_text(encoding="utf-8"))


def test_both_jobs_succeed_with_valid_episodes(preempted):
    for name, job_id in preempted["ids"].items():
        assert preempted["states"][job_id]["service"]["state"] == "SUCCEEDED", (name, preempted["states"][job_id])
        info = probe(preempted["fetched"][name] / "ep01" / "episode.mp4")
        assert info.duration > 3 and info.has_audio, (name, info)
        assert manifest(preempted, name)["status"] == "ok"


def test_the_service_took_gpus_back_from_the_studio_over_its_share(preempted):
    assert preempted["view"]["preemptions"] >= 1, preempted["view"]


def test_the_calls_taken_back_stopped_ran_again_and_finished(preempted):
    tasks = manifest(preempted, LOW[0])["tasks"]
    taken = {nid: t for nid, t in tasks.items() if t["preempted"]}
    assert taken, "no task of the low-weight job says it was taken back"
    assert sum(t["preempted"] for t in taken.values()) == preempted["view"]["preemptions"]
    for nid, task in taken.items():
        assert task["stage"] == "keyframe" and task["status"] == "done" and task["error"] is None, (nid, task)
        assert task["attempts"] == 1, (nid, task)  # a stop is not a failed attempt
    others = manifest(preempted, HIGH[0])["tasks"]
    assert not any(t["preempted"] for t in others.values()), "the studio under its share lost work"


def test_no_stop_marker_is_left_in_the_store(preempted):
    assert preempted["markers"] == []
