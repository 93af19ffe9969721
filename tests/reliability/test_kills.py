"""kill -9 of a stage worker, a pool actor and the driver at seeded random moments of a small real job.

Afterwards every episode decodes without error and lasts what the manifest says, and the run that
finishes the job redid only unfinished work: everything finished before the kill is ``cached``.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from tests.reliability.realjob import (
    RUN_TIMEOUT,
    check_episodes,
    finish,
    finished_artifacts,
    manifest,
    start_run,
    statuses_by_path,
    write_real_job,
)

pytestmark = pytest.mark.slow

SEEDS = (1, 2)


def cluster_raylet_pids(cluster) -> set[int]:
    nodes = [cluster.head_node, *cluster.worker_nodes]
    return {info.process.pid for node in nodes for info in node.all_processes.get("raylet", [])}


def parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def busy_workers(cluster, title: tuple[str, str]) -> list[int]:
    """PIDs of this cluster's Ray workers whose process title is ``ray::<prefix>...<part>...``.

    A worker is titled by the name of the task or actor call it runs (``ray::mux ep01-s01-sh001``).
    """
    prefix, part = title
    raylets, found = cluster_raylet_pids(cluster), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        busy = cmdline.startswith(f"ray::{prefix}") and part in cmdline
        if busy and parent_of(int(entry.name)) in raylets:
            found.append(int(entry.name))
    return found


def kill_one(cluster, title: tuple[str, str], deadline: float, rng: random.Random) -> bool:
    """SIGKILL one busy worker matching ``title`` once one appears (at a seeded moment); True if killed."""
    time.sleep(rng.uniform(0.0, 2.0))
    while time.time() < deadline:
        pids = busy_workers(cluster, title)
        if pids:
            os.kill(rng.choice(sorted(pids)), signal.SIGKILL)
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "victim,pool_stage,title,error",
    [
        ("worker", None, ("mux ", ""), "WorkerCrashedError"),
        ("pool actor", "voice", ("voice ", ""), "Actor"),  # with a voice pool, only its actor says lines
    ],
)
def test_killed_worker_or_actor_is_replaced_and_the_job_completes(
    ray_cluster, ray_session, tmp_path, seed, victim, pool_stage, title, error
):
    rng = random.Random(seed)
    job, config = write_real_job(tmp_path / "job", pool_stage)
    out = tmp_path / "out"
    proc = start_run(job, config, out, ray_cluster.address)
    killed = kill_one(ray_cluster, title, time.time() + 120, rng)
    output = finish(proc)
    assert killed, f"no {victim} to kill appeared\n{output}"
    assert proc.returncode == 0, output
    check_episodes(out)
    assert any(error in row and "resubmitting" in row for row in output.splitlines()), output  # seen, worked around
    again = start_run(job, config, out, ray_cluster.address)
    assert again.wait(timeout=RUN_TIMEOUT) == 0
    assert set(statuses_by_path(out).values()) == {"cached"}


@pytest.mark.parametrize("seed", SEEDS)
def test_killed_driver_resumes_without_redoing_finished_work(ray_cluster, ray_session, tmp_path, seed):
    rng = random.Random(seed)
    job, config = write_real_job(tmp_path / "job")
    out, store_root = tmp_path / "out", tmp_path / "out" / ".store"
    proc = start_run(job, config, out, ray_cluster.address)
    wanted = rng.randint(3, 20)  # kill once this many artifacts are finished
    deadline = time.time() + 120
    while time.time() < deadline and len(finished_artifacts(store_root)) < wanted and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)  # Ray tears down the dead driver's tasks
    before = finished_artifacts(store_root)
    assert before, "killed before anything finished"
    rerun = start_run(job, config, out, ray_cluster.address)
    output = finish(rerun)
    assert rerun.returncode == 0, output
    check_episodes(out)
    statuses = statuses_by_path(out)
    redone = [path for path in before if statuses.get(path) != "cached"]
    assert not redone, redone
    assert manifest(out)["summary"]["done"] == len(statuses) - len(before)
    assert not list(store_root.glob("*/.tmp-*"))
