"""Seam: the one call through which a run asks for a placement (at the start, and after a zone is lost).

Swapping the placement policy object (issue 10's ``Placer``) is a change to ``default_placer`` only.
A ``Placer`` here is any callable ``(dag, profile, policy, *, exclude_zones, done) -> Placement``
(``Placement.zone``: node id -> zone or None; ``makespan``: the estimate).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.config import Profile
    from orchestrator.dag import Dag

Placer = Callable[..., Any]


def default_placer() -> Placer:
    from orchestrator.placement import place_dag

    return place_dag


def place(
    dag: Dag,
    profile: Profile,
    policy: str,
    *,
    exclude: Iterable[str] = (),
    done: Iterable[str] = (),
    placer: Placer | None = None,
) -> Any:
    """Where each node of ``dag`` should run, leaving out ``exclude``d zones and ``done`` nodes."""
    return (placer or default_placer())(dag, profile, policy, exclude_zones=frozenset(exclude), done=frozenset(done))
