"""Names the service is found by, and the fair-share policy its settings describe."""

from __future__ import annotations

from orchestrator.clustersettings import ClusterSettings, FairShareSettings, PoolLimits
from orchestrator.service.fairshare import Policy

NAMESPACE = "kaipai"
SERVICE_NAME = "kaipai-service"

__all__ = ["NAMESPACE", "SERVICE_NAME", "ClusterSettings", "PoolLimits", "policy_of"]


def policy_of(settings: FairShareSettings) -> Policy:
    return Policy(
        weights=dict(settings.studios),
        default_weight=settings.default_weight,
        jump_per_priority=settings.jump_per_priority,
        base_priority=settings.base_priority,
        max_jump=settings.max_jump,
        aging_seconds=settings.aging_seconds,
        horizon_seconds=settings.horizon_seconds,
        preempt=settings.preempt,
        preempt_after_seconds=settings.preempt_after_seconds,
        preempt_within_seconds=settings.preempt_within_seconds,
    )
