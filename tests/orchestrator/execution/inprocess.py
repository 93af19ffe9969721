"""An in-process backend for the dispatch loop: every call runs at once, in this process, no Ray.

Runs the very code Ray workers run (``workers.task``), so the loop's tests take milliseconds and
still see real artifacts in a real store. ``lose`` makes calls on a zone fail as a lost node does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.execution.backend import ActorSpec, TaskCall
from workers.task import run_stage_task


class NodeLost(RuntimeError):
    """What a call on a lost zone raises (a system error for this backend)."""


class ActorInitFailed(NodeLost):
    """As Ray reports an actor whose constructor raised: on every call, the cause only in the text."""

    actor_init_failed = True

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"The actor died in its constructor.\n{type(cause).__name__}: {cause}")


@dataclass(eq=False)
class Call:
    value: Any = None
    error: BaseException | None = None


@dataclass(eq=False)
class Actor:
    spec: ActorSpec
    instance: Any | None
    error: BaseException | None  # the constructor's, raised by every call (as Ray does)
    killed: bool = False


class InProcessBackend:
    def __init__(self, zones: set[str] | None = None) -> None:
        self.zones = set(zones or ())
        self.lost: set[str] = set()
        self.tasks: list[TaskCall] = []
        self.actors: list[Actor] = []
        self.calls: list[tuple[str, str]] = []  # (method, dashboard name) on actors
        self.cancelled: list[Call] = []

    def run_task(self, call: TaskCall) -> Call:
        self.tasks.append(call)
        if call.zone in self.lost:
            return Call(error=NodeLost(f"zone {call.zone} is gone"))
        return self._call(
            run_stage_task,
            call.target,
            call.options,
            call.key,
            call.params,
            call.inputs,
            call.store_root,
            call.stop_token,
        )

    def start_actor(self, spec: ActorSpec) -> Actor:
        try:
            instance = spec.worker_class(spec.stage, spec.backend, spec.options)
        except Exception as exc:
            actor = Actor(spec, None, exc)
        else:
            actor = Actor(spec, instance, None)
        self.actors.append(actor)
        return actor

    def call_actor(self, actor: Actor, method: str, name: str, *args: Any) -> Call:
        self.calls.append((method, name))
        if actor.error is not None:
            return Call(error=ActorInitFailed(actor.error))
        if actor.spec.zone in self.lost:
            return Call(error=NodeLost(f"zone {actor.spec.zone} is gone"))
        return self._call(getattr(actor.instance, method), *args)

    def wait(self, handles: list[Any], timeout: float, *, every: bool = False) -> list[Any]:
        return list(handles)

    def result(self, handle: Call) -> Any:
        if handle.error is not None:
            raise handle.error
        return handle.value

    def cancel(self, handle: Call, *, force: bool) -> None:
        self.cancelled.append(handle)

    def kill(self, actor: Actor) -> None:
        actor.killed = True

    def actor_alive(self, actor: Actor) -> bool:
        return not actor.killed and actor.error is None and actor.spec.zone not in self.lost

    def alive_zones(self) -> set[str]:
        return self.zones - self.lost

    def is_system_error(self, exc: BaseException) -> bool:
        return isinstance(exc, NodeLost)

    @staticmethod
    def _call(fn: Any, *args: Any) -> Call:
        try:
            return Call(value=fn(*args))
        except Exception as exc:
            return Call(error=exc)
