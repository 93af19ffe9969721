"""Profiles (``configs/*.yaml``): which backend each stage uses, pools, models, and the cluster topology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.clustersettings import ClusterSettings
from orchestrator.placement.topology import Topology
from orchestrator.yamlfile import load_validated
from stages.errors import InputError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = REPO_ROOT / "configs" / "local.yaml"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceSettings(_M):
    num_cpus: float | None = None
    num_gpus: float | None = None
    memory_mb: int | None = None


class PoolSettings(_M):
    """A pool of warm worker actors for a stage: per zone how many (``"*"`` = any zone)."""

    size: dict[str, int] = Field(default_factory=lambda: {"*": 1})
    batch_size: int = Field(1, ge=1)
    max_concurrency: int = Field(1, ge=1)


class StageSettings(_M):
    backend: str
    options: dict[str, Any] = Field(default_factory=dict)
    resources: ResourceSettings = Field(default_factory=ResourceSettings)
    pool: PoolSettings | None = None  # None: plain Ray tasks; set: warm actors from workers/


class RaySettings(_M):
    num_cpus: int | None = None
    object_store_memory: int | None = 200_000_000
    include_dashboard: bool = False


class Profile(_M):
    name: str
    description: str = ""
    stages: dict[str, StageSettings]
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    retries: int = Field(2, ge=0, le=10)
    ray: RaySettings = Field(default_factory=RaySettings)
    topology: Topology | None = None
    store: str | None = None  # artifact store folder; default <out>/.store
    cluster: ClusterSettings | None = None  # the kaipai service's settings (`kaipai cluster up`)

    def stage(self, name: str) -> StageSettings:
        try:
            return self.stages[name]
        except KeyError:
            raise InputError(
                f"profile {self.name!r} has no settings for stage {name!r}", field=f"stages.{name}"
            ) from None


def load_profile(path: str | Path | None = None) -> Profile:
    path = Path(path) if path else DEFAULT_PROFILE
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path
    return load_validated(path, Profile, "config", "name:, stages:")[0]
