"""A studio job's driver on the cluster: ``python -m orchestrator.cli driver JOB --job-id ID ...``.

``kaipai submit`` starts this as the entrypoint of the job's own Ray job, so the dashboard shows
every task under the studio's job. It runs the same ``run_job`` as ``kaipai run``, with three seams
swapped: placement is the service's global plan (every active job placed together), admission asks
the service for grants (fair share, zone slots) and pools are the service's shared actors. Its
output goes to the job's folder in the shared store (never Ray's temporary upload folder), with
``delivery.json`` listing every file a studio fetches and its sha256.

Steps: (1) register with the service (re-attaching if this job id is known: the store makes the
re-run resume); (2) run the job with the service's seams; (3) measure the bytes that crossed zones
and add them to the manifest next to the cost model's estimate; (4) write ``delivery.json``;
(5) tell the service how it ended.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path
from typing import Any

from orchestrator.manifest import write_manifest
from orchestrator.service.client import (
    JobCancelled,
    ServiceAdmission,
    ServicePlacer,
    ServiceProgress,
    SharedPools,
    call_service,
)
from orchestrator.service.delivery import write_delivery
from orchestrator.service.handle import service_handle
from orchestrator.service.supervise import exit_when_orphaned
from orchestrator.service.transfers import cross_zone_bytes


def drive(job_path: str | Path, job_id: str, *, config: str | None, policy: str, observer: Any = None) -> Any:
    """Run one submitted job under the service. Returns the ``JobResult``."""
    import ray

    from orchestrator.config import load_profile
    from orchestrator.jobrun import run_job
    from orchestrator.jobspec import load_job

    job = load_job(job_path)
    ray.init(address="auto", log_to_driver=True, configure_logging=False)
    service = service_handle()
    # 1. register (or re-attach)
    desc = call_service(service.register, job_id, job.spec.studio, str(job.spec.title), int(job.spec.priority))
    out = Path(desc["out"])
    _record_pid(Path(desc["store"]), job_id)
    exit_when_orphaned(lambda: _orphaned(service, job_id))
    config = config or desc.get("config")  # default: the profile the operator started the service with
    profile = load_profile(config)
    placer = ServicePlacer(service, job_id)
    admission = ServiceAdmission(service, job_id, desc["epoch"], on_new_epoch=placer.place_again)

    def shared_pools(backend: Any, runtimes: Any) -> SharedPools:
        pools = SharedPools(service, runtimes)
        admission.pool_of = pools.digest  # offers name their pool, so warm pools elsewhere can take them
        return pools

    seams = {"admission": admission, "pool_provider": shared_pools, "placer": placer}
    try:
        # 2. run it
        result = run_job(
            job_path,
            profile,
            out,
            address="auto",
            policy=policy,
            observer=ServiceProgress(observer, service, job_id, admission),
            store=desc["store"],
            config_path=config,
            executor_options=seams,
        )
        # 3. bytes between zones, measured against the estimate
        zone_of = _zone_of_node()
        if result.dag is not None:
            result.manifest["cross_zone"] = cross_zone_bytes(result.dag, result.report, zone_of)
            _report_zone_bytes(service, job_id, result.manifest["cross_zone"]["links"])
        result.manifest.setdefault("cross_zone", {})["produced_in"] = {
            nid: zone_of(task["node"]) for nid, task in result.manifest["tasks"].items() if task.get("node")
        }  # every task's zone as Ray ran it (the storyboard's too), beside the zone it was granted
        write_manifest(out, result.manifest)
        # 4. what a studio fetches
        write_delivery(out)
    except JobCancelled as exc:
        _finish(service, job_id, "CANCELLED", str(exc))
        raise
    except Exception as exc:  # bad input, a failed run, a fault: the service must hear of it
        admission.close()
        _finish(service, job_id, "FAILED", _one_line(exc))
        raise
    # 5. how it ended
    admission.close()
    _finish(service, job_id, "SUCCEEDED" if result.ok else "FAILED", "" if result.ok else "some tasks failed")
    return result


def _one_line(exc: BaseException) -> str:
    """What went wrong, in a line: a remote error's last line (its cause), else the message's first."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # Ray colours the remote frame's name
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    return lines[-1] if lines[0].startswith("ray::") else lines[0]


def _record_pid(store: Path, job_id: str) -> None:
    """Which process drives the job now (an operator's ``kill`` targets it; the e2e test does)."""
    folder = store / "service" / "drivers"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{job_id}.pid").write_text(str(os.getpid()), encoding="utf-8")


def _orphaned(service: Any, job_id: str) -> None:
    """The supervisor died, and with it the Ray job: end the job at the service rather than drive on
    where no Ray command can stop it."""
    message = "the job's supervisor (its Ray job's entrypoint) died; submit the job again to resume it from the store"
    print(f"kaipai: {message}", file=sys.stderr, flush=True)
    _finish(service, job_id, "FAILED", message)


def _report_zone_bytes(service: Any, job_id: str, links: dict[str, int]) -> None:
    """The bytes that crossed zones go to the service, which exports them: this driver exits too soon
    after its run for Ray's metrics agent to pick up a counter of its own."""
    try:
        call_service(service.zone_bytes, job_id, links, timeout=30)
    except Exception as exc:  # a metric is a courtesy; the manifest has the figures
        print(f"kaipai: could not report the bytes between zones: {exc}", file=sys.stderr)


def _finish(service: Any, job_id: str, state: str, message: str) -> None:
    try:
        call_service(service.finish, job_id, state, message)
    except Exception as exc:  # the job's own outcome stands; `kaipai status` also reads Ray's job state
        print(f"kaipai: could not tell the service that {job_id} is {state}: {exc}", file=sys.stderr)


@functools.cache
def _node_zones() -> dict[str, str]:
    import ray

    return {n["NodeID"]: (n.get("Labels") or {}).get("zone", "") for n in ray.nodes()}


def _zone_of_node() -> Any:
    """Ray node id -> its zone label (the zone a task actually ran in)."""
    return lambda node_id: _node_zones().get(node_id or "", None)
