"""Stage ``stem``, backend ``ffmpeg``: the episode's M&E stem (music and effects, no dialogue).

Dubbing houses mix their own voices over it. kaipai's shots carry no sound effects of their own;
what lies under the voices is each scene's ambience bed (``stages.mux.ambience``: the very samples
the master's mux mixed, made again from the same scene and shot, so a dub lines up with the room
tone it replaces) and the music bed, looped and never ducked. Each shot's bed is as long as the
master's shot (its mux meta's ``samples``), so the stem is exactly as long as the episode. The
stem gets the master's loudness gain (the target minus the master mix's measured loudness, as the
assembly's linear two-pass ``loudnorm`` applies it), kept under the preset's true peak, so it sits
at the level it has in the master. With no music and no ambience it is silence of that length
(``meta.music``, ``meta.ambience`` say which).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, ClassVar

import ffmpeg
import numpy as np

from stages.assembly.episode import read_stereo
from stages.base import Artifact, Inputs, Resources, Stage
from stages.errors import InputError
from stages.media.ffmpeg_run import run_ffmpeg
from stages.mux.ambience import ambience_bed
from stages.params import StemParams
from stages.platforms.presets import PLATFORM_PRESETS
from stages.voice.speech import write_wav

SAMPLE_RATE = 48_000


def ambience_of(params: StemParams, shots: list[Artifact]) -> np.ndarray:
    """Each master shot's ambience bed (or silence) at its exact sample count, end to end."""
    scenes = {s.id: s.scene for s in params.shots}
    parts = []
    for shot in shots:
        samples = int(shot.meta.get("samples") or round(float(shot.meta["duration"]) * SAMPLE_RATE))
        shot_id = str(shot.meta.get("shot", ""))
        if params.ambience and shot_id in scenes:
            parts.append(ambience_bed(scenes[shot_id], shot_id, samples, SAMPLE_RATE))
        else:
            parts.append(np.zeros((samples, 2), dtype=np.float32))
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.float32)


def music_samples(params: StemParams, samples: int, work: Path) -> np.ndarray | None:
    """The music looped to ``samples`` frames at its volume (stereo float32), or None without music."""
    music = params.music
    if music is None:
        return None
    if not Path(music.path).is_file():
        raise InputError(f"music file not found: {music.path}", field="music.path")
    seconds = samples / SAMPLE_RATE
    bed = ffmpeg.input(music.path, stream_loop=-1).audio.filter("atrim", duration=f"{seconds:.6f}")
    bed = bed.filter("aformat", sample_rates=SAMPLE_RATE, channel_layouts="stereo").filter("volume", music.volume)
    wav = work / "music.wav"
    run_ffmpeg(ffmpeg.output(bed, str(wav), acodec="pcm_s16le", ar=SAMPLE_RATE), f"stem {params.episode} music")
    audio = read_stereo(wav)[:samples]
    return np.concatenate([audio, np.zeros((samples - len(audio), 2), dtype=np.float32)])


def master_gain(params: StemParams, master: Any) -> float:
    """The linear gain the master's loudness normalisation applied (1.0 when the master is not given)."""
    master = master[0] if isinstance(master, list) and master else master
    measured = master.meta.get("loudness_input_lufs") if isinstance(master, Artifact) else None
    if measured is None:
        return 1.0
    preset = PLATFORM_PRESETS.get(params.platform, PLATFORM_PRESETS["none"])
    return float(10 ** ((preset.loudness_lufs - float(measured)) / 20))


def under_peak(audio: np.ndarray, platform: str) -> tuple[np.ndarray, bool]:
    """``audio`` scaled down if its sample peak passes the preset's true-peak ceiling; whether it was."""
    ceiling = 10 ** (PLATFORM_PRESETS.get(platform, PLATFORM_PRESETS["none"]).true_peak_dbtp / 20)
    peak = float(np.abs(audio).max()) if audio.size else 0.0
    if peak <= ceiling:
        return audio, False
    return audio * (ceiling / peak), True


class MEStem(Stage):
    name: ClassVar[str] = "stem"
    backend: ClassVar[str] = "ffmpeg"
    version: ClassVar[str] = "2"  # 2: the scenes' ambience, at the master's gain
    resources: ClassVar[Resources] = Resources(num_cpus=1)

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        typed = StemParams.model_validate(params)
        shots = inputs["shots"] if isinstance(inputs["shots"], list) else [inputs["shots"]]
        # 1. The ambience under each shot, at the master shot's exact length.
        mix = ambience_of(typed, shots)
        # 2. The music, looped, never ducked (there is no dialogue to duck under).
        with tempfile.TemporaryDirectory(prefix="kaipai-stem-") as work:
            music = music_samples(typed, len(mix), Path(work))
        if music is not None:
            mix = mix + music
        # 3. The master's loudness gain, under the preset's peak.
        gain = master_gain(typed, inputs.get("master"))
        mix, limited = under_peak(mix * gain, typed.platform)
        write_wav(out / "me.wav", mix, SAMPLE_RATE)
        return {
            "file": "me.wav",
            "duration": round(len(mix) / SAMPLE_RATE, 6),
            "samples": len(mix),
            "music": music is not None,
            "ambience": typed.ambience,
            "gain_db": round(20 * np.log10(gain), 2) if gain > 0 else None,
            "limited": limited,
            "episode": typed.episode,
        }
