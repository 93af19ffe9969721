"""The Ray backend: plain tasks and pool actors, pinned to a zone with ``label_selector``."""

from __future__ import annotations

import contextlib
from typing import Any

from orchestrator.execution.backend import ActorSpec, TaskCall
from workers.task import run_stage_task

# Ray's errors for a worker or node that went away (some exist only in some Ray versions).
SYSTEM_ERROR_NAMES = (
    "NodeDiedError",
    "WorkerCrashedError",
    "ActorDiedError",
    "ActorUnavailableError",
    "ObjectLostError",
    "OwnerDiedError",
    "LocalRayletDiedError",
    "TaskCancelledError",
)


class RayBackend:
    """Runs nodes on the Ray this process is connected to."""

    def __init__(self) -> None:
        import ray
        from ray import exceptions

        self.ray = ray
        self.remote_task = ray.remote(run_stage_task)
        self.system_errors = tuple(getattr(exceptions, n) for n in SYSTEM_ERROR_NAMES if hasattr(exceptions, n))

    def run_task(self, call: TaskCall) -> Any:
        options: dict[str, Any] = {"name": call.name, "max_retries": 0, **call.resources}
        if call.zone:
            options["label_selector"] = {"zone": call.zone}
        return self.remote_task.options(**options).remote(
            call.target, call.options, call.key, call.params, call.inputs, call.store_root, call.stop_token
        )

    def start_actor(self, spec: ActorSpec) -> Any:
        options: dict[str, Any] = {
            "name": spec.name,
            "max_concurrency": spec.max_concurrency,
            "max_restarts": 0,
            **spec.resources,
        }
        if spec.zone is not None:
            options["label_selector"] = {"zone": spec.zone}
        return self.ray.remote(spec.worker_class).options(**options).remote(spec.stage, spec.backend, spec.options)

    def call_actor(self, actor: Any, method: str, name: str, *args: Any) -> Any:
        return getattr(actor, method).options(name=name).remote(*args)

    def wait(self, handles: list[Any], timeout: float, *, every: bool = False) -> list[Any]:
        if not handles:
            return []
        if every:
            return self.ray.wait(handles, num_returns=len(handles), timeout=timeout)[0]
        ready, rest = self.ray.wait(handles, num_returns=1, timeout=timeout)
        if ready and rest:
            ready += self.ray.wait(rest, num_returns=len(rest), timeout=0)[0]
        return ready

    def result(self, handle: Any) -> Any:
        return self.ray.get(handle)

    def cancel(self, handle: Any, *, force: bool) -> None:
        with contextlib.suppress(Exception):
            self.ray.cancel(handle, force=force)

    def kill(self, actor: Any) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(actor, no_restart=True)

    def actor_alive(self, actor: Any) -> bool:
        try:
            self.ray.get(actor.__ray_ready__.remote(), timeout=5)
        except Exception:
            return False
        return True

    def alive_zones(self) -> set[str]:
        return {n["Labels"]["zone"] for n in self.ray.nodes() if n.get("Alive") and (n.get("Labels") or {}).get("zone")}

    def is_system_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self.system_errors)
