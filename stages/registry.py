"""Which class implements each (stage, backend). Imported lazily so CPU backends never import torch."""

from __future__ import annotations

import importlib

from stages.base import Stage

# (stage, backend) -> "module:Class". Each issue's backends add their rows here.
BACKENDS: dict[tuple[str, str], str] = {}

STAGE_NAMES = ("storyboard", "character", "keyframe", "motion", "voice", "subtitles", "mux", "assembly")


def register(stage: str, backend: str, target: str) -> None:
    BACKENDS[(stage, backend)] = target


def backends_of(stage: str) -> list[str]:
    return sorted(b for (s, b) in BACKENDS if s == stage)


def stage_class(stage: str, backend: str) -> type[Stage]:
    try:
        target = BACKENDS[(stage, backend)]
    except KeyError:
        known = ", ".join(backends_of(stage)) or "none"
        raise KeyError(f"no backend {backend!r} for stage {stage!r} (known: {known})") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
