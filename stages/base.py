"""The stage contract: what one unit of work computes, as plain as NeMo Curator's ``ProcessingStage``.

A stage class declares its name, version, resources, typed ``Options`` (the profile's
``stages.<stage>.options``), batch size and, for model backends, its model family. ``setup()`` runs
once per worker (load a model, find a font); ``run()`` maps the typed params of
``stages/params.py`` and the input artifacts to files in a fresh output folder and returns small
JSON metadata (durations, sizes). The executor owns everything else: content-addressed keys, atomic
writes, retries, placement. A stage never decides where it runs or whether it is cached.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from stages.strict import StrictModel


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


@dataclass(frozen=True)
class ModelFamily:
    """A kind of open-weights model held warm by one ``workers/`` actor class.

    ``default_model`` is what a backend of this family loads when the profile names no ``model``;
    the placement cost model prices the same one.
    """

    name: str  # "text-to-image"
    worker: str  # "workers.families:TextToImageWorker", imported only when a pool starts
    default_model: str


class StageOptions(StrictModel):
    """A backend's options: the profile's ``stages.<stage>.options``, checked when the profile loads.

    Subclass per backend with typed fields and defaults (``kaipai schema --profile`` shows them).
    Fields named in ``unkeyed`` change where or how fast the output is made, never what it is, so
    they stay out of artifact keys.
    """

    unkeyed: ClassVar[frozenset[str]] = frozenset()

    def key_settings(self) -> dict[str, Any]:
        """What enters the artifact key: the options the profile sets, less the unkeyed ones.

        Only fields the profile wrote (``exclude_unset``): a profile that leaves an option out
        keeps the key it had before the option existed, so adding an option never re-renders a store.
        """
        return self.model_dump(mode="json", exclude_unset=True, exclude=set(self.unkeyed))

    def chosen_model(self) -> str | None:
        """The model these options name, if any (model backends override)."""
        return None


class Stage(ABC):
    """One kind of unit of work with one backend. Subclasses set the class attributes."""

    name: ClassVar[str]  # "keyframe"
    backend: ClassVar[str]  # "card"
    version: ClassVar[str] = "1"  # bump when the output for the same inputs changes
    resources: ClassVar[Resources] = Resources()
    Options: ClassVar[type[StageOptions]] = StageOptions
    batch_size: ClassVar[int] = 1  # units per pool call when the profile's pool sets none
    family: ClassVar[ModelFamily | None] = None  # set by model backends: which warm worker holds the model
    # The store this run writes into, set by ``stages.store.produce`` before ``run`` (None when a stage is
    # run directly): where a stage keeps content-keyed parts of its artifacts (``stages.parts``).
    store_root: Path | None = None

    @classmethod
    def seeded(cls) -> bool:
        """Whether a ``seed`` param changes the output, so a re-roll can fix a bad take (a model's can)."""
        return cls.family is not None

    def __init__(self, options: StageOptions | Mapping[str, Any] | None = None) -> None:
        self.options = (
            options if isinstance(options, self.Options) else self.Options.model_validate(dict(options or {}))
        )

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Once per worker before any ``run``: load models, warm caches."""

    @abstractmethod
    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        """Compute one unit of work. Write files into ``out`` (an empty temp folder); return metadata.

        ``params`` is the dump of the stage's model in ``stages/params.py``; with ``inputs`` it is
        everything the output may depend on (they make the key). The returned dict must be
        JSON-serialisable and should name the main file as ``"file"``.
        """

    def key_settings(self) -> dict[str, Any]:
        """The settings that change the output, and so enter the artifact key."""
        return self.options.key_settings()

    def teardown(self) -> None:  # noqa: B027 - optional hook
        """Release what ``setup`` took (GPU memory) when a worker stops."""
