"""The warm worker: one stage backend, set up once, serving many units of work.

``StageWorker`` is a plain class; the executor (``orchestrator.execution.pools``) wraps it with
``ray.remote(num_gpus=..., ...)`` and keeps a pool of such actors per (stage, zone), sized by the
profile. Because the actor lives as long as the run, a GPU loads its model exactly once
(``setup()``) and every shot after that only pays for inference. Each model family has its own
subclass (``worker_class_for``) so families can batch.
"""

from __future__ import annotations

import importlib
import os
import re
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from stages.base import Artifact, Inputs, Stage, StageOptions
from stages.registry import stage_class
from stages.store import lookup, produce


class BatchableStage(Protocol):
    """A stage whose model call can take several units at once (one pipeline call for many prompts).

    ``run`` must equal ``finish(compute([prepare(params, inputs)])[0], params, inputs, out)``.
    """

    def prepare(self, params: dict[str, Any], inputs: Inputs) -> Any: ...

    def compute(self, requests: list[Any]) -> list[Any]: ...

    def finish(self, result: Any, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]: ...

    def unit_of(self, request: Any) -> str: ...


class _Precomputed(Stage):
    """Hands an already computed result to ``produce`` so the store still writes it atomically."""

    def __init__(self, inner: Stage, result: Any) -> None:
        super().__init__(inner.options)
        self.inner = inner
        self.result = result
        self.name = inner.name  # type: ignore[misc]
        self.backend = inner.backend  # type: ignore[misc]
        self.version = inner.version  # type: ignore[misc]

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        return self.inner.finish(self.result, params, inputs, out)  # type: ignore[attr-defined]


class StageWorker:
    """A stage backend held warm: built from the registry, ``setup()`` exactly once, then many tasks."""

    family = "cpu"

    def __init__(self, stage: str, backend: str, options: StageOptions | Mapping[str, Any] | None = None) -> None:
        self.stage_name = stage
        self.backend = backend
        self.stage: Stage = stage_class(stage, backend)(options)
        self.options = self.stage.options
        started = time.perf_counter()
        self.stage.setup()
        self.setup_seconds = time.perf_counter() - started
        self.setups = 1
        self.served = 0
        self.cached = 0
        self.busy_seconds = 0.0

    # ---------------------------------------------------------------- serving

    def execute(self, key: str, params: dict[str, Any], inputs: Inputs, store_root: str | Path) -> Artifact:
        """Make (or find) one artifact through the store, with the already loaded model."""
        started = time.perf_counter()
        try:
            cached = lookup(store_root, self.stage.name, key)
            if cached is not None:
                self.cached += 1
                return cached
            return produce(self.stage, key, params, inputs, store_root)
        finally:
            self.served += 1
            self.busy_seconds += time.perf_counter() - started

    def execute_batch(self, tasks: list[tuple[str, dict[str, Any], Inputs]], store_root: str | Path) -> list[Artifact]:
        """Several units at once: one model call for all that are not cached yet (if the stage batches).

        A batch that runs out of memory is split in halves down to one unit; then the error names it.
        """
        if not all(hasattr(self.stage, name) for name in ("prepare", "compute", "finish")):
            return [self.execute(key, params, inputs, store_root) for key, params, inputs in tasks]
        started = time.perf_counter()
        from stages.pipelines.loading import run_batched

        stage: Any = self.stage
        results: dict[str, Artifact] = {}
        todo: list[tuple[str, dict[str, Any], Inputs]] = []
        for key, params, inputs in tasks:
            found = lookup(store_root, stage.name, key)
            if found is not None:
                results[key] = found
                self.cached += 1
            elif all(key != k for k, _, _ in todo):
                todo.append((key, params, inputs))
        try:
            if todo:
                requests = [stage.prepare(params, inputs) for _, params, inputs in todo]
                computed = run_batched(requests, len(requests), stage.compute, stage.unit_of)
                for (key, params, inputs), result in zip(todo, computed, strict=True):
                    results[key] = produce(_Precomputed(stage, result), key, params, inputs, store_root)
            return [results[key] for key, _, _ in tasks]
        finally:
            self.served += len(tasks)
            self.busy_seconds += time.perf_counter() - started

    # ---------------------------------------------------------------- introspection

    def stats(self) -> dict[str, Any]:
        model = getattr(self.stage, "model", None)
        loads = getattr(model, "loads", self.setups)
        return {
            "stage": self.stage_name,
            "backend": self.backend,
            "family": self.family,
            "model": getattr(model, "model_id", None) or self.options.chosen_model(),
            "device": getattr(model, "device", "cpu"),
            "loads": loads,
            "setup_seconds": round(self.setup_seconds, 3),
            "served": self.served,
            "cached": self.cached,
            "busy_seconds": round(self.busy_seconds, 3),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }

    def ready(self) -> bool:
        """For the executor to wait until the model is loaded (``ray.get(actor.ready.remote())``)."""
        return True

    def shutdown(self) -> None:
        self.stage.teardown()


_ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w+(?:Error|Exception|Missing|Memory)): (.+)$")


def startup_failure(exc: BaseException) -> str | None:
    """If ``exc`` says a pool actor died in its constructor (model missing, bad options), the cause.

    Ray reports a failed actor ``__init__`` as ``ActorDiedError`` on every call, with the original
    traceback only in its text. The executor can use this to report the cause once per pool (e.g.
    ``ModelMissing: model 'x' is not available offline ... hf download x``) and fail that stage's
    remaining shots without retrying: a restart would fail the same way. None for other errors.
    """
    if not getattr(exc, "actor_init_failed", False):
        return None
    for line in reversed(str(exc).splitlines()):
        match = _ERROR_LINE.match(line.strip())
        if match:
            return f"{match.group(1)}: {match.group(2)}"
    return None


def worker_class_for(stage: str, backend: str) -> type[StageWorker]:
    """The worker class for a (stage, backend): its model family's (``Stage.family``), or the generic one."""
    family = stage_class(stage, backend).family
    if family is None:
        return StageWorker
    module, _, name = family.worker.partition(":")
    return getattr(importlib.import_module(module), name)
