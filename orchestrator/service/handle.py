"""Finding the running service actor (from a driver on the cluster, or through Ray Client)."""

from __future__ import annotations

from typing import Any

from orchestrator.service.settings import NAMESPACE, SERVICE_NAME
from stages.errors import RunFailed


def service_handle() -> Any:
    """The running service actor, or a clear fault telling the operator how to start it."""
    import ray

    try:
        return ray.get_actor(SERVICE_NAME, namespace=NAMESPACE)
    except ValueError:
        raise RunFailed(
            f"no kaipai service on this cluster (actor {SERVICE_NAME!r} in namespace {NAMESPACE!r}); "
            "an operator starts it with `kaipai cluster up --address ADDR`"
        ) from None
