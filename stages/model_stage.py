"""A stage backed by one loaded open-weights model (held warm by a ``workers/`` actor)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import Field

from stages.base import Stage, StageOptions

Dtype = Literal["float32", "float16", "bfloat16"]


class ModelOptions(StageOptions):
    """What every model backend reads: which weights, and where and how they run."""

    # Where a model runs changes how fast it draws, not what it draws: kept out of artifact keys.
    unkeyed: ClassVar[frozenset[str]] = frozenset({"device", "cpu_offload", "threads"})

    model: str = Field(
        "",
        description="A Hugging Face id, a local folder, or tiny:<name>; empty: the backend family's default model.",
    )
    device: str = Field("auto", pattern=r"^(auto|cpu|cuda(:\d+)?)$", description="auto, cpu, cuda or cuda:N.")
    dtype: Dtype = Field("float32", description="Weights' precision on a GPU (a CPU always uses float32).")
    cpu_offload: bool = Field(False, description="Keep idle submodules in CPU memory (a GPU too small).")
    threads: int | None = Field(None, ge=1, le=256, description="torch CPU threads in this worker.")

    def chosen_model(self) -> str | None:
        return self.model or None


class ModelStage(Stage):
    """Builds ``model_class(options)`` once; ``setup`` loads it, ``teardown`` frees it."""

    model_class: ClassVar[type]
    Options: ClassVar[type[StageOptions]] = ModelOptions
    options: ModelOptions

    def __init__(self, options: StageOptions | Mapping[str, Any] | None = None) -> None:
        super().__init__(options)
        self.model: Any = self.model_class(self.options)

    def setup(self) -> None:
        self.model.load()

    def teardown(self) -> None:
        if hasattr(self.model, "unload"):
            self.model.unload()
