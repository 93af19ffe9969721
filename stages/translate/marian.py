"""The ``transformers`` translate backend: one spoken line into one target language, with an MT model.

A node per (line, language), so editing one line re-runs only its translations (and voices). Names
come from the job's glossary, so they read the same in every line; the translation is then fitted
to subtitle lines. The model per target language is ``models[target]`` in the options, else the
published opus-mt checkpoint for the pair; ``tiny:marian`` builds a tiny random Marian for tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import Inputs, ModelFamily, Resources, Stage
from stages.errors import InputError
from stages.model_stage import ModelOptions
from stages.params import TranslateParams
from stages.pipelines.translate import TranslationModel
from stages.translate.fit import fit_subtitle
from stages.translate.glossary import apply_glossary
from stages.translate.languages import opus_model


class TranslateOptions(ModelOptions):
    """The translate backend's settings (the profile's ``stages.translate.options``)."""

    models: dict[str, str] = Field(default_factory=dict, description="Model per target language code.")
    max_chars: int = Field(42, ge=10, le=120, description="Characters per subtitle line.")
    subtitle_lines: int = Field(2, ge=1, le=4, description="Subtitle lines a translation may fill.")
    num_beams: int = Field(1, ge=1, le=8)
    max_new_tokens: int = Field(128, ge=8, le=1024)

    def model_for(self, source: str, target: str) -> str | None:
        """``models[target]``, else ``model`` (one for every pair, e.g. NLLB), else the pair's opus-mt."""
        return self.models.get(target) or self.model or opus_model(source, target)


TRANSLATION = ModelFamily("translation", "workers.families:TranslationWorker", TranslationModel.default_model)


class MarianTranslate(Stage):
    name: ClassVar[str] = "translate"
    backend: ClassVar[str] = "transformers"
    version: ClassVar[str] = "1"
    resources: ClassVar[Resources] = Resources(num_cpus=1, num_gpus=0.25)
    family = TRANSLATION
    Options = TranslateOptions
    options: TranslateOptions

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.translators: dict[str, TranslationModel] = {}  # model id -> loaded TranslationModel

    def translator(self, source: str, target: str) -> Any:
        model = self.options.model_for(source, target)
        if model is None:
            raise InputError(
                f"no translation model for {source} -> {target}: give one as "
                f"stages.translate.options.models.{target} (an opus-mt or NLLB checkpoint)",
                field="languages",
            )
        if model not in self.translators:
            self.translators[model] = TranslationModel(self.options.model_copy(update={"model": model}))
        return self.translators[model]

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        line = TranslateParams.model_validate(params)
        translator = self.translator(line.source, line.target)
        (text,) = translator.translate([apply_glossary(line.text, line.glossary)])
        fitted = fit_subtitle(text, self.options.max_chars, self.options.subtitle_lines)
        record = {"id": line.id, "target": line.target, "text": text, "subtitle": fitted.text, "source": line.text}
        temp = out / ".translation.json.part"
        temp.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
        temp.replace(out / "translation.json")
        model = translator.model_id
        return {"file": "translation.json", "target": line.target, "model": model, "overlong": fitted.overlong}

    def teardown(self) -> None:
        for translator in self.translators.values():
            translator.unload()
        self.translators.clear()
