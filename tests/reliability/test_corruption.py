"""Issue 9 case 3 on real media: a corrupt stored file is never served; it is made again, and said so.

One small real job on the local profile: the stored episode truncated, then a shot clip and a voice
truncated, then the delivered file edited in place. After each, the re-run exits 0 with an episode
that decodes and lasts what it lasted before, and ``kaipai verify`` agrees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stages import store
from stages.base import Artifact
from tests.reliability.hostile import ENTRY, REPO
from tests.reliability.realjob import RUN_TIMEOUT, check_episodes, finish, manifest, start_run, write_real_job

pytestmark = pytest.mark.slow


def run_ok(job, config, out, address) -> str:
    proc = start_run(job, config, out, address)
    output = finish(proc, RUN_TIMEOUT)
    assert proc.returncode == 0, output
    return output


def stored(out, stage: str) -> list[Artifact]:
    """The artifacts of ``stage`` the last run used, in task order."""
    data = manifest(out)
    root = Path(data["store"])
    paths = [(t["key"], root / stage / t["key"]) for t in data["tasks"].values() if t["stage"] == stage]
    return [Artifact.load(key, path) for key, path in paths]


def truncate(path, size: int = 100) -> None:
    with path.open("r+b") as handle:
        handle.truncate(size)


def status_of(out, stage: str) -> set[str]:
    return {t["status"] for t in manifest(out)["tasks"].values() if t["stage"] == stage}


def test_corrupt_artifacts_are_remade_and_reported(ray_cluster, ray_session, tmp_path):
    job, config = write_real_job(tmp_path / "job")
    out, address = tmp_path / "out", ray_cluster.address
    run_ok(job, config, out, address)
    check_episodes(out)
    length = manifest(out)["episodes"]["ep01"]["duration"]

    # 1. the stored final episode truncated: re-made, with a message; nothing else re-run
    truncate(stored(out, "assembly")[0].file())
    output = run_ok(job, config, out, address)
    assert "stored artifact was corrupt (episode.mp4 is 100 bytes" in output and "making it again" in output
    assert status_of(out, "assembly") == {"done"} and status_of(out, "voice") == {"cached"}
    check_episodes(out)

    # 2. one shot clip, one voice and the episode truncated: all three made again, same length as before
    truncate(stored(out, "mux")[0].file())
    truncate(stored(out, "voice")[1].file(), 44)
    truncate(stored(out, "assembly")[0].file())
    run_ok(job, config, out, address)
    summary = manifest(out)["summary"]
    assert summary["done"] == 3, manifest(out)["tasks"]
    check_episodes(out)
    assert abs(manifest(out)["episodes"]["ep01"]["duration"] - length) < 0.05

    # 3. the delivered file edited in place: the store's copy is untouched, a re-run delivers it again
    delivered = out / "ep01" / "episode.mp4"
    truncate(delivered)
    assert store.problem_of(stored(out, "assembly")[0], deep=True) is None
    run_ok(job, config, out, address)
    check_episodes(out)
    assert manifest(out)["summary"]["done"] == 0

    # 4. nothing temporary left, and verify agrees that all is well
    leftovers = [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]
    assert not leftovers
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    verify = subprocess.run([sys.executable, "-c", ENTRY, "verify", str(out)], capture_output=True, text=True, env=env)
    assert verify.returncode == 0, verify.stderr
    assert " 0 corrupt; 3 delivered files checked, 0 bad" in verify.stdout
