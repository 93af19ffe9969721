"""The ``transformers`` voice backend: one WAV per spoken line from a neural TTS model (VITS/MMS, Bark).

A voice per character: a multi-speaker model speaks each character with their own speaker id (the
spec's ``voice`` when it is a number, else one derived from the name); a single-speaker model (most
MMS checkpoints) speaks everyone alike, so each character gets a fixed seed and a pitch shift
(ffmpeg ``asetrate`` + ``atempo`` keep the tempo while moving the pitch) derived from the spec's
``pitch`` or from the name. Output is ``line.wav``, 48 kHz mono PCM, like the espeak backend's, with
its real measured duration in the metadata.
"""

from __future__ import annotations

import tempfile
import wave
from pathlib import Path
from typing import Any, ClassVar, Literal

import ffmpeg
from pydantic import Field

from stages.base import ModelFamily, Resources
from stages.media.ffmpeg_run import run_ffmpeg
from stages.model_stage import ModelOptions, ModelStage
from stages.params import Speaker, VoiceParams
from stages.pipelines.tts import Speech
from stages.shapes import stable_seed
from stages.voice.espeak import MIN_SECONDS, SAMPLE_RATE, speakable_text
from stages.voice.speech import finish_voice

TEXT_TO_SPEECH = ModelFamily("text-to-speech", "workers.families:TTSWorker", Speech.default_model)
NORMAL_WPM = 170


def speaker_for(character: Speaker | None, speakers: int) -> int:
    """The model speaker id of a character; the narrator is speaker 0."""
    if character is None or speakers <= 1:
        return 0
    if character.voice.strip().isdigit():
        return int(character.voice) % speakers
    return 1 + stable_seed("speaker", character.name, character.seed) % max(1, speakers - 1)


def pitch_factor(character: Speaker | None, single_speaker: bool) -> float:
    """How much to raise (>1) or lower (<1) a character's pitch: the spec's 0-99 ``pitch`` around 50,
    else, for single-speaker models only, a fixed shift from the name (higher if the speaker's gender
    hint reads female, lower if male) so characters are told apart."""
    if character is None:
        return 1.0
    if character.pitch is not None:
        return round(0.8 + 0.45 * character.pitch / 99, 4)
    if not single_speaker:
        return 1.0
    unit = stable_seed("pitch", character.name, character.seed) / 2**32
    ranges = {"f": (1.02, 1.18), "m": (0.84, 0.98)}
    low, high = ranges.get(character.gender or "", (0.88, 1.14))
    return round(low + (high - low) * unit, 4)


def write_pcm16(path: Path, samples: Any, rate: int) -> None:
    import numpy as np

    data = np.clip(np.asarray(samples, dtype=np.float32).reshape(-1), -1.0, 1.0)
    peak = float(np.abs(data).max()) if data.size else 0.0
    if peak > 0:
        data = data * (0.89 / peak)  # normalise: random or quiet models still reach a usable level
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((data * 32767).astype("<i2").tobytes())


class TTSOptions(ModelOptions):
    engine: Literal["vits", "pipeline"] = Field(
        "vits", description="vits: VitsModel + tokenizer (MMS); pipeline: transformers text-to-speech (Bark)."
    )


class TransformersVoice(ModelStage):
    name: ClassVar[str] = "voice"
    backend: ClassVar[str] = "transformers"
    version: ClassVar[str] = "2"
    resources: ClassVar[Resources] = Resources(num_cpus=1, num_gpus=0.25)
    family = TEXT_TO_SPEECH
    Options = TTSOptions
    options: TTSOptions
    model_class = Speech

    def run(self, params: dict[str, Any], inputs: Any, out: Path) -> dict[str, Any]:
        typed = VoiceParams.model_validate(params)
        job, line, character = typed.job, typed.line, typed.character
        self.model.load()
        speakers = self.model.speakers
        speaker = speaker_for(character, speakers)
        who = (character.name, character.seed) if character else ("", 0)
        seed = stable_seed("voice", job.seed, *who)
        samples, rate = self.model.speak(speakable_text(line, job.language), speaker, seed)
        factor = pitch_factor(character, speakers <= 1)
        tempo = 1.0 / factor  # undo asetrate's speed-up, keeping only the pitch change
        if character is not None and character.speed is not None:
            tempo *= character.speed / NORMAL_WPM
        wav = out / "line.wav"
        with tempfile.TemporaryDirectory(prefix="kaipai-tts-") as work:
            raw = Path(work) / "raw.wav"
            write_pcm16(raw, samples, rate)
            stream = ffmpeg.input(str(raw))
            if factor != 1.0:
                stream = stream.filter("asetrate", round(rate * factor)).filter("aresample", SAMPLE_RATE)
            if abs(tempo - 1.0) > 1e-3:
                stream = stream.filter("atempo", min(2.0, max(0.5, tempo)))
            resampled = Path(work) / "resampled.wav"
            stream = stream.output(str(resampled), ar=SAMPLE_RATE, ac=1, acodec="pcm_s16le")
            run_ffmpeg(stream, f"voice {line.id}")
            measured = finish_voice(resampled, wav, MIN_SECONDS)
        return {
            "file": "line.wav",
            **measured,
            "line": line.id,
            "model": self.model.model_id,
            "speaker": speaker,
            "pitch_factor": factor,
        }
