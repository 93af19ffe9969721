"""Hand a job to the cluster's kaipai service as its own Ray job, and follow it.

``submit`` validates the spec and script here (errors stay local, exit 2), then starts a Ray job
whose entrypoint is the head's Python running ``orchestrator.cli driver`` (the head's PATH may lack
``kaipai``). The job folder travels as the Ray job's ``working_dir``; the driver writes its output to
the job's folder in the shared store, where ``kaipai fetch`` finds it.

Auth: the dashboard is reached with ``RAY_AUTH_TOKEN`` from the environment as an HTTP header only.
Nothing secret goes into the job's metadata, runtime_env or entrypoint (all of which anyone who can
read ``/api/jobs/`` sees): the driver runs on the head, whose Ray already holds the cluster's token.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestrator.config import REPO_ROOT
from stages.errors import InputError, RunFailed

MAX_WORKING_DIR_BYTES = 100_000_000  # Ray's own upload limit is about 100 MiB (working_dir)
SUBMISSION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Environment a job may carry: only switches, never credentials (checked, so a future edit cannot leak).
SAFE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def _client(address: str) -> Any:
    import os

    from ray.job_submission import JobSubmissionClient

    headers = {}
    token = os.environ.get("RAY_AUTH_TOKEN")
    if token:  # an HTTP header to the dashboard, never stored with the job
        headers["Authorization"] = f"Bearer {token}"
    try:
        return JobSubmissionClient(address, headers=headers or None)
    except Exception as exc:  # connection refused, bad address
        raise RunFailed(f"cannot reach the Ray dashboard at {address}: {_last_line(exc)}") from None


def _last_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


@contextlib.contextmanager
def _dashboard(address: str) -> Iterator[None]:
    """The dashboard's refusals (no agent yet, unknown job id, auth) as one clear line, exit 1."""
    try:
        yield
    except (InputError, RunFailed):
        raise
    except Exception as exc:
        raise RunFailed(f"Ray dashboard at {address}: {_last_line(exc)}") from None


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


def new_submission_id(studio: str) -> str:
    """``kaipai-<studio in ASCII>-<random>``: readable in the Jobs view, unique, safe in a path."""
    from orchestrator.metrics import ascii_tag

    return f"kaipai-{ascii_tag(studio)[:40]}-{secrets.token_hex(4)}".replace("--", "-")


def entrypoint(job_file: str, job_id: str, config: str | None, policy: str) -> str:
    """The command the head runs, quoted so any file name stays one argument."""
    args = ["python", "-m", "orchestrator.cli", "driver", job_file, "--job-id", job_id, "--policy", policy]
    if config:
        args += ["--config", config]
    return shlex.join(args)


def runtime_env(folder: Path) -> dict[str, Any]:
    """The job's folder and a few switches; asserted free of anything that looks like a secret."""
    env = {"working_dir": str(folder), "env_vars": dict(SAFE_ENV)}
    assert not any("TOKEN" in k or "SECRET" in k or "PASSWORD" in k for k in env["env_vars"])
    return env


def submit(
    job_path: str | Path,
    address: str,
    *,
    config: str | None = None,
    policy: str = "kaipai",
    submission_id: str | None = None,
) -> str:
    """Validate the spec and its script here, then submit it. Returns the submission (job) id."""
    from orchestrator import frontend

    job, _script, _warnings = frontend.load(job_path)
    folder = job.folder
    size = _folder_size(folder)
    if size > MAX_WORKING_DIR_BYTES:
        raise InputError(
            f"the job folder is {size} bytes; Ray uploads at most {MAX_WORKING_DIR_BYTES}", file=job.spec_path
        )
    job_id = submission_id or new_submission_id(job.spec.studio)
    if not SUBMISSION_ID.match(job_id):
        raise InputError("a job id is 1-100 letters, digits, '.', '_' or '-'", field="--id")
    remote_config = cluster_config(config, folder)
    client = _client(address)
    with _dashboard(address):
        return client.submit_job(
            entrypoint=entrypoint(Path(job_path).name, job_id, remote_config, policy),
            runtime_env=runtime_env(folder),
            submission_id=job_id,
            entrypoint_num_cpus=0,
            metadata={
                "kaipai_job": str(job.spec.title),
                "studio": job.spec.studio,
                "priority": str(job.spec.priority),
            },
        )


def job_info(job_id: str, address: str) -> dict[str, Any]:
    """The Ray job's own view: state, message, studio, times."""
    with _dashboard(address):
        info = _client(address).get_job_info(job_id)
    return {
        "id": job_id,
        "ray_status": str(getattr(info.status, "value", info.status)),
        "message": info.message,
        "studio": (info.metadata or {}).get("studio"),
        "start_time": info.start_time,
        "end_time": info.end_time,
    }


def logs(job_id: str, address: str) -> str:
    with _dashboard(address):
        return _client(address).get_job_logs(job_id)


def stop(job_id: str, address: str) -> bool:
    with _dashboard(address):
        return bool(_client(address).stop_job(job_id))
