"""The small interface between the dispatch loop and whatever runs the work (Ray; a fake in tests).

The loop only ever holds opaque *handles* (a Ray ``ObjectRef``) and *actors* (a Ray actor handle);
the backend starts them, waits on them, and turns them into results or errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class TaskCall:
    """One node as a plain task: ``workers.task.run_stage_task``'s arguments and where it may run."""

    name: str  # shown in the Ray dashboard
    target: str  # the registry's "module:Class"
    options: dict[str, Any]
    key: str
    params: dict[str, Any]
    inputs: dict[str, Any]
    store_root: str
    resources: dict[str, Any]  # num_cpus / num_gpus / memory
    zone: str | None
    stop_token: str = ""  # names the marker by which the driver may ask the call to stop


@dataclass(frozen=True)
class ActorSpec:
    """One warm pool actor: the worker class (already wrapped by ``pooled_worker_class``) and its home."""

    name: str
    worker_class: type
    stage: str
    backend: str
    options: dict[str, Any]
    resources: dict[str, Any]
    max_concurrency: int
    zone: str | None


class Backend(Protocol):
    def run_task(self, call: TaskCall) -> Any:
        """Start a plain task; returns its handle."""

    def start_actor(self, spec: ActorSpec) -> Any:
        """Start a pool actor; returns the actor (its constructor may still fail later)."""

    def call_actor(self, actor: Any, method: str, name: str, *args: Any) -> Any:
        """Call ``actor.method(*args)`` remotely under a dashboard ``name``; returns its handle."""

    def wait(self, handles: list[Any], timeout: float, *, every: bool = False) -> list[Any]:
        """The handles that are ready: as soon as one is (``every``: all, or what is by ``timeout``)."""

    def result(self, handle: Any) -> Any:
        """The call's return value; raises its error."""

    def cancel(self, handle: Any, *, force: bool) -> None: ...

    def kill(self, actor: Any) -> None: ...

    def actor_alive(self, actor: Any) -> bool: ...

    def alive_zones(self) -> set[str]:
        """Zones that have at least one alive node."""

    def is_system_error(self, exc: BaseException) -> bool:
        """True when ``exc`` says a worker or node went away, not that the stage is wrong."""
