"""The offline profile's translate backend (``none``): no model, so it says what it cannot make and why.

The local profile runs on a laptop without weights. It can deliver the script's own language, and any
language whose lines the studio translated itself (the spec's ``translations:`` CSV, every line
given); any other language needs a machine-translation model, so each one is named with the reason
and the fix, at ``validate`` time and again if a run reaches a translate node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from stages.base import Inputs, Stage
from stages.errors import InputError
from stages.params import TranslateParams
from stages.translate.record import given_translation


def cannot_make(source: str, targets: list[str], backend: str | None) -> dict[str, str]:
    """Each target language this translate backend cannot make, with why and how to get it."""
    if backend not in (None, "none"):
        return {}
    why = (
        "this profile has no machine-translation model (stages.translate backend "
        f"{backend or 'not set'}); use configs/tiny.yaml to try the model path, or a profile with "
        "stages.translate.backend: transformers and an opus-mt/NLLB model fetched with `hf download`, "
        "or give every line's translation in the spec (translations: {code: file.csv})"
    )
    return {target: f"{source} -> {target}: {why}" for target in targets if target != source}


class NoTranslate(Stage):
    name: ClassVar[str] = "translate"
    backend: ClassVar[str] = "none"

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        line = TranslateParams.model_validate(params)
        if line.given is not None:  # the studio's own translation (spec ``translations:``): made offline
            return given_translation(out, line)
        problems = cannot_make(params["source"], [params["target"]], "none")
        if problems:
            raise InputError(problems[params["target"]], field="languages")
        raise InputError("a translation into the script's own language is never planned", field="languages")
