"""The ``transformers`` translate backend: one spoken line into one target language, with an MT model.

A node per (line, language): editing one line re-runs its translations and those of the lines that
read it as context (the next ``context_lines`` of its scene). Names come from the job's glossary,
so they read the same in every line; the line is translated with its scene's previous lines as a
window cut back to the line (``stages.translate.context``); the translation is then fitted to
subtitle lines. The model per target language is ``models[target]`` in the options, else the
published opus-mt checkpoint for the pair; ``tiny:marian`` builds a tiny random Marian for tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import Inputs, ModelFamily, Resources, Stage
from stages.errors import InputError
from stages.model_stage import ModelOptions
from stages.params import TranslateParams
from stages.pipelines.translate import TranslationModel
from stages.translate.context import translate_in_context
from stages.translate.fit import fit_subtitle
from stages.translate.glossary import apply_glossary
from stages.translate.languages import opus_model
from stages.translate.record import given_translation, write_record


class TranslateOptions(ModelOptions):
    """The translate backend's settings (the profile's ``stages.translate.options``)."""

    models: dict[str, str] = Field(default_factory=dict, description="Model per target language code.")
    max_chars: int = Field(42, ge=10, le=120, description="Characters per subtitle line.")
    subtitle_lines: int = Field(2, ge=1, le=4, description="Subtitle lines a translation may fill.")
    num_beams: int = Field(1, ge=1, le=8)
    max_new_tokens: int = Field(128, ge=8, le=1024)
    context_lines: int = Field(
        2, ge=0, le=8, description="The scene's previous lines translated with each line (0: each line alone)."
    )

    def model_for(self, source: str, target: str) -> str | None:
        """``models[target]``, else ``model`` (one for every pair, e.g. NLLB), else the pair's opus-mt."""
        return self.models.get(target) or self.model or opus_model(source, target)


TRANSLATION = ModelFamily("translation", "workers.families:TranslationWorker", TranslationModel.default_model)


class MarianTranslate(Stage):
    name: ClassVar[str] = "translate"
    backend: ClassVar[str] = "transformers"
    version: ClassVar[str] = "2"  # 2: lines translated in their scene's context
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
        if line.given is not None:  # the studio's own translation: no model
            return given_translation(out, line, self.options.max_chars, self.options.subtitle_lines)
        translator = self.translator(line.source, line.target)
        context = [apply_glossary(c, line.glossary) for c in line.context]
        text = apply_glossary(line.text, line.glossary)
        made = translate_in_context(translator.translate, text, context, line.source)
        fitted = fit_subtitle(made.text, self.options.max_chars, self.options.subtitle_lines)
        how = "window" if made.used_context else "line"
        write_record(out, line, made.text, fitted.text, how)
        model = translator.model_id
        return {
            "file": "translation.json",
            "target": line.target,
            "model": model,
            "overlong": fitted.overlong,
            "context": how,
        }

    def teardown(self) -> None:
        for translator in self.translators.values():
            translator.unload()
        self.translators.clear()
