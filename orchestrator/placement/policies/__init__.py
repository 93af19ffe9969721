"""Placement policies: one module each, all behind the ``Placer`` interface (``base.py``)."""

from __future__ import annotations

from orchestrator.placement.policies.base import Placer
from orchestrator.placement.policies.heft import HeftPlacer
from orchestrator.placement.policies.heft_online import HeftOnlinePlacer
from orchestrator.placement.policies.kaipai import KaipaiPlacer
from orchestrator.placement.policies.locality import LocalityPlacer
from orchestrator.placement.policies.ray_default import RayDefaultPlacer
from orchestrator.placement.policies.single_zone import SingleZonePlacer
from orchestrator.placement.policies.zone_blind import ZoneBlindPlacer

PLACERS: dict[str, type[Placer]] = {
    p.name: p
    for p in (
        KaipaiPlacer,
        HeftPlacer,
        HeftOnlinePlacer,
        RayDefaultPlacer,
        ZoneBlindPlacer,
        SingleZonePlacer,
        LocalityPlacer,
    )
}
POLICIES = tuple(PLACERS)


def make_placer(name: str, seed: int = 0) -> Placer:
    """A fresh placer (placers keep per-run state: homes, learned speeds)."""
    try:
        return PLACERS[name](seed)
    except KeyError:
        raise ValueError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)}") from None


__all__ = ["PLACERS", "POLICIES", "Placer", "make_placer"]
