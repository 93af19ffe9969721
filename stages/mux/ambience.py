"""An ambience bed for a scene, made on the CPU from where and when it is (no sound files needed).

Silence between lines reads as a broken file, and platforms flag digital silence. Each scene gets a
bed from its place and time: an interior a low room tone (brown noise), an exterior wind (pink
noise, slowly swelling), at night with a cricket chirp now and then. The bed is a pure function of
the scene and the shot, so a re-run makes the same samples; it starts and ends with a short fade so
a cut never clicks.
"""

from __future__ import annotations

import hashlib

import numpy as np
from scipy.fft import next_fast_len

from stages.models import Scene

FADE_SECONDS = 0.012  # a fade at each cut: no click, no audible dip
LEVEL_DBFS = {"interior": -46.0, "exterior": -40.0}  # RMS of the bed before loudness normalisation
NIGHT_QUIETER_DB = 4.0


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("\x00".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def _coloured_noise(rng: np.random.Generator, samples: int, exponent: float) -> np.ndarray:
    """Noise with power falling as 1/f**exponent (1: pink, 2: brown), unit RMS.

    Shaped over the next length the FFT is fast at, then cut: a shot of a prime number of frames
    otherwise took four times as long (0.24 s against 0.06 s a channel at 18 s)."""
    length = next_fast_len(samples, real=True)
    spectrum = np.fft.rfft(rng.standard_normal(length))
    freqs = np.fft.rfftfreq(length)
    freqs[0] = freqs[1] if length > 1 else 1.0
    noise = np.fft.irfft(spectrum / freqs ** (exponent / 2), n=length)[:samples]
    rms = float(np.sqrt(np.mean(noise**2))) or 1.0
    return (noise / rms).astype(np.float32)


def _chirps(rng: np.random.Generator, samples: int, rate: int) -> np.ndarray:
    """Crickets: short 4.4 kHz pulse trains at random moments, about one every two seconds."""
    out = np.zeros(samples, dtype=np.float32)
    t = np.arange(round(0.018 * rate)) / rate
    pulse = (np.sin(2 * np.pi * 4400 * t) * np.hanning(len(t))).astype(np.float32)
    for _ in range(max(1, samples // (2 * rate))):
        at = int(rng.integers(0, max(1, samples - 4 * len(pulse))))
        for k in range(3):
            start = at + k * 2 * len(pulse)
            out[start : start + len(pulse)] += pulse
    return out


def ambience_bed(scene: Scene | None, shot_id: str, samples: int, rate: int) -> np.ndarray:
    """``samples`` frames of stereo ambience (float32, samples x 2) for a shot of ``scene``."""
    if samples <= 0:
        return np.zeros((0, 2), dtype=np.float32)
    place = "interior" if scene is None or scene.interior else "exterior"
    time = scene.time if scene else "unknown"
    rng = _rng("ambience", scene.id if scene else "", shot_id)
    channels = []
    for side in range(2):  # decorrelated left and right: a bed, not a point source
        side_rng = _rng("ambience", scene.id if scene else "", shot_id, side)
        if place == "interior":
            noise = _coloured_noise(side_rng, samples, 2.0)
        else:
            swell = 0.7 + 0.3 * np.sin(2 * np.pi * 0.13 * np.arange(samples) / rate + side)
            noise = _coloured_noise(side_rng, samples, 1.0) * swell.astype(np.float32)
        channels.append(noise)
    bed = np.stack(channels, axis=1)
    level = LEVEL_DBFS[place] - (NIGHT_QUIETER_DB if time == "night" else 0.0)
    bed *= 10 ** (level / 20)
    if place == "exterior" and time == "night":
        bed += (_chirps(rng, samples, rate) * 10 ** ((level + 6) / 20))[:, None]
    return fade_edges(bed, rate)


def fade_edges(audio: np.ndarray, rate: int, seconds: float = FADE_SECONDS) -> np.ndarray:
    """Linear fade in at the start and out at the end (in place, returned for chaining)."""
    n = min(len(audio) // 2, round(seconds * rate))
    if n > 0:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)[:, None]
        audio[:n] *= ramp
        audio[-n:] *= ramp[::-1]
    return audio
