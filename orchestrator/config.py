"""Profiles (``configs/*.yaml``): which backend each stage uses, pools, models, and the cluster topology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.placement.topology import Topology
from orchestrator.yamlfile import load_validated
from stages.errors import InputError
from stages.spectypes import PlainText, bounded_float, bounded_int

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = REPO_ROOT / "configs" / "local.yaml"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


Cpus = bounded_float(0, 1024)
Gpus = bounded_float(0, 64)
MemoryMb = bounded_int(0, 4_194_304)  # 4 TiB
PoolSize = bounded_int(0, 1024)
Batch = bounded_int(1, 256)
RayCpus = bounded_int(1, 4096)
ObjectStoreBytes = bounded_int(78_643_200, 2**40)  # Ray's own minimum is 75 MiB
Retries = bounded_int(0, 10)


class ResourceSettings(_M):
    num_cpus: Cpus | None = None
    num_gpus: Gpus | None = None
    memory_mb: MemoryMb | None = None


class PoolSettings(_M):
    """A pool of warm worker actors for a stage: per zone how many (``"*"`` = any zone)."""

    size: dict[str, PoolSize] = Field(default_factory=lambda: {"*": 1}, max_length=64)
    batch_size: Batch = 1
    max_concurrency: Batch = 1


class StageSettings(_M):
    backend: str
    options: dict[str, Any] = Field(default_factory=dict)
    resources: ResourceSettings = Field(default_factory=ResourceSettings)
    pool: PoolSettings | None = None  # None: plain Ray tasks; set: warm actors from workers/


class RaySettings(_M):
    num_cpus: RayCpus | None = None
    object_store_memory: ObjectStoreBytes | None = 200_000_000
    include_dashboard: bool = Field(False, strict=True)


class Profile(_M):
    name: PlainText = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    stages: dict[str, StageSettings]
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    retries: Retries = 2
    ray: RaySettings = Field(default_factory=RaySettings)
    topology: Topology | None = None
    store: str | None = None  # artifact store folder; default <out>/.store

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
