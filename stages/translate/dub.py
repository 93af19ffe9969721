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

from stages.base import Artifact, Inputs
from stages.translate.subtitles import script_family
from stages.voice.tts import TransformersVoice


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


class TransformersDub(TransformersVoice):
    name: ClassVar[str] = "dub"
    backend: ClassVar[str] = "transformers"
    version: ClassVar[str] = "1"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        options = dict(options or {})
        self.models: dict[str, str] = dict(options.pop("models", None) or {})
        super().__init__(options)
        self.speeches: dict[str, Any] = {}  # target language -> loaded Speech

    def speech_for(self, target: str) -> Any:
        model = self.models.get(target)
        if model is None:
            return self.model
        if target not in self.speeches:
            self.speeches[target] = self.model_class({**self.options, "model": model})
        return self.speeches[target]

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        target = str(params["language"])
        self.model = self.speech_for(target)
        meta = super().run(translated_line(params, inputs), {}, out)
        return {**meta, "language": target}

    def key_settings(self) -> dict[str, Any]:
        return {**super().key_settings(), "models": self.models}

    def teardown(self) -> None:
        super().teardown()
        for speech in self.speeches.values():
            speech.unload()
