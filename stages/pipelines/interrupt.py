"""Stopping a model call between two denoising steps, when the service takes its GPU back.

The cluster service may preempt a grant (``orchestrator.service.fairshare``, rule 5). The driver
then asks the call to stop by writing a marker file next to the store (``marker``); the worker that
runs the call watches the markers of the units it is making (``watching``), and every diffusers
pipeline checks them after each denoising step through ``callback_on_step_end``: it sets the
pipeline's ``_interrupt`` (diffusers ends its loop at the next step) and the call raises
:class:`Preempted` instead of returning half-denoised pictures. Nothing is written to the store, so
the node runs again from the start when it is granted again. Checking is a ``stat`` per step.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

MARKERS = ".interrupt"  # folder under the store root: one empty file per unit asked to stop

_watched: contextvars.ContextVar[tuple[Path, ...]] = contextvars.ContextVar("kaipai_interrupt", default=())


class Preempted(RuntimeError):
    """The call stopped between two steps because its GPU was taken back: run it again later."""

    preempted = True

    def __init__(self, unit: str = "") -> None:
        super().__init__(f"preempted: {unit} stopped between two denoising steps, to run again later")
        self.unit = unit

    def __reduce__(self):  # Ray pickles exceptions across processes
        return (Preempted, (self.unit,))


def marker(store_root: str | Path, key: str) -> Path:
    """The file that asks the call making artifact ``key`` to stop."""
    return Path(store_root) / MARKERS / key


def request_stop(store_root: str | Path, key: str) -> None:
    path = marker(store_root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def clear(store_root: str | Path, key: str) -> None:
    marker(store_root, key).unlink(missing_ok=True)


@contextlib.contextmanager
def watching(paths: Iterable[Path]) -> Iterator[None]:
    """While this runs (in this thread), ``requested`` looks at these markers."""
    token = _watched.set(tuple(paths))
    try:
        yield
    finally:
        _watched.reset(token)


def requested() -> bool:
    return any(path.exists() for path in _watched.get())


def step_callback(pipe: Any, step: int, timestep: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
    """diffusers' ``callback_on_step_end``: ask the loop to end when a watched marker appeared."""
    if requested():
        pipe._interrupt = True
    return callback_kwargs


def call(pipe: Any, unit: str, **kwargs: Any) -> Any:
    """``pipe(**kwargs)`` that stops between steps when asked (if the pipeline takes a step callback)."""
    import inspect

    if _watched.get() and "callback_on_step_end" in inspect.signature(pipe.__call__).parameters:
        kwargs["callback_on_step_end"] = step_callback
    output = pipe(**kwargs)
    if requested():
        raise Preempted(unit)
    return output
