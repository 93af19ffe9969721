"""Stage ``dub``, backend ``transformers``: a translated line voiced in its target language.

The voice stage's own TTS path, given the line's translation (its ``translation`` input) instead of
the original words. The speaker is chosen from the character exactly as for the original voice, so a
character keeps one voice in every episode. The model per language is ``models[target]`` (e.g.
``facebook/mms-tts-spa``), else ``model``; ``tiny:vits`` in tests.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import Artifact, Inputs
from stages.translate.subtitles import script_family
from stages.voice.tts import TransformersVoice, TTSOptions


def translated_line(params: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The voice params with the line's words replaced by its translation (from the translate artifact)."""
    translation = inputs["translation"]
    translation = translation[0] if isinstance(translation, list) else translation
    assert isinstance(translation, Artifact)
    record = json.loads(translation.file().read_text(encoding="utf-8"))
    dubbed = copy.deepcopy({k: v for k, v in params.items() if k != "language"})
    if record["id"] != dubbed["line"]["id"]:
        raise ValueError(f"dub {dubbed['line']['id']}: the translation is of line {record['id']}")
    dubbed["line"]["text"] = record["text"]
    dubbed["job"]["language"] = script_family(str(params["language"]))
    return dubbed


class DubOptions(TTSOptions):
    models: dict[str, str] = Field(default_factory=dict, description="TTS model per target language code.")


class TransformersDub(TransformersVoice):
    name: ClassVar[str] = "dub"
    backend: ClassVar[str] = "transformers"
    version: ClassVar[str] = "1"
    Options = DubOptions
    options: DubOptions

    def __init__(self, options: Any = None) -> None:
        super().__init__(options)
        self.master = self.model
        self.speeches: dict[str, Any] = {}  # target language -> loaded Speech

    def speech_for(self, target: str) -> Any:
        model = self.options.models.get(target)
        if model is None:
            return self.master
        if target not in self.speeches:
            self.speeches[target] = self.model_class(self.options.model_copy(update={"model": model}))
        return self.speeches[target]

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        target = str(params["language"])
        self.model = self.speech_for(target)
        meta = super().run(translated_line(params, inputs), {}, out)
        return {**meta, "language": target}

    def teardown(self) -> None:
        super().teardown()
        for speech in self.speeches.values():
            speech.unload()
