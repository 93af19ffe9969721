"""Hand a job to a Ray cluster as a Ray job (it shows in the dashboard's Jobs view), and follow it.

The job's folder travels as the Ray job's ``working_dir``; the entrypoint is ``kaipai run`` on the
cluster (``--address auto``), so the cluster's image must have kaipai installed (see ``deploy/``).
Ray 2.60 turns token auth on by default: ``RAY_AUTH_TOKEN`` from the environment is passed through.
"""

from __future__ import annotations

import contextlib
import os
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestrator.config import REPO_ROOT
from orchestrator.jobspec import load_job
from stages.errors import InputError, RunFailed

MAX_WORKING_DIR_BYTES = 100_000_000  # Ray's own upload limit is about 100 MiB (working_dir)


def _client(address: str) -> Any:
    from ray.job_submission import JobSubmissionClient

    headers = {}
    token = os.environ.get("RAY_AUTH_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        return JobSubmissionClient(address, headers=headers or None)
    except Exception as exc:  # connection refused, bad address
        raise RunFailed(f"cannot reach the Ray dashboard at {address}: {exc}") from None


@contextlib.contextmanager
def _dashboard(address: str) -> Iterator[None]:
    """The dashboard's refusals (no agent yet, unknown job id, auth) as one clear line, exit 1."""
    try:
        yield
    except (InputError, RunFailed):
        raise
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise RunFailed(f"Ray dashboard at {address}: {text[-1] if text else type(exc).__name__}") from None


def cluster_config(config: str | None, folder: Path) -> str | None:
    """The ``--config`` as the cluster will see it: a profile shipped in ``configs/`` (installed with
    kaipai in the cluster's image) or a file inside the job's folder (uploaded with it)."""
    if not config:
        return None
    path = Path(config).resolve()
    for root, prefix in ((folder.resolve(), ""), ((REPO_ROOT / "configs").resolve(), "configs/")):
        if path.is_relative_to(root) and path.is_file():
            return prefix + path.relative_to(root).as_posix()
    raise InputError(
        f"{config!r} would not exist on the cluster: use a profile from configs/ or put it in the job's folder",
        field="--config",
    )


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def entrypoint(job_file: str, config: str | None, out: str | None, policy: str) -> str:
    """The command the cluster runs, quoted so any file name stays one argument."""
    args = ["kaipai", "run", job_file, "--address", "auto", "--policy", policy]
    if config:
        args += ["--config", config]
    if out:
        args += ["--out", out]
    return shlex.join(args)


def submit(
    job_path: str | Path,
    address: str,
    *,
    config: str | None = None,
    out: str | None = None,
    policy: str = "kaipai",
    submission_id: str | None = None,
) -> str:
    """Validate the spec here (errors stay local), then submit it. Returns the submission id."""
    job = load_job(job_path)
    folder = job.folder
    size = _folder_size(folder)
    if size > MAX_WORKING_DIR_BYTES:
        raise InputError(
            f"the job folder is {size} bytes; Ray uploads at most {MAX_WORKING_DIR_BYTES}", file=job.spec_path
        )
    runtime_env: dict[str, Any] = {"working_dir": str(folder), "env_vars": {"RAY_USAGE_STATS_ENABLED": "0"}}
    if os.environ.get("RAY_AUTH_TOKEN"):
        runtime_env["env_vars"]["RAY_AUTH_TOKEN"] = os.environ["RAY_AUTH_TOKEN"]
    remote_config = cluster_config(config, folder)
    client = _client(address)
    with _dashboard(address):
        return client.submit_job(
            entrypoint=entrypoint(Path(job_path).name, remote_config, out, policy),
            runtime_env=runtime_env,
            submission_id=submission_id,
            metadata={
                "kaipai_job": str(job.spec.title),
                "studio": job.spec.studio,
                "priority": str(job.spec.priority),
            },
        )


def status(job_id: str, address: str) -> dict[str, Any]:
    with _dashboard(address):
        info = _client(address).get_job_info(job_id)
    return {
        "id": job_id,
        "status": str(info.status),
        "message": info.message,
        "entrypoint": info.entrypoint,
        "start_time": info.start_time,
        "end_time": info.end_time,
    }


def logs(job_id: str, address: str) -> str:
    with _dashboard(address):
        return _client(address).get_job_logs(job_id)


def cancel(job_id: str, address: str) -> bool:
    with _dashboard(address):
        return bool(_client(address).stop_job(job_id))
