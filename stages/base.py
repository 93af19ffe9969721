"""The stage contract: what one unit of work computes, as plain as NeMo Curator's ``ProcessingStage``.

A stage class declares its name, version and resources; ``setup()`` runs once per worker (load a
model, find a font); ``run()`` maps input artifacts to files in a fresh output folder and returns
small JSON metadata (durations, sizes). The executor owns everything else: content-addressed keys,
atomic writes, retries, placement. A stage never decides where it runs or whether it is cached.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar


@dataclass(frozen=True)
class Resources:
    """What one task of a stage needs from a Ray node. The profile may override it."""

    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory_mb: int = 0


@dataclass(frozen=True)
class Artifact:
    """A finished output: a folder in the store named by its key, plus its metadata."""

    key: str
    path: Path
    meta: dict[str, Any] = field(default_factory=dict)

    def file(self, name: str | None = None) -> Path:
        """The named file, or the artifact's main file (``meta['file']``) when no name is given."""
        return self.path / (name or self.meta["file"])

    @classmethod
    def load(cls, key: str, path: Path) -> Artifact:
        return cls(key, path, json.loads((path / "meta.json").read_text()))


Inputs = dict[str, "Artifact | list[Artifact]"]


class Stage(ABC):
    """One kind of unit of work with one backend. Subclasses set the class attributes."""

    name: ClassVar[str]  # "keyframe"
    backend: ClassVar[str]  # "card"
    version: ClassVar[str] = "1"  # bump when the output for the same inputs changes
    resources: ClassVar[Resources] = Resources()

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options: dict[str, Any] = dict(options or {})

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Once per worker before any ``run``: load models, warm caches."""

    @abstractmethod
    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        """Compute one unit of work. Write files into ``out`` (an empty temp folder); return metadata.

        The returned dict must be JSON-serialisable and should name the main file as ``"file"``.
        ``params`` and ``inputs`` are everything the output may depend on (they make the key).
        """

    def key_settings(self) -> dict[str, Any]:
        """The settings that change the output, and so enter the artifact key. Default: all options."""
        return self.options

    def teardown(self) -> None:  # noqa: B027 - optional hook
        """Release what ``setup`` took (GPU memory) when a worker stops."""
