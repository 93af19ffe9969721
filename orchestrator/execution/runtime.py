"""What the loop needs to know to run one stage: its class, options, Ray resources and pool, once per stage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.config import PoolSettings, Profile
from orchestrator.dag import stage_resources
from stages.registry import BACKENDS


@dataclass(frozen=True)
class StageRuntime:
    stage: str
    backend: str
    target: str  # the registry's "module:Class"
    options: dict[str, Any]
    resources: dict[str, Any]  # Ray's num_cpus / num_gpus / memory for one task or actor
    gpus: float
    pool: PoolSettings | None  # None: plain tasks; set: warm actors

    @property
    def batch_size(self) -> int:
        return self.pool.batch_size if self.pool is not None else 1


class StageRuntimes:
    """The profile's stages as ``StageRuntime``s, built on first use."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._cache: dict[str, StageRuntime] = {}

    def __call__(self, stage: str) -> StageRuntime:
        if stage not in self._cache:
            self._cache[stage] = self._build(stage)
        return self._cache[stage]

    def _build(self, stage: str) -> StageRuntime:
        settings = self.profile.stage(stage)
        res = stage_resources(self.profile, stage)
        resources: dict[str, Any] = {"num_cpus": res.num_cpus}
        if res.num_gpus:
            resources["num_gpus"] = res.num_gpus
        if res.memory_mb:
            resources["memory"] = res.memory_mb * 1024 * 1024
        return StageRuntime(
            stage=stage,
            backend=settings.backend,
            target=BACKENDS[(stage, settings.backend)],
            options=dict(settings.options),
            resources=resources,
            gpus=res.num_gpus,
            pool=settings.pool,
        )
