"""A small real job (local profile, CPU stages) for the reliability suite, and the checks its output
must pass after any fault: every episode decodes, its length is the manifest's, reruns reuse work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from stages.media.probe import probe
from tests.reliability.hostile import ENTRY, REPO

RUN_TIMEOUT = 300  # seconds for one run of the small job, on a busy 2-core machine

SCRIPT = """第1集 城墙
1-1 夜 外 大同城墙
人物：林晚、陈砚
△林晚站在城墙上，风吹起她的衣角。
林晚（低声）：你终于来了。
陈砚：我答应过你，就一定会来。
1-2 日 内 修缮工坊
林晚：这块砖，是明代的。
陈砚：那我们就把它修好。
旁白：那一夜，城墙上的灯一直亮着。
"""


def write_real_job(folder: Path, pool_stage: str | None = None) -> tuple[Path, Path]:
    """The job (180x320 at 12 fps) and a copy of configs/local.yaml; ``pool_stage`` gets warm actors."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.txt").write_text(SCRIPT, encoding="utf-8")
    spec = {"studio": "测试", "title": "城墙", "script": "script.txt", "resolution": "180x320", "fps": 12}
    (folder / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    profile = yaml.safe_load((REPO / "configs" / "local.yaml").read_text(encoding="utf-8"))
    profile["stages"]["motion"]["options"] = {"clip_seconds": 1.0}
    if pool_stage:
        profile["stages"][pool_stage]["pool"] = {"size": {"*": 1}}
    config = folder / "profile.yaml"
    config.write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    return folder / "job.yaml", config


def run_args(job: Path, config: Path, out: Path, address: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        ENTRY,
        "run",
        str(job),
        "--config",
        str(config),
        "--out",
        str(out),
        "--address",
        address,
    ]


def start_run(job: Path, config: Path, out: Path, address: str) -> subprocess.Popen:
    """``kaipai run`` as its own driver process, connected to the test cluster."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        run_args(job, config, out, address), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def finish(proc: subprocess.Popen, timeout: float = RUN_TIMEOUT) -> str:
    """Wait for a ``start_run`` driver; its combined output."""
    output, _ = proc.communicate(timeout=timeout)
    return output.decode("utf-8", "replace")


def finished_artifacts(store_root: Path) -> set[Path]:
    return {p for p in store_root.glob("*/*") if p.is_dir() and not p.name.startswith(".tmp-")}


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def check_episodes(out: Path) -> None:
    """Every episode decodes without a single error and lasts what the manifest says."""
    data = manifest(out)
    assert data["status"] == "ok", data["status"]
    for eid, episode in data["episodes"].items():
        path = out / episode["video"]
        decoded = subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"], capture_output=True
        )
        assert decoded.returncode == 0 and not decoded.stderr, (eid, decoded.stderr[-500:])
        assert abs(probe(path).duration - episode["duration"]) < 0.05, eid


def statuses_by_path(out: Path) -> dict[Path, str]:
    """Each task's artifact folder and its status in the last run (``done`` or ``cached``)."""
    data = manifest(out)
    root = Path(data["store"])
    return {root / t["stage"] / t["key"]: t["status"] for t in data["tasks"].values()}
