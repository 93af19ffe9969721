"""Loudness normalisation to a target (EBU R128 / ITU-R BS.1770) on the samples themselves, in one pass.

1. The programme's integrated loudness is measured once with pyloudnorm (BS.1770-4: K-weighting,
   400 ms blocks, absolute and relative gates).
2. One gain brings it to the target for the whole programme, so speech keeps its dynamics.
3. Where that gain would push the true peak (4x oversampled, BS.1770 Annex 2) over the ceiling, a
   look-ahead limiter pulls just those peaks down: the gain it applies is the least needed within
   a few milliseconds either side of each sample, smoothed, so it never clicks and never lets a peak
   through.
4. Limiting takes a little loudness away; the loudness is measured and the gain set again (twice at
   most).

ffmpeg's two-pass ``loudnorm`` did the same job in four times the CPU (it resamples the whole
programme to 192 kHz twice); this reads the samples the assembly already holds. We aim the peak a
little under the platform's ceiling because the AAC encode that follows can overshoot by a few
tenths of a dB. The gates measure the delivered file independently, with ffmpeg's ``ebur128``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyloudnorm
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import resample_poly

ENCODER_HEADROOM_DB = 0.5
OVERSAMPLE = 4  # BS.1770 true peak: 4x at 48 kHz
LOOKAHEAD_SECONDS = 0.005  # the limiter's gain reaches each peak over this much either side
GAIN_ROUNDS = 3


@dataclass(frozen=True)
class LoudnessTarget:
    integrated_lufs: float = -14.0
    true_peak_dbtp: float = -1.0

    @property
    def peak_ceiling(self) -> float:
        """The linear true-peak ceiling we aim at (the platform's, less the encoder's headroom)."""
        return float(10 ** ((self.true_peak_dbtp - ENCODER_HEADROOM_DB) / 20))


class SilentAudio(ValueError):
    """Nothing to normalise: the programme is (digitally) silent."""


def integrated_loudness(audio: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness of (samples x channels) float audio, in LUFS (``-inf`` if silent)."""
    if len(audio) < int(0.4 * rate):  # shorter than one gating block
        return float("-inf")
    return float(pyloudnorm.Meter(rate).integrated_loudness(audio.astype(np.float64)))


def sample_peaks(audio: np.ndarray) -> np.ndarray:
    """Per sample, the largest true (4x oversampled) magnitude over all channels near it."""
    n = len(audio)
    peaks = np.zeros(n, dtype=np.float32)
    for channel in range(audio.shape[1]):
        over = resample_poly(audio[:, channel].astype(np.float32), OVERSAMPLE, 1)
        np.maximum(peaks, np.abs(over[: n * OVERSAMPLE]).reshape(n, OVERSAMPLE).max(axis=1), out=peaks)
    return peaks


def true_peak_db(audio: np.ndarray) -> float:
    return _db(float(sample_peaks(audio).max())) if len(audio) else float("-inf")


def limiter_gain(peaks: np.ndarray, ceiling: float, rate: int) -> np.ndarray:
    """A smooth per-sample gain <= 1 that keeps every ``peaks`` value under ``ceiling``.

    The least gain needed within ``LOOKAHEAD`` either side (a minimum filter), then averaged over a
    window no wider: each average covers only values at or below the gain its own sample needs.
    """
    needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    if needed.min() >= 1.0:
        return needed
    half = max(1, round(LOOKAHEAD_SECONDS * rate))
    held = minimum_filter1d(needed, size=2 * half + 1, mode="nearest")
    return np.minimum(uniform_filter1d(held, size=2 * half + 1, mode="nearest"), needed)


def normalise(audio: np.ndarray, rate: int, target: LoudnessTarget) -> tuple[np.ndarray, dict[str, float]]:
    """``audio`` (samples x channels, float) at the target loudness under the true-peak ceiling.

    Returns the new samples and the figures: loudness and true peak before (``input_lufs``,
    ``input_true_peak``), the gain, and the loudness after (``output_lufs``). The true peaks are
    measured once: a gain scales them, and the limiter's gain changes too slowly (over milliseconds)
    for the oversampling filter to see it. Raises :class:`SilentAudio` when there is nothing to measure.
    """
    source = audio.astype(np.float32)
    measured = integrated_loudness(source, rate)
    if not np.isfinite(measured):
        raise SilentAudio("the audio is silent; nothing to normalise")
    peaks = sample_peaks(source)
    gain_db, out, loudness = target.integrated_lufs - measured, source, measured
    for _ in range(GAIN_ROUNDS):
        gain = np.float32(10 ** (gain_db / 20))
        limiter = limiter_gain(peaks * gain, target.peak_ceiling, rate)
        out = source * (limiter * gain)[:, None]
        if limiter.min() >= 1.0:  # one gain and nothing else: the loudness is known exactly
            loudness = measured + gain_db
            break
        loudness = integrated_loudness(out, rate)
        if abs(loudness - target.integrated_lufs) < 0.1:
            break
        gain_db += target.integrated_lufs - loudness
    figures = {"input_lufs": round(measured, 2), "input_true_peak": round(_db(float(peaks.max())), 2)}
    return out, figures | {"gain_db": round(gain_db, 2), "output_lufs": round(loudness, 2)}


def _db(value: float) -> float:
    return 20 * float(np.log10(value)) if value > 0 else float("-inf")
