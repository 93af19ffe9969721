"""The ``espeak`` backend: one WAV per spoken line from espeak-ng, a distinct voice per character.

A character's voice comes from the job spec (``voice``, ``pitch``, ``speed``) or, when left empty, is
cast from the character: a variant (f1-f5, m1-m7) of the right gender when the appearance says it,
and a pitch and speed from a hash of the name, so every character sounds different and the same
character always sounds the same. Mandarin goes through ``cmn-latn-pinyin`` (plain ``cmn`` reads
digits in English). The text reaches espeak-ng through a file (``-f``), never on the command line,
so a line starting with ``-`` is spoken, not parsed as an option.
"""

from __future__ import annotations

import re
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
from pydantic import Field

from stages.base import Resources, Stage, StageOptions
from stages.errors import InputError
from stages.hashing import stable_unit
from stages.media.ffmpeg_run import run_ffmpeg, run_tool
from stages.models import Line
from stages.params import Speaker, VoiceParams
from stages.voice.numerals import spoken_digits_zh
from stages.voice.speech import finish_voice

LANGUAGE_VOICE = {"zh": "cmn-latn-pinyin", "en": "en-us"}
FEMALE_VARIANTS = ("f1", "f2", "f3", "f4", "f5")
MALE_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7")
VOICE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*(\+[A-Za-z][A-Za-z0-9_-]*)?$|^\+?[A-Za-z][A-Za-z0-9_-]*$")
MAX_LINE_CHARS = 2000
SAMPLE_RATE = 48_000
MIN_SECONDS = 0.3  # a line of only punctuation still takes a beat


@dataclass(frozen=True)
class EspeakVoiceSpec:
    """Everything espeak-ng needs to say a line in one character's voice."""

    voice: str  # "cmn-latn-pinyin+f3"
    pitch: int  # 0-99
    speed: int  # words per minute


def _hash_unit(*parts: object) -> float:
    return stable_unit(*parts)


class EspeakOptions(StageOptions):
    """The narrator's voice, for narration lines no described character speaks."""

    narrator_voice: str = Field(
        "m3", pattern=VOICE_NAME.pattern, description="espeak-ng variant or voice of the narrator."
    )
    narrator_pitch: int = Field(42, ge=0, le=99)
    narrator_speed: int = Field(160, ge=80, le=450, description="Words per minute.")


def cast_voice(
    character: Speaker | None, language: str, options: EspeakOptions | None = None, base: str | None = None
) -> EspeakVoiceSpec:
    """The voice for ``character`` (None: the narrator), from the spec where given, derived otherwise.

    ``base`` is the language voice (default: the script's); a dub passes its target's, and the
    variant, pitch and speed still come from the character, so they sound alike in every language.
    """
    options = options or EspeakOptions()
    base = base or LANGUAGE_VOICE[language]
    if character is None:
        return EspeakVoiceSpec(
            _compose(base, options.narrator_voice, "narrator"), options.narrator_pitch, options.narrator_speed
        )
    key = (character.name, character.seed)
    gender = character.gender or ("f" if _hash_unit(*key, "gender") < 0.5 else "m")
    variants = FEMALE_VARIANTS if gender == "f" else MALE_VARIANTS
    variant = variants[int(_hash_unit(*key, "variant") * len(variants))]
    low, high = (52, 82) if gender == "f" else (22, 52)
    pitch = character.pitch
    if pitch is None:
        pitch = round(low + (high - low) * _hash_unit(*key, "pitch"))
    speed = character.speed if character.speed is not None else round(150 + 35 * _hash_unit(*key, "speed"))
    voice = _compose(base, character.voice or variant, character.name)
    return EspeakVoiceSpec(voice, max(0, min(99, pitch)), max(80, min(450, speed)))


def _compose(base: str, given: str, who: str) -> str:
    """``given`` may be a variant (``f3``, ``+f3``), a language voice (``en-gb``) or both (``en-gb+f3``)."""
    given = given.strip()
    if not VOICE_NAME.match(given):
        raise InputError(
            f"voice {given!r} is not an espeak-ng voice name (like 'f3', 'en-gb' or 'en-gb+m2')",
            field=f"characters.{who}.voice",
        )
    if given.startswith("+"):
        return base + given
    if "+" in given:
        return given
    is_language = "-" in given or (len(given) <= 3 and not re.fullmatch(r"[fm]\d", given))
    return given if is_language else f"{base}+{given}"  # en-gb / cmn, or a bare variant: f3, klatt


def speakable_text(line: Line, language: str) -> str:
    text = line.text.strip()
    if len(text) > MAX_LINE_CHARS:
        raise InputError(
            f"line is {len(text)} characters; at most {MAX_LINE_CHARS} are spoken", field=f"lines.{line.id}.text"
        )
    return spoken_digits_zh(text) if language == "zh" else text


class EspeakVoice(Stage):
    name = "voice"
    backend = "espeak"
    version = "2"
    resources = Resources(num_cpus=1)
    Options = EspeakOptions
    options: EspeakOptions

    def setup(self) -> None:
        run_tool(["espeak-ng", "--version"], "voice setup")

    def run(self, params: dict[str, Any], inputs: Any, out: Path) -> dict[str, Any]:
        typed = VoiceParams.model_validate(params)
        spec = cast_voice(typed.character, typed.job.language, self.options)
        return self.speak(typed.line, spec, typed.job.language, out)

    def speak(self, line: Line, spec: EspeakVoiceSpec, language: str, out: Path) -> dict[str, Any]:
        """``line`` said by ``spec`` into ``out/line.wav`` (48 kHz mono, trimmed to its speech); its meta."""
        wav = out / "line.wav"
        with tempfile.TemporaryDirectory(prefix="kaipai-voice-") as work:
            text_file, raw = Path(work) / "line.txt", Path(work) / "raw.wav"
            text_file.write_text(speakable_text(line, language) + "\n", encoding="utf-8")
            run_tool(
                [
                    "espeak-ng",
                    "-b",
                    "1",
                    "-v",
                    spec.voice,
                    "-p",
                    str(spec.pitch),
                    "-s",
                    str(spec.speed),
                    "-w",
                    str(raw),
                    "-f",
                    str(text_file),
                ],
                f"voice {line.id}",
                timeout=120,
            )
            resampled = Path(work) / "resampled.wav"
            stream = ffmpeg.input(str(raw)).output(str(resampled), ar=SAMPLE_RATE, ac=1, acodec="pcm_s16le")
            run_ffmpeg(stream, f"voice {line.id}")
            measured = finish_voice(resampled, wav, MIN_SECONDS)
        return {
            "file": "line.wav",
            **measured,
            "line": line.id,
            "voice": spec.voice,
            "pitch": spec.pitch,
            "speed": spec.speed,
        }


def wav_duration(path: Path) -> float:
    """The real length of a PCM WAV, from its frame count."""
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / float(w.getframerate())
