"""What runs inside a Ray worker for one node: build the stage, make its artifact, say where and how long.

The driver (``orchestrator.execution``) never runs this code itself; it hands it to Ray, either as a
plain task (:func:`run_stage_task`) or as the methods of a warm pool actor
(:func:`pooled_worker_class`). Both return the same result record, so the driver settles a node the
same way whichever way it ran. Errors come back as :class:`StageFailed`, which always pickles and
says whether a retry could help (see :func:`stage_errors`).
"""

from __future__ import annotations

import contextlib
import importlib
import resource
import time
from collections.abc import Iterator
from typing import Any

from stages.base import Artifact
from stages.errors import InputError, StageFailed, is_permanent_os_error
from stages.pipelines import interrupt
from stages.store import produce

# Errors a retry cannot fix: bad input, output that failed validation, a stage asking for data it
# was not given. Everything else (I/O, a flaky model server, out of memory) is worth another try.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (InputError, KeyError, TypeError)


def cpu_clock() -> float:
    """CPU seconds of this process plus its finished children (ffmpeg, espeak-ng run as subprocesses)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def node_id() -> str:
    """The Ray node this runs on (``"local"`` outside Ray, e.g. an in-process test backend)."""
    try:
        import ray

        if ray.is_initialized():
            return ray.get_runtime_context().get_node_id()
    except ImportError:
        pass
    return "local"


def describe_error(exc: BaseException) -> str:
    """``ValueError: message`` from the stage's own exception, not Ray's wrapper and its traceback."""
    cause = getattr(exc, "cause", None) or exc
    if isinstance(cause, StageFailed):
        return str(cause)
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"[:500]


def is_permanent(exc: BaseException) -> bool:
    """True for an error no retry can fix: ``PERMANENT_ERRORS``, pydantic's ValidationError, a full or
    read-only disk or a refused permission, and errors that say so themselves (``retryable = False``:
    a media input that does not decode, a missing program)."""
    from pydantic import ValidationError

    if getattr(exc, "retryable", True) is False:
        return True
    return isinstance(exc, (*PERMANENT_ERRORS, ValidationError)) or is_permanent_os_error(exc)


@contextlib.contextmanager
def stage_errors() -> Iterator[None]:
    """Carry a stage's error back as a StageFailed that says whether a retry could help."""
    try:
        yield
    except StageFailed:
        raise
    except Exception as exc:
        preempted = getattr(exc, "preempted", False) is True
        raise StageFailed(describe_error(exc), retryable=not is_permanent(exc), preempted=preempted) from exc


def task_result(artifact: Artifact, started: float, cpu_started: float) -> dict[str, Any]:
    """The record the driver settles a node with: the artifact, where it ran, wall and CPU time."""
    return {
        "artifact": artifact,
        "node": node_id(),
        "start": started,
        "finish": time.time(),
        "cpu_seconds": cpu_clock() - cpu_started,
    }


def run_stage_task(
    target: str,
    options: dict[str, Any],
    key: str,
    params: dict[str, Any],
    inputs: dict[str, Any],
    store_root: str,
    stop_token: str = "",
) -> dict[str, Any]:
    """One node as a plain Ray task. ``target`` is the registry's ``module:Class`` resolved by the driver;
    ``stop_token`` names the marker by which the driver may ask this call to stop (``interrupt``)."""
    started, cpu_started = time.time(), cpu_clock()
    module_name, _, class_name = target.partition(":")
    with stage_errors():
        stage = getattr(importlib.import_module(module_name), class_name)(options)
        stage.setup()
        try:
            with interrupt.watching(store_root, stop_token):
                artifact = produce(stage, key, params, inputs, store_root)
        finally:
            stage.teardown()
    return task_result(artifact, started, cpu_started)


def pooled_worker_class(base: type) -> type:
    """A subclass of a pool worker that also reports where and how long it ran (same result as a task)."""

    class Pooled(base):  # type: ignore[valid-type, misc]
        def run_node(
            self, key: str, params: dict[str, Any], inputs: dict[str, Any], store_root: str, stop_token: str = ""
        ) -> dict[str, Any]:
            started, cpu_started = time.time(), cpu_clock()
            with stage_errors(), interrupt.watching(store_root, stop_token):
                artifact = self.execute(key, params, inputs, store_root)
            return task_result(artifact, started, cpu_started)

        def run_batch(
            self, tasks: list[tuple[str, dict[str, Any], dict[str, Any]]], store_root: str, stop_token: str = ""
        ) -> list[dict[str, Any]]:
            """Several nodes in one ``execute_batch`` call; one outcome per node, in order.

            A unit that fails makes the whole batch call raise, so the units are then made one at a
            time (finished ones are cached by then): each node gets its own artifact or its own error.
            """
            started, cpu_started = time.time(), cpu_clock()
            outcomes: list[dict[str, Any]] = []
            try:
                with stage_errors(), interrupt.watching(store_root, stop_token):
                    outcomes = [{"artifact": a} for a in self.execute_batch(tasks, store_root)]
            except StageFailed as exc:
                # Its GPU was taken back: every unit runs again later, none of them one by one now.
                singles = [] if exc.preempted else tasks
                outcomes = [{"error": exc} for _ in tasks] if exc.preempted else []
                for key, params, inputs in singles:
                    try:
                        with stage_errors(), interrupt.watching(store_root, stop_token):
                            outcomes.append({"artifact": self.execute(key, params, inputs, store_root)})
                    except StageFailed as exc:
                        outcomes.append({"error": exc})
            node, finished = node_id(), time.time()
            cpu_share = (cpu_clock() - cpu_started) / max(1, len(tasks))
            for outcome in outcomes:
                outcome.update(node=node, start=started, finish=finished, cpu_seconds=cpu_share, batch=len(tasks))
            return outcomes

    Pooled.__name__ = Pooled.__qualname__ = f"Pooled{base.__name__}"
    return Pooled
