"""The Ray a run uses: the one already connected, the cluster at ``address``, or an embedded one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from orchestrator.config import Profile

IDLE_WORKER_SECONDS = 300  # how long an embedded Ray keeps an idle worker process (Ray's default: 1 s)


def warm_workers(num_cpus: int | None) -> dict[str, int]:
    """Ray settings that keep an embedded Ray's worker processes (their stage modules imported) between runs.

    By default Ray kills an idle worker after a second beyond its soft limit, so the next run's
    second concurrent task waited for a new process and its imports (scipy, pyloudnorm: 0.5-0.9
    CPU-s for the sound stage alone), 1-6 s on a loaded 2-core machine: most of a one-line edit
    run in the same session, whose voice, mux and sound tasks then run side by side."""
    cores = num_cpus or os.cpu_count() or 1
    return {"idle_worker_killing_time_threshold_ms": IDLE_WORKER_SECONDS * 1000, "num_workers_soft_limit": 2 * cores}


@contextlib.contextmanager
def ray_connection(profile: Profile, address: str | None = None) -> Iterator[None]:
    """Use the Ray already connected (tests, notebooks); else connect to ``address``; else start one.

    Only a connection made here is shut down here.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    if address:
        ray.init(address=address, log_to_driver=True, configure_logging=False)
    else:
        # An embedded throwaway cluster: nobody else can reach it, so token auth only gets in the way.
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            num_cpus=profile.ray.num_cpus,
            object_store_memory=profile.ray.object_store_memory,
            include_dashboard=profile.ray.include_dashboard,
            log_to_driver=False,
            configure_logging=False,
            _system_config=warm_workers(profile.ray.num_cpus),
        )
    try:
        yield
    finally:
        ray.shutdown()
