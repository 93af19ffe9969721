"""Seam and default: the warm actors a run's pooled stages use, per (stage, zone).

``RunPools`` is today's behaviour: this run starts its own pool per (stage, zone) on first use
(sized by the profile, ``"*"`` = any zone), picks the least loaded actor, and gives a stage's actors
back (``shutdown()``, then kill) as soon as every node of the stage has settled, so their CPUs/GPUs
go to the stages after it. The cluster service will provide a ``PoolProvider`` that hands out
shared, named, long-lived actors per (model, zone) instead; then ``stage_done`` releases this run's
claim and leaves the actors warm for other jobs.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any, Protocol

from orchestrator.execution.backend import ActorSpec, Backend
from orchestrator.execution.runtime import StageRuntimes
from workers.task import pooled_worker_class

ANY_ZONE = "*"
RETIRE_GRACE_SECONDS = 30.0  # how long a retiring actor may take to tear its model down
CLOSE_WAIT_SECONDS = 10.0

WorkerFactory = Callable[[str, str], type]


def default_worker_factory(stage: str, backend: str) -> type:
    from workers.pool import worker_class_for

    return worker_class_for(stage, backend)


class PoolProvider(Protocol):
    def actor_for(self, stage: str, zone: str | None) -> Any:
        """The least loaded actor serving ``stage`` in ``zone`` (None: any zone)."""

    def load(self, actor: Any) -> int:
        """Calls in flight on ``actor``."""

    def acquire(self, actor: Any) -> None: ...

    def release(self, actor: Any) -> None: ...

    def stage_done(self, stage: str) -> None:
        """This run sends ``stage`` nothing more."""

    def actor_lost(self, stage: str, zone: str | None) -> None:
        """A call on one of these actors died with its worker: forget the dead ones."""

    def zones_lost(self, zones: set[str]) -> None: ...

    def tick(self) -> None:
        """Housekeeping on each turn of the loop (never blocks)."""

    def close(self) -> None:
        """The run is over: nothing of this run's stays."""


class ActorLoads:
    """How many calls each actor has in flight, so a pool hands out its least busy actor."""

    def __init__(self) -> None:
        self.loads: dict[Any, int] = {}

    def least_busy(self, actors: list[Any]) -> Any:
        return min(actors, key=lambda a: self.loads.get(a, 0))

    def load(self, actor: Any) -> int:
        return self.loads.get(actor, 0)

    def acquire(self, actor: Any) -> None:
        self.loads[actor] = self.loads.get(actor, 0) + 1

    def release(self, actor: Any) -> None:
        self.loads[actor] = max(0, self.loads.get(actor, 1) - 1)


class RunPools(ActorLoads):
    """This run's own pools, per (stage, zone)."""

    def __init__(self, backend: Backend, runtimes: StageRuntimes, worker_factory: WorkerFactory | None = None) -> None:
        self.backend = backend
        self.runtimes = runtimes
        self.worker_factory = worker_factory or default_worker_factory
        self.pools: dict[tuple[str, str], list[Any]] = {}
        super().__init__()
        self.retiring: dict[Any, tuple[Any, float]] = {}  # shutdown() handle -> (actor, kill it by then)
        self.started = 0

    def actor_for(self, stage: str, zone: str | None) -> Any:
        where = zone or ANY_ZONE
        actors = self.pools.get((stage, where))
        if not actors:
            pool = self.runtimes(stage).pool
            assert pool is not None, f"{stage} has no pool"
            size = pool.size.get(where, pool.size.get(ANY_ZONE, 1))
            actors = [self._start(stage, where, i) for i in range(max(1, size))]
            self.pools[(stage, where)] = actors
        return self.least_busy(actors)

    def stage_done(self, stage: str) -> None:
        for key in [k for k in self.pools if k[0] == stage]:
            for actor in self.pools.pop(key):
                self._retire(actor)

    def actor_lost(self, stage: str, zone: str | None) -> None:
        key = (stage, zone or ANY_ZONE)
        if self.pools.get(key):
            self.pools[key] = [a for a in self.pools[key] if self.backend.actor_alive(a)]

    def zones_lost(self, zones: set[str]) -> None:
        for key in [k for k in self.pools if k[1] in zones]:
            for actor in self.pools.pop(key):
                self.backend.kill(actor)

    def tick(self) -> None:
        self._reap(wait=0.0)

    def close(self) -> None:
        for stage in {stage for stage, _ in self.pools}:
            self.stage_done(stage)
        with contextlib.suppress(Exception):
            self._reap(wait=CLOSE_WAIT_SECONDS)
        for actor, _ in self.retiring.values():
            self.backend.kill(actor)
        self.retiring.clear()

    # ---------------------------------------------------------------- internals

    def _start(self, stage: str, where: str, index: int) -> Any:
        runtime = self.runtimes(stage)
        assert runtime.pool is not None
        self.started += 1
        spec = ActorSpec(
            name=f"{stage}-{runtime.backend}-{where}-{index}-{os.getpid()}-{self.started}",
            worker_class=pooled_worker_class(self.worker_factory(stage, runtime.backend)),
            stage=stage,
            backend=runtime.backend,
            options=runtime.options,
            resources=runtime.resources,
            max_concurrency=runtime.pool.max_concurrency,
            zone=None if where == ANY_ZONE else where,
        )
        return self.backend.start_actor(spec)

    def _retire(self, actor: Any) -> None:
        """Ask the actor to tear its model down (``shutdown()``); it is killed once that returns."""
        self.loads.pop(actor, None)
        try:
            handle = self.backend.call_actor(actor, "shutdown", "shutdown")
        except Exception:  # a worker class without shutdown()
            self.backend.kill(actor)
            return
        self.retiring[handle] = (actor, time.time() + RETIRE_GRACE_SECONDS)

    def _reap(self, wait: float) -> None:
        if not self.retiring:
            return
        handles = list(self.retiring)
        finished = set(self.backend.wait(handles, wait, every=True))
        now = time.time()
        for handle in handles:
            actor, deadline = self.retiring[handle]
            if handle in finished or now >= deadline:
                del self.retiring[handle]
                self.backend.kill(actor)
