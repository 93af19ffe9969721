"""Seam: may a ready node be dispatched now, and where? Asked by the loop before every dispatch.

A run on its own admits everything where it was placed (``AdmitAll``). The cluster service will
plug in here: it grants slots by fair share across studios and may name a zone, and a node it does
not admit yet waits (still ``pending``, or ``running`` for a retry) and is asked about again on the
loop's next turn. Every grant is released exactly once, when the call that carried the node ends
(finished, failed or cancelled), so a retry asks again; the release says which (its ``Outcome``),
so a service re-placing the job after its own restart counts only finished nodes as done. ``tick``
comes once per turn of the loop, whether or not anything waits: a service hears from a run whose
nodes are all running long calls (its heartbeat), and hears of released slots without waiting for the next node to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Outcome = Literal["done", "failed", "cancelled", "preempted"]
"""How the call carrying a node ended: ``done`` (its artifact exists), ``failed`` (it may be retried),
``cancelled`` (stopped before it ended, or never sent: it runs again elsewhere, or not at all),
``preempted`` (stopped between two steps because admission took its slot back: it runs again)."""


@dataclass(frozen=True)
class Request:
    node: str  # node id
    stage: str
    zone: str | None  # where placement put it (None: anywhere)
    gpus: float


@dataclass(frozen=True)
class Grant:
    zone: str | None  # where it runs: the planned zone, or the one the service chose
    lease: str | None = None  # the service's handle on the slot, given back on release


class Admission(Protocol):
    def admit(self, request: Request) -> Grant | None:
        """A grant to dispatch now, or None to be asked again later."""

    def release(self, node: str, grant: Grant, outcome: Outcome) -> None:
        """The call carrying ``node`` ended (``outcome`` says how): its slot is free."""

    def tick(self) -> None:
        """One turn of the loop went by."""

    def to_stop(self) -> list[str]:
        """Nodes whose slot admission took back: their calls are asked to stop between two steps."""


class AdmitAll:
    """Today's behaviour: every ready node goes at once, to its planned zone."""

    def admit(self, request: Request) -> Grant:
        return Grant(request.zone)

    def release(self, node: str, grant: Grant, outcome: Outcome) -> None:
        pass

    def tick(self) -> None:
        pass

    def to_stop(self) -> list[str]:
        return []
