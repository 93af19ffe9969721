"""Stopping a model call between two denoising steps, when the service takes its GPU back.

The cluster service may preempt a grant (``orchestrator.service.fairshare``, rule 5). The driver
then asks the call to stop by writing a marker file next to the store (``marker``), named by a token
the driver gave that one call (``new_token``); the worker that runs the call watches its marker
(``watching``), and every diffusers pipeline checks it after each denoising step through
``callback_on_step_end``: it sets the pipeline's ``_interrupt`` (diffusers ends its loop at the
next step) and the call raises :class:`Preempted` instead of returning half-denoised pictures.
Nothing is written to the store, so the node runs again from the start when it is granted again.
Checking is a ``stat`` per step.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MARKERS = ".interrupt"  # folder under the store root: one empty file per call asked to stop
_TOKEN = re.compile(r"[0-9a-f]{32}")

_watched: contextvars.ContextVar[Path | None] = contextvars.ContextVar("kaipai_interrupt", default=None)


class Preempted(RuntimeError):
    """The call stopped between two steps because its GPU was taken back: run it again later."""

    preempted = True

    def __init__(self, unit: str = "") -> None:
        super().__init__(f"preempted: {unit} stopped between two denoising steps, to run again later")
        self.unit = unit

    def __reduce__(self):  # Ray pickles exceptions across processes
        return (Preempted, (self.unit,))


def new_token() -> str:
    """A name for one call's marker. Never reused, so a marker left behind by a driver that died
    cannot stop a later call, and two jobs making the same artifact cannot stop each other's call."""
    return uuid.uuid4().hex


def marker(store_root: str | Path, token: str) -> Path:
    """The file that asks the call holding ``token`` to stop."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"not a stop token: {token!r}")
    return Path(store_root) / MARKERS / token


def request_stop(store_root: str | Path, token: str) -> None:
    path = marker(store_root, token)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()


def clear(store_root: str | Path, token: str) -> None:
    marker(store_root, token).unlink(missing_ok=True)


@contextlib.contextmanager
def watching(store_root: str | Path, token: str) -> Iterator[None]:
    """While this runs (in this thread), ``requested`` looks at the call's marker; the worker removes
    the marker when the call ends, however it ends (the driver also does, in case the worker died).
    No token (a run without a cluster service): nothing is watched."""
    if not token:
        yield
        return
    path = marker(store_root, token)
    reset = _watched.set(path)
    try:
        yield
    finally:
        _watched.reset(reset)
        path.unlink(missing_ok=True)


def requested() -> bool:
    path = _watched.get()
    return path is not None and path.exists()


def step_callback(pipe: Any, step: int, timestep: Any, callback_kwargs: dict[str, Any]) -> dict[str, Any]:
    """diffusers' ``callback_on_step_end``: ask the loop to end when a watched marker appeared."""
    if requested():
        pipe._interrupt = True
    return callback_kwargs


def call(pipe: Any, unit: str, **kwargs: Any) -> Any:
    """``pipe(**kwargs)`` that stops between steps when asked (if the pipeline takes a step callback)."""
    import inspect

    if _watched.get() is not None and "callback_on_step_end" in inspect.signature(pipe.__call__).parameters:
        kwargs["callback_on_step_end"] = step_callback
    output = pipe(**kwargs)
    if requested():
        raise Preempted(unit)
    return output
