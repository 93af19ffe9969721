"""Studios' and operators' commands that talk to the service from outside the cluster.

They connect with Ray Client (``ray://HEAD:10001``, token auth through Ray's own interceptors), call
the service actor, and disconnect: ``status`` (the service's record of a job), ``cancel``, ``fetch``
(the job's delivered files, chunk by chunk, each checked against ``delivery.json``) and the cluster
view. The Ray Client address defaults to the dashboard's host on port 10001 (``--client`` or
``KAIPAI_RAY_CLIENT`` to change it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

from orchestrator.service.delivery import DELIVERY
from orchestrator.service.settings import NAMESPACE
from stages.errors import InputError, RunFailed

CHUNK = 4 * 1024 * 1024
MAX_FILE_BYTES = 20 * 1024**3  # a delivered file larger than this is refused (a corrupt delivery.json)
DEFAULT_CLIENT_PORT = 10001
CONNECT_ATTEMPTS = 3
CONNECT_PAUSE_SECONDS = 3.0
TRANSIENT_CONNECT_ERRORS = ("client server failed", "ZombieProcess")  # the head's per-client server did not start


def client_address(dashboard: str, client: str | None = None) -> str:
    """Where Ray Client listens: ``--client``, ``KAIPAI_RAY_CLIENT``, or the dashboard's host:10001."""
    chosen = client or os.environ.get("KAIPAI_RAY_CLIENT")
    if chosen:
        return chosen if chosen.startswith("ray://") else f"ray://{chosen}"
    host = urlparse(dashboard if "://" in dashboard else f"http://{dashboard}").hostname
    if not host:
        raise InputError(f"cannot tell the head's host from {dashboard!r}", field="--address")
    return f"ray://{host}:{DEFAULT_CLIENT_PORT}"


@contextlib.contextmanager
def connected_ray(address: str) -> Iterator[None]:
    """Ray Client to the cluster for the length of one command; one clear fault line if unreachable."""
    import ray

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, configure_logging=False)
            break
        except Exception as exc:
            # A busy head can fail to start the per-client server in time ("Starting Ray client
            # server failed"), or see it exit before it reads its command line (psutil's
            # ZombieProcess, raised by Ray's proxier); a second try usually finds it. A wrong
            # address fails every time.
            if attempt + 1 == CONNECT_ATTEMPTS or not any(sign in str(exc) for sign in TRANSIENT_CONNECT_ERRORS):
                raise RunFailed(f"cannot reach the cluster's Ray Client at {address}: {_last_line(exc)}") from None
            time.sleep(CONNECT_PAUSE_SECONDS * (attempt + 1))
    try:
        yield
    finally:
        ray.shutdown()


@contextlib.contextmanager
def connected(address: str) -> Iterator[Any]:
    """Ray Client and the service's handle."""
    from orchestrator.service.handle import service_handle

    with connected_ray(address):
        yield service_handle()


def _last_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


def _call(method: Any, *args: Any) -> Any:
    import ray

    try:
        return ray.get(method.remote(*args), timeout=120)
    except (InputError, RunFailed):
        raise
    except Exception as exc:
        raise RunFailed(f"the kaipai service: {_last_line(exc)}") from None


def job_record(address: str, job_id: str) -> dict[str, Any] | None:
    with connected(address) as service:
        return _call(service.job, job_id)


def cluster_view(address: str) -> dict[str, Any]:
    with connected(address) as service:
        return _call(service.status)


def cancel(address: str, job_id: str) -> bool:
    with connected(address) as service:
        return bool(_call(service.cancel, job_id))


def fetch(address: str, job_id: str, dest: Path) -> list[Path]:
    """Download the job's delivered files into ``dest``; every file's sha256 checked before it lands."""
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with connected(address) as service:
        record = _call(service.job, job_id)
        if record is None:
            raise InputError(f"the service knows no job {job_id!r}", field="JOB_ID")
        if record["state"] != "SUCCEEDED":
            raise RunFailed(f"job {job_id} is {record['state']}; nothing to fetch yet")
        delivery = json.loads(_read_small(service, job_id, DELIVERY).decode("utf-8"))
        for relpath, entry in sorted(delivery["files"].items()):
            target = dest / _safe_relpath(relpath)
            _download(service, job_id, relpath, entry, target)
            written.append(target)
    return written


def _safe_relpath(relpath: str) -> Path:
    path = PurePosixPath(relpath)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise RunFailed(f"delivery.json names {relpath!r}, which is not a path inside the job's folder")
    return Path(*path.parts)


def _read_small(service: Any, job_id: str, relpath: str) -> bytes:
    data = _call(service.read, job_id, relpath, 0, CHUNK)
    if len(data) >= CHUNK:
        raise RunFailed(f"{relpath} of job {job_id} is larger than {CHUNK} bytes")
    return data


def _download(service: Any, job_id: str, relpath: str, entry: dict[str, Any], target: Path) -> None:
    """Chunks into a temp file beside ``target``, renamed into place only if size and sha256 match."""
    expected = int(entry["size"])
    if not 0 <= expected <= MAX_FILE_BYTES:
        raise RunFailed(f"{relpath}: size {expected} in delivery.json is out of range")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest, offset = hashlib.sha256(), 0
    try:
        with temp.open("wb") as out:
            while offset <= expected:
                chunk = _call(service.read, job_id, relpath, offset, CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                digest.update(chunk)
                offset += len(chunk)
        if offset != expected or digest.hexdigest() != entry["sha256"]:
            raise RunFailed(f"{relpath} of job {job_id} does not match delivery.json (size or sha256): not written")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
