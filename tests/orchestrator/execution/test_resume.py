"""A run killed at any moment, started again, finishes without redoing finished work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestrator.dag import plan_dag
from orchestrator.execution.executor import Executor
from stages import store
from tests.conftest import REPO
from tests.orchestrator.conftest import fake_profile, make_job
from tests.orchestrator.storyboards import make_storyboard


def finished_artifacts(root):
    return {p for p in root.glob("*/*") if not p.name.startswith(store.TEMP_PREFIX)}


@pytest.mark.slow
def test_resume_after_sigkill(ray_cluster, ray_session, fakes, tmp_path):
    root = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.orchestrator.execution.resume_driver", ray_cluster.address, str(root)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not list(root.glob("motion/[0-9a-f]*")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(1.0)  # tasks of the dead driver are torn down by Ray
    before = {p: (p / "meta.json").read_text() for p in finished_artifacts(root)}
    assert before, "the run was killed before it finished anything"
    # No half artifact under a final key: every final folder has its meta.json and its file.
    for path, meta in before.items():
        assert meta and (path / "meta.json").is_file()

    profile = fake_profile({"motion": {"sleep": 0.4}, "mux": {"sleep": 0.3}})
    dag = plan_dag(make_job(tmp_path), make_storyboard(episodes=2, shots=3), profile)
    report = Executor(profile, root).run(dag)
    assert report.ok
    assert report.count("done") + report.count("cached") == len(dag.nodes)
    assert report.count("done") < len(dag.nodes)
    by_path = {report.artifacts[nid].path: nid for nid in dag.nodes}
    for path, meta in before.items():
        nid = by_path[path]
        assert report.records[nid].status == "cached", nid  # not redone
        assert (path / "meta.json").read_text() == meta
    assert not list(root.glob(f"*/{store.TEMP_PREFIX}*"))  # the dead writers' temp folders were swept
