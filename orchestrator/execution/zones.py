"""Zones in a run: the first placement, and placing the open work again when a zone loses its nodes.

Pure decisions on the run state; the dispatch loop cancels and resubmits what they move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestrator.config import Profile
from orchestrator.execution.state import RunState
from orchestrator.execution.status import TaskStatus

# (exclude zones, done nodes) -> Placement; see orchestrator.execution.placing
PlaceFn = Callable[[set[str], set[str]], Any]


@dataclass
class InitialPlacement:
    placement: Any | None  # None: no zone placement in this run
    warnings: list[str]


def place_initially(state: RunState, profile: Profile, alive: set[str], place: PlaceFn) -> InitialPlacement:
    """Place the work that is not cached over the profile's zones that have an alive node.

    No placement (and a warning) when the cluster carries none of the profile's zones: the run then
    goes anywhere, as on a laptop.
    """
    topology = profile.topology
    cached = state.finished()
    if topology is None or len(cached) == len(state.records):
        return InitialPlacement(None, [])
    known = set(topology.zone_names())
    if not alive & known:
        return InitialPlacement(
            None,
            [
                f"profile {profile.name!r} has zones {sorted(known)} but no Ray node carries one "
                "(start nodes with `ray start --labels zone=...`); running without zone placement"
            ],
        )
    state.excluded = known - alive
    warnings = []
    if state.excluded:
        warnings.append(f"zones without an alive node, not used: {', '.join(sorted(state.excluded))}")
    placement = place(state.excluded, cached)
    state.zoned = True
    for nid in state.records:
        state.move(nid, placement.zone.get(nid))
    return InitialPlacement(placement, warnings)


def lost_zones(state: RunState, alive: set[str]) -> set[str]:
    """Zones that open work is placed in and that have no alive node any more (newly lost)."""
    planned = {state.planned_zone[nid] for nid in state.open_nodes()} - {None}
    return planned - alive - state.excluded  # type: ignore[operator]


@dataclass
class Replan:
    placement: Any
    moved: dict[str, str | None]  # node that was in a lost zone -> its new zone


def replan(state: RunState, lost: set[str], place: PlaceFn) -> Replan:
    """Exclude ``lost`` and place the open work again; raises what ``place`` raises if nothing is left.

    Pending nodes take their new zone; running ones move only if they were in a lost zone (what runs
    elsewhere keeps running where it is).
    """
    state.excluded |= lost
    placement = place(state.excluded, state.finished())
    moved: dict[str, str | None] = {}
    for nid in list(state.open_nodes()):
        old, new = state.planned_zone[nid], placement.zone.get(nid)
        if state.status(nid) == TaskStatus.PENDING or old in lost:
            state.move(nid, new)
        if old in lost:
            moved[nid] = new
    return Replan(placement, moved)


def stranded(state: RunState, lost: set[str]) -> list[str]:
    """Open nodes placed in a lost zone (what fails when no placement is left)."""
    return [nid for nid in state.open_nodes() if state.planned_zone[nid] in lost]
