"""A shot's sound as exact samples: each voice at its sample offset, the ambience bed under them.

The shot lasts a whole number of frames, and its audio is exactly ``frames * rate / fps`` samples
(1600 per frame at 30 fps and 48 kHz). Episodes concatenate these sample buffers, so the sound can
never drift from the picture, however many shots there are. Voices are mono and are placed in both
channels at full level (centred), not panned down by 3 dB.
"""

from __future__ import annotations

import numpy as np

from stages.models import Scene
from stages.mux.ambience import ambience_bed
from stages.voice.speech import read_wav

SAMPLE_RATE = 48_000


def shot_samples(frames: int, fps: int, rate: int = SAMPLE_RATE) -> int:
    """The audio length of a shot of ``frames`` frames, in samples."""
    return round(frames * rate / fps)


def shot_audio(
    voice_files: list, offsets: list[float], samples: int, scene: Scene | None, shot_id: str, ambience: bool = True
) -> np.ndarray:
    """Stereo float32 (samples x 2): the bed, then every voice added at ``round(offset * rate)``."""
    mix = ambience_bed(scene, shot_id, samples, SAMPLE_RATE) if ambience else np.zeros((samples, 2), dtype=np.float32)
    for path, offset in zip(voice_files, offsets, strict=True):
        voice, rate = read_wav(path)
        if rate != SAMPLE_RATE:
            raise ValueError(f"{path}: {rate} Hz; voices are {SAMPLE_RATE} Hz")
        start = round(offset * SAMPLE_RATE)
        end = min(samples, start + len(voice))
        if end > start:
            mix[start:end] += voice[: end - start, None]
    return mix
