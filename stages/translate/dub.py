"""Stage ``dub``: a translated line voiced in its target language, fitted to the original line's slot.

Backends ``transformers`` (the voice stage's neural TTS path; the model per language is
``models[target]``, e.g. ``facebook/mms-tts-spa``, else ``model``; ``tiny:vits`` in tests) and
``espeak`` (espeak-ng's voice for the language: en-us, es, id, vi …, offline, no weights). The words
come from the line's ``translation`` input. The speaker is chosen from the character exactly as for
the original voice (same variant, pitch and speed from the same name and seed), so a character keeps
one voice in every episode. Each dub is then fitted to the slot of the original line (``original``
input) by :mod:`stages.translate.dubfit`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import Inputs
from stages.errors import InputError
from stages.params import VoiceParams
from stages.translate.dubfit import fit_to_slot, slot_of
from stages.translations import read_translations, script_family
from stages.voice.espeak import EspeakOptions, EspeakVoice, cast_voice
from stages.voice.espeak_voices import unknown_voice_part
from stages.voice.tts import TransformersVoice, TTSOptions

# espeak-ng's voice per language code (a code not listed is tried as it is, e.g. ``it``, ``ko``).
ESPEAK_LANGUAGES = {"en": "en-us", "fr": "fr-fr", "pt": "pt", "pt-BR": "pt-br", "zh": "cmn-latn-pinyin",
                    "es-419": "es-419", "vi": "vi", "ms": "ms"}  # fmt: skip


def translated_line(params: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The voice params with the line's words replaced by its translation (from the translate artifact)."""
    (record,) = read_translations(inputs["translation"]).values()
    dubbed = copy.deepcopy({k: v for k, v in params.items() if k != "language"})
    if record["id"] != dubbed["line"]["id"]:
        raise ValueError(f"dub {dubbed['line']['id']}: the translation is of line {record['id']}")
    dubbed["line"]["text"] = record["text"]
    dubbed["job"]["language"] = script_family(str(params["language"]))
    return dubbed


def _fit_field() -> Any:
    """How far a dub may be sped up to fit (both dub backends' ``max_tempo``)."""
    return Field(1.3, ge=1.0, le=2.0, description="Fastest tempo (atempo) a dub is sped up to fit its original's slot.")


class DubOptions(TTSOptions):
    models: dict[str, str] = Field(default_factory=dict, description="TTS model per target language code.")
    max_tempo: float = _fit_field()


class EspeakDubOptions(EspeakOptions):
    max_tempo: float = _fit_field()


def fitted(out: Path, meta: dict[str, Any], inputs: Inputs, max_tempo: float, what: str) -> dict[str, Any]:
    """The dub's meta after fitting it to its original's slot (unchanged when there is no original)."""
    slot = slot_of(inputs)
    if slot is None:
        return meta
    return fit_to_slot(out / "line.wav", meta, slot, max_tempo, what)


class TransformersDub(TransformersVoice):
    name: ClassVar[str] = "dub"
    backend: ClassVar[str] = "transformers"
    version: ClassVar[str] = "2"  # 2: fitted to the original line's slot
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
        what = f"dub {params['line']['id']}/{target}"
        return {**fitted(out, meta, inputs, self.options.max_tempo, what), "language": target}

    def teardown(self) -> None:
        super().teardown()
        for speech in self.speeches.values():
            speech.unload()


def espeak_language(target: str) -> str:
    """espeak-ng's voice for ``target``; a language it does not have is refused, naming it."""
    voice = ESPEAK_LANGUAGES.get(target, target.lower())
    problem = unknown_voice_part(voice)
    if problem:
        raise InputError(f"cannot dub {target} with espeak-ng: {problem}", field="languages")
    return voice


def dub_speaker(character: Any) -> Any:
    """The character's speaker with only its variant kept from ``voice`` (the language is the target's)."""
    if character is None or not character.voice:
        return character
    voice = character.voice.strip()
    variant = voice.partition("+")[2] if "+" in voice else ("" if "-" in voice or len(voice) <= 3 else voice)
    if voice[:1] in "fm" and voice[1:].isdigit():
        variant = voice
    return character.model_copy(update={"voice": f"+{variant}" if variant else ""})


class EspeakDub(EspeakVoice):
    name: ClassVar[str] = "dub"
    backend: ClassVar[str] = "espeak"
    version: ClassVar[str] = "1"
    Options = EspeakDubOptions
    options: EspeakDubOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        target = str(params["language"])
        typed = VoiceParams.model_validate(translated_line(params, inputs))
        spec = cast_voice(dub_speaker(typed.character), typed.job.language, self.options, espeak_language(target))
        meta = self.speak(typed.line, spec, typed.job.language, out)
        what = f"dub {typed.line.id}/{target}"
        return {**fitted(out, meta, inputs, self.options.max_tempo, what), "language": target}
