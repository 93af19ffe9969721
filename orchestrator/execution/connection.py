"""The Ray a run uses: the one already connected, the cluster at ``address``, or an embedded one."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from orchestrator.config import Profile


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
        )
    try:
        yield
    finally:
        ray.shutdown()
