"""A stage backed by one loaded open-weights model (held warm by a ``workers/`` actor)."""

from __future__ import annotations

from typing import Any, ClassVar

from stages.base import Stage

# Where a model runs changes how fast it draws, not what it draws: kept out of artifact keys.
PLACEMENT_OPTIONS = ("device", "cpu_offload", "threads")


class ModelStage(Stage):
    """Builds ``model_class(options)`` once; ``setup`` loads it, ``teardown`` frees it."""

    model_class: ClassVar[type]

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.model: Any = self.model_class(self.options)

    def setup(self) -> None:
        self.model.load()

    def teardown(self) -> None:
        if hasattr(self.model, "unload"):
            self.model.unload()

    def key_settings(self) -> dict[str, Any]:
        return {k: v for k, v in self.options.items() if k not in PLACEMENT_OPTIONS}
