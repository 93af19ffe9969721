"""The local three-zone cluster (``deploy/local/cluster.sh``) and small studio jobs, for e2e tests and
``benchmarks/cluster.py``. Everything goes through the commands a user types (``kaipai ...`` as
subprocesses); the cluster is stopped by the PIDs ``cluster.sh`` recorded."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
KAIPAI = REPO / ".venv" / "bin" / "kaipai"
CLUSTER_SH = REPO / "deploy" / "local" / "cluster.sh"

SCRIPT = """第1集 {title}

1-1 日 外 城墙
人物：林晚、陈砚
△夕阳下的城墙。
林晚：我们开始吧，{line}
陈砚：这一段还没开放。
△林晚蹲下，抚摸城砖。
林晚（愣住）：这个字是师父刻的。

1-2 夜 外 城墙
陈砚：线的尽头，指向云冈。
林晚：明天一早，我们去云冈。
"""

EXTRA_SCENE = """
1-{n} 日 内 石窟
人物：林晚、陈砚
△石窟里的光。
林晚：第{n}窟到了，{line}
陈砚：佛像的眼睛在看我们。
△林晚举起手电，照向石壁。
"""


@dataclass
class LocalCluster:
    dir: Path
    env: dict[str, str]  # the environment the kaipai commands run with (addresses, token)
    address: str
    client: str
    metrics_ports: list[int]
    config: Path  # the profile the service runs with (its own store under dir)

    def kaipai(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(KAIPAI), *args], env=self.env, capture_output=True, text=True, timeout=timeout, cwd=REPO
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kaipai {' '.join(args)} exited {result.returncode}:\n{result.stderr[-3000:]}")
        return result

    def get(self, path: str, port: int | None = None) -> str:
        """A dashboard (or metrics) URL, with the token as Ray's dashboard expects it."""
        base = self.address if port is None else f"http://127.0.0.1:{port}"
        headers = {}
        if self.env.get("RAY_AUTH_TOKEN"):
            headers["Authorization"] = f"Bearer {self.env['RAY_AUTH_TOKEN']}"
        request = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode("utf-8", "replace")

    def status(self, job_id: str) -> dict[str, Any]:
        return json.loads(self.kaipai("status", job_id, "--address", self.address).stdout)


def cluster_profile(
    dest: Path,
    store: Path,
    cluster: dict[str, Any] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    **fair_share: Any,
) -> Path:
    """``configs/local-cluster.yaml`` with its own store (and any cluster, stage-option (stage ->
    options) or fair-share overrides)."""
    profile = yaml.safe_load((REPO / "configs" / "local-cluster.yaml").read_text(encoding="utf-8"))
    profile["cluster"].update(cluster or {})
    for stage, values in (options or {}).items():
        profile["stages"][stage].setdefault("options", {}).update(values)
    profile["store"] = profile["cluster"]["store"] = str(store)
    profile["cluster"]["fair_share"].update(fair_share)
    dest.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return dest


@contextlib.contextmanager
def local_cluster(
    root: Path,
    token: str | None = None,
    cluster: dict[str, Any] | None = None,
    options: dict[str, dict[str, Any]] | None = None,
    **fair_share: Any,
) -> Iterator[LocalCluster]:
    """``cluster.sh up``, then ``kaipai cluster up``; ``cluster.sh down`` afterwards, whatever happened.

    ``cluster``: settings of the profile's ``cluster`` section to override; ``options``: stage
    options (stage -> options); ``fair_share``: settings of its fair share.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(RAY_USAGE_STATS_ENABLED="0", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    if token:
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=token)
    else:
        env["RAY_AUTH_MODE"] = "disabled"
    folder = Path(tempfile.mkdtemp(prefix="kpc-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    clean = False
    try:  # from before `up`: an interrupted start is stopped too (down stops the PIDs it recorded)
        started = subprocess.run(
            ["bash", str(CLUSTER_SH), "up", str(folder)], env=env, capture_output=True, text=True, timeout=600
        )
        if started.returncode != 0:
            raise AssertionError(f"cluster.sh up failed:\n{started.stderr[-3000:]}")
        lines = (folder / "cluster.env").read_text().splitlines()
        values = dict(line.removeprefix("export ").split("=", 1) for line in lines if "=" in line)
        env.update(KAIPAI_RAY_CLIENT=values["KAIPAI_RAY_CLIENT"])
        local = LocalCluster(
            dir=folder,
            env=env,
            address=values["KAIPAI_ADDRESS"],
            client=values["KAIPAI_RAY_CLIENT"],
            metrics_ports=[int(p) for p in values["KAIPAI_METRICS_PORTS"].strip('"').split()],
            config=cluster_profile(root / "local-cluster.yaml", root / "store", cluster, options, **fair_share),
        )
        local.kaipai("cluster", "up", "--address", local.address, "--config", str(local.config))
        yield local
        clean = True
    finally:
        pids = (
            [int(line.split()[0]) for line in (folder / "pids").read_text().splitlines()]
            if (folder / "pids").exists()
            else []
        )
        subprocess.run(["bash", str(CLUSTER_SH), "down", str(folder)], env=env, capture_output=True, timeout=120)
        alive = [pid for pid in pids if _group_alive(pid, wait=30)]
        assert not alive, f"process groups {alive} of the local cluster are still alive after down"
        if clean:  # otherwise its logs stay for whoever reads the failure
            shutil.rmtree(folder, ignore_errors=True)


def _group_alive(pgid: int, wait: float) -> bool:
    """Whether any process of the group is left after ``wait`` seconds (killed ones take a moment)."""
    deadline = time.time() + wait
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        if time.time() > deadline:
            return True
        time.sleep(1)


def studio_job(root: Path, name: str, studio: str, priority: int, line: str, scenes: int = 1) -> Path:
    """A one-episode job folder: five shots (about 22 tasks), and four more per extra scene."""
    folder = root / name
    folder.mkdir(parents=True)
    extra = "".join(EXTRA_SCENE.format(n=n, line=line) for n in range(3, scenes + 2))
    (folder / "script.txt").write_text(SCRIPT.format(title=name, line=line) + extra, encoding="utf-8")
    spec = {
        "studio": studio,
        "title": name,
        "script": "script.txt",
        "resolution": [180, 320],
        "fps": 12,
        "priority": priority,
        "characters": {
            "林晚": {"appearance": "齐肩黑发的修缮师", "gender": "female", "voice": "cmn-latn-pinyin+f3", "seed": 1},
            "陈砚": {"appearance": "短发的摄影师", "gender": "male", "voice": "cmn-latn-pinyin+m3", "seed": 2},
        },
    }
    (folder / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return folder / "job.yaml"


def wait_until_final(cluster: LocalCluster, job_ids: list[str], timeout: float = 900) -> dict[str, dict[str, Any]]:
    """Poll the Ray jobs until every one is final; returns each one's ``kaipai status``."""
    from ray.job_submission import JobSubmissionClient

    headers = (
        {"Authorization": f"Bearer {cluster.env['RAY_AUTH_TOKEN']}"} if cluster.env.get("RAY_AUTH_TOKEN") else None
    )
    client = JobSubmissionClient(cluster.address, headers=headers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        states = {j: str(client.get_job_status(j)) for j in job_ids}
        if all(s.endswith(("SUCCEEDED", "FAILED", "STOPPED")) for s in states.values()):
            return {j: cluster.status(j) for j in job_ids}
        time.sleep(3)
    raise AssertionError(f"jobs not final after {timeout} s: {states}")
