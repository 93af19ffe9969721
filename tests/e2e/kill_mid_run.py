"""Kill, by its pid, the driver of the first of some jobs seen partway through its run.

Run by the cluster e2e as a subprocess (``python -m tests.e2e.kill_mid_run RAY_CLIENT STORE
NAME=ID ...``, most wanted first): one Ray Client connection asks the service for every job's
progress a few times a second. A ``kaipai cluster status`` per poll takes seconds on a loaded
2-core machine, and a small job's middle (a burst of short tasks after a long first keyframe) is
over in about that long. Prints ``NAME PID`` of the driver it killed; exit 1 if it caught none.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from orchestrator.service.remote import connected

POLL_SECONDS = 0.25
TIMEOUT_SECONDS = 600.0
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def partway(job: dict) -> bool:
    """Still running, with a few tasks done (so a successor has something to resume). No bound on
    what is left: on a quiet machine a warm small job's last twenty tasks can finish inside one
    progress interval, and its assembly and gates still run after them."""
    stages = (job.get("stages") or {}).values()
    return job["state"] == "RUNNING" and sum(s["done"] for s in stages) >= 3


def main(argv: list[str]) -> int:
    import ray

    address, store, pairs = argv[0], Path(argv[1]), [a.split("=", 1) for a in argv[2:]]
    deadline = time.time() + TIMEOUT_SECONDS
    with connected(address) as service:
        while time.time() < deadline:
            by_id = {job["id"]: job for job in ray.get(service.status.remote(), timeout=60)["jobs"]}
            for name, job_id in pairs:
                pidfile = store / "service" / "drivers" / f"{job_id}.pid"
                if job_id in by_id and partway(by_id[job_id]) and pidfile.exists():
                    pid = int(pidfile.read_text())
                    os.kill(pid, signal.SIGKILL)
                    print(name, pid, flush=True)
                    return 0
            if all(by_id.get(job_id, {}).get("state") in FINAL for _, job_id in pairs):
                break
            time.sleep(POLL_SECONDS)
    print(f"no driver of {[name for name, _ in pairs]} was caught partway through its run", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
