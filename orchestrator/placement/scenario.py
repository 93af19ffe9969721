"""Simulator scenarios (``configs/scenarios/*.yaml``): a cluster topology and a workload of studio jobs.

Validated with pydantic; every error names the scenario file and line. The workload is generated
from the scenario's seed, so a scenario always describes the same jobs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from orchestrator.placement.topology import Topology
from orchestrator.yamlfile import load_validated
from stages.errors import InputError

MAX_SHOTS = 5_000_000  # a simulation past this would not fit in memory; refuse it up front

Range = tuple[float, float]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StudioSpec(_M):
    name: str = Field(min_length=1)
    priority: Annotated[int, Field(ge=0, le=9)] = 5
    share: float = Field(1.0, gt=0, description="Relative share of the jobs.")
    motion_model: str = Field("Lightricks/LTX-Video", description="Image-to-video model this studio uses.")


class BurstSpec(_M):
    """Extra jobs that all arrive at one moment (a studio dumping a season at once)."""

    at: float = Field(ge=0, description="Seconds after the start.")
    jobs: int = Field(ge=1, le=100_000)


class WorkloadSpec(_M):
    jobs: int = Field(100, ge=1, le=1_000_000)
    total_shots: int | None = Field(None, ge=1, le=MAX_SHOTS, description="Stop generating at this many shots.")
    arrival: Literal["poisson", "batch"] = "poisson"
    rate_per_hour: float = Field(60.0, gt=0, description="Mean job arrivals per hour (poisson).")
    episodes_per_job: tuple[int, int] = (5, 12)
    shots_per_episode: tuple[int, int] = (8, 16)
    shot_seconds: Range = (2.0, 6.0)
    studios: list[StudioSpec] = Field(default_factory=lambda: [StudioSpec(name="studio")], min_length=1)
    storyboard_model: str = "Qwen/Qwen2.5-7B-Instruct"
    image_model: str = "black-forest-labs/FLUX.1-schnell"
    voice_model: str = "facebook/mms-tts-eng"
    burst: BurstSpec | None = Field(None, description="Extra jobs arriving together, on top of the others.")

    @model_validator(mode="after")
    def _ranges(self) -> WorkloadSpec:
        for name in ("episodes_per_job", "shots_per_episode", "shot_seconds"):
            low, high = getattr(self, name)
            if not 0 < low <= high:
                raise ValueError(f"{name} is [low, high] with 0 < low <= high")
        return self


class ScenarioSpec(_M):
    name: str = Field(min_length=1)
    description: str = ""
    seed: int = 0
    profile: str | None = Field(None, description="A profile whose topology to use, relative to this file.")
    topology: Topology | None = None
    workload: WorkloadSpec = Field(default_factory=WorkloadSpec)

    @model_validator(mode="after")
    def _one_topology(self) -> ScenarioSpec:
        if (self.profile is None) == (self.topology is None):
            raise ValueError("give either profile: (a config with a topology) or topology:, not both")
        return self


class Scenario(BaseModel):
    """A loaded scenario: its spec and the topology it runs on."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    spec: ScenarioSpec
    topology: Topology
    path: Path | None = None


def load_scenario(path: str | Path) -> Scenario:
    path = Path(path)
    spec, lines = load_validated(path, ScenarioSpec, "scenario", "name:, topology: or profile:, workload:")
    topology = spec.topology
    if topology is None:
        from orchestrator.config import load_profile

        profile_path = (path.parent / str(spec.profile)).resolve()
        profile = load_profile(profile_path)
        if profile.topology is None:
            raise InputError(
                f"profile {spec.profile!r} has no topology", file=path, line=lines.get(("profile",)), field="profile"
            )
        topology = profile.topology
    if not any(z.gpus for z in topology.zones):
        raise InputError("the topology has no GPUs", file=path, line=lines.get(("topology",)), field="topology")
    return Scenario(name=spec.name, spec=spec, topology=topology, path=path)
