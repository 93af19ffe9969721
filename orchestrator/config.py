"""Profiles (``configs/*.yaml``): which backend each stage uses, its typed options, pools, and the topology.

Each stage's ``options`` are checked against its backend's ``Options`` model (``stages.registry``) as
the profile loads, so a misspelt or mistyped option is ``FILE:LINE: stages.motion.options.clip_secnds:
unknown key`` and exit 2, exactly like a job spec, instead of a default silently used.
"""

from __future__ import annotations

import functools
import operator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SerializeAsAny, ValidationError, create_model, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from orchestrator.clustersettings import ClusterSettings
from orchestrator.placement.topology import Topology
from orchestrator.yamlfile import load_validated
from stages.base import Resources, StageOptions
from stages.errors import InputError
from stages.registry import backends_of, options_class, stage_class, stage_names
from stages.spectypes import PlainText, bounded_float, bounded_int
from stages.strict import StrictModel

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = REPO_ROOT / "configs" / "local.yaml"


Cpus = bounded_float(0, 1024)
Gpus = bounded_float(0, 64)
MemoryMb = bounded_int(0, 4_194_304)  # 4 TiB
PoolSize = bounded_int(0, 1024)
Batch = bounded_int(1, 256)
RayCpus = bounded_int(1, 4096)
ObjectStoreBytes = bounded_int(78_643_200, 2**40)  # Ray's own minimum is 75 MiB
Retries = bounded_int(0, 10)
GateRerolls = bounded_int(0, 5)


class ResourceSettings(StrictModel):
    num_cpus: Cpus | None = None
    num_gpus: Gpus | None = None
    memory_mb: MemoryMb | None = None


class PoolSettings(StrictModel):
    """A pool of warm worker actors for a stage: per zone how many (``"*"`` = any zone)."""

    size: dict[str, PoolSize] = Field(default_factory=lambda: {"*": 1}, max_length=64)
    batch_size: Batch = Field(1, description="Units per model call; default: the backend's.")
    max_concurrency: Batch = 1


class StageSettings(StrictModel):
    backend: str
    # The backend's own Options model, filled in by the Profile that holds these settings (the stage
    # name picks the model); the JSON Schema lists each backend's fields.
    options: SerializeAsAny[StageOptions] = Field(default_factory=StageOptions)
    resources: ResourceSettings = Field(default_factory=ResourceSettings)
    pool: PoolSettings | None = None  # None: plain Ray tasks; set: warm actors from workers/


class RaySettings(StrictModel):
    num_cpus: RayCpus | None = None
    object_store_memory: ObjectStoreBytes | None = 200_000_000
    include_dashboard: bool = Field(False, strict=True)


class Profile(StrictModel):
    name: PlainText = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    stages: dict[str, StageSettings]
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    retries: Retries = 2
    gate_rerolls: GateRerolls = 1  # times a failed picture gate re-makes its model-generated shots (rerolls.py)
    ray: RaySettings = Field(default_factory=RaySettings)
    topology: Topology | None = None
    store: str | None = None  # artifact store folder; default <out>/.store
    cluster: ClusterSettings | None = None  # the kaipai service's settings (`kaipai cluster up`)

    @model_validator(mode="before")
    @classmethod
    def _typed_options(cls, data: Any) -> Any:
        """Each stage's options as its backend's typed model; every problem located at its field."""
        if not isinstance(data, dict) or not isinstance(data.get("stages"), dict):
            return data  # the field validation reports what is wrong
        stages: dict[str, Any] = {}
        problems: list[InitErrorDetails] = []
        for name, settings in data["stages"].items():
            stages[name] = _typed_stage(str(name), settings, problems)
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return {**data, "stages": stages}

    @model_validator(mode="after")
    def _backend_batch_sizes(self) -> Profile:
        """A pool that sets no ``batch_size`` takes the backend's declared one."""
        for name, settings in self.stages.items():
            pool = settings.pool
            if pool is not None and "batch_size" not in pool.model_fields_set:
                pool.batch_size = stage_class(name, settings.backend).batch_size
        return self

    def stage(self, name: str) -> StageSettings:
        try:
            return self.stages[name]
        except KeyError:
            raise InputError(
                f"profile {self.name!r} has no settings for stage {name!r}", field=f"stages.{name}"
            ) from None

    def stage_resources(self, name: str) -> Resources:
        """A stage's per-task resources: its backend's declared ones, overridden field by field here."""
        settings = self.stage(name)
        base = stage_class(name, settings.backend).resources
        over = settings.resources
        return Resources(
            num_cpus=base.num_cpus if over.num_cpus is None else over.num_cpus,
            num_gpus=base.num_gpus if over.num_gpus is None else over.num_gpus,
            memory_mb=base.memory_mb if over.memory_mb is None else over.memory_mb,
        )


def _typed_stage(name: str, settings: Any, problems: list[InitErrorDetails]) -> Any:
    """``settings`` with its options validated by the backend's model; problems are appended."""
    if isinstance(settings, StageSettings):
        settings = settings.model_dump(exclude_unset=True) | {"options": settings.options}
    if not isinstance(settings, dict) or not isinstance(settings.get("backend"), str):
        return settings  # StageSettings' own validation says what is missing
    try:
        model = options_class(name, settings["backend"])
    except (KeyError, ImportError) as exc:
        message = str(exc.args[0]) if isinstance(exc, KeyError) else f"backend cannot be loaded: {exc}"
        loc = ("stages", name, "backend") if backends_of(name) else ("stages", name)  # an unknown stage: its name
        problems.append(_problem(loc, settings["backend"], message))
        return settings
    raw = settings.get("options") or {}
    if isinstance(raw, StageOptions):
        raw = raw.model_dump(exclude_unset=True)
    try:
        return {**settings, "options": model.model_validate(raw)}
    except ValidationError as exc:
        for error in exc.errors():
            loc = ("stages", name, "options", *error["loc"])
            problems.append(
                InitErrorDetails(type=error["type"], loc=loc, input=error["input"], ctx=error.get("ctx", {}))
            )
        return settings


def _problem(loc: tuple[str, ...], value: Any, message: str) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError("unknown_backend", message), loc=loc, input=value)


def profile_schema() -> dict[str, Any]:
    """The JSON Schema of a profile (``kaipai schema --profile``): per stage, one choice per backend,
    each with its typed options and their defaults."""
    stages: dict[str, Any] = {}
    for stage in stage_names():
        variants = [_backend_settings_model(stage, backend) for backend in backends_of(stage)]
        choice: Any = functools.reduce(operator.or_, variants)
        if len(variants) > 1:
            choice = Annotated[choice, Field(discriminator="backend")]
        stages[stage] = (choice | None, None)
    schema_stages = create_model("Stages", __base__=StrictModel, **stages)
    schema_profile = create_model("Profile", __base__=Profile, stages=(schema_stages, ...))
    return schema_profile.model_json_schema()


def _backend_settings_model(stage: str, backend: str) -> type[StageSettings]:
    options = options_class(stage, backend)
    return create_model(
        f"{stage.title()}{backend.title()}Settings",
        __base__=StageSettings,
        backend=(Literal[backend], ...),  # type: ignore[valid-type]
        options=(options, Field(default_factory=options)),
    )


def load_profile(path: str | Path | None = None) -> Profile:
    path = Path(path) if path else DEFAULT_PROFILE
    if not path.exists() and not path.is_absolute() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path
    return load_validated(path, Profile, "config", "name:, stages:")[0]
