"""Loudness normalisation to a target (EBU R128 / ITU-R BS.1770) on the samples themselves, in one pass.

1. The programme's integrated loudness is measured once with pyloudnorm (BS.1770-4: K-weighting,
   400 ms blocks, absolute and relative gates).
2. One gain brings it to the target for the whole programme, so speech keeps its dynamics.
3. Where that gain would push the true peak (4x oversampled, BS.1770 Annex 2) over the ceiling, a
   look-ahead limiter pulls just those peaks down: the gain it applies is the least needed within
   a few milliseconds either side of each sample, smoothed, so it never clicks and never lets a peak
   through.
4. Limiting takes a little loudness away; the loudness is measured and the gain set again (twice at
   most), from the K-weighted power computed once (``gated_loudness``), not by filtering again.

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


def k_weighted_power(audio: np.ndarray, rate: int) -> np.ndarray:
    """Per sample, the K-weighted power summed over the channels (BS.1770: left and right weigh 1),
    filtered by pyloudnorm's own K-weighting stages."""
    power = np.zeros(len(audio))
    for channel in range(audio.shape[1]):
        weighted = audio[:, channel].astype(np.float64)
        for stage in pyloudnorm.Meter(rate)._filters.values():  # the high shelf, then the high pass
            weighted = stage.apply_filter(weighted)
        power += weighted * weighted
    return power


def gated_loudness(power: np.ndarray, rate: int) -> float:
    """BS.1770-4 integrated loudness from :func:`k_weighted_power`: 400 ms blocks every 100 ms, the
    absolute (-70 LUFS) and relative (-10 LU) gates, block for block as pyloudnorm computes them.

    A gain that changes over milliseconds (the limiter's) scales the power as it scales the samples,
    so the loudness after a gain is measured again without filtering the programme again."""
    block, step = 0.4, 0.25
    count = int(np.round((len(power) / rate - block) / (block * step))) + 1
    if len(power) < int(block * rate) or count < 1:
        return float("-inf")
    j = np.arange(count)
    lower, upper = (block * (j * step) * rate).astype(int), (block * (j * step + 1) * rate).astype(int)
    lower, upper = np.minimum(lower, len(power)), np.minimum(upper, len(power))
    # The sums between consecutive block edges (one pass over the samples, not a running sum of them
    # all), then each block's as the sum of those it spans.
    edges = np.unique(np.concatenate(([0, len(power)], lower, upper)))
    pieces = np.add.reduceat(power, edges[:-1]) if len(power) else np.zeros(0)
    total = np.concatenate(([0.0], np.cumsum(pieces)))
    z = (total[np.searchsorted(edges, upper)] - total[np.searchsorted(edges, lower)]) / (block * rate)
    with np.errstate(divide="ignore"):
        level = -0.691 + 10 * np.log10(z)
    above = level >= -70.0
    if not above.any():
        return float("-inf")
    relative = -0.691 + 10 * np.log10(z[above].mean()) - 10.0
    kept = (level > relative) & (level > -70.0)
    return float(-0.691 + 10 * np.log10(z[kept].mean())) if kept.any() else float("-inf")


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
    gain = needed.copy()
    # Both filters reach ``half`` either side: away from the peaks over the ceiling the gain is 1,
    # so only the stretches within ``2 * half`` of them (and as much again, for context) are filtered.
    for a, b in _stretches(np.flatnonzero(needed < 1.0), 4 * half + 2, len(needed)):
        held = minimum_filter1d(needed[a:b], size=2 * half + 1, mode="nearest")
        gain[a:b] = np.minimum(uniform_filter1d(held, size=2 * half + 1, mode="nearest"), needed[a:b])
    return gain


def _stretches(indices: np.ndarray, margin: int, length: int) -> list[tuple[int, int]]:
    """The sorted ``indices`` widened by ``margin`` either side, overlapping ones merged, within ``length``."""
    if indices.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(indices) > 2 * margin)
    starts = np.concatenate(([indices[0]], indices[breaks + 1]))
    ends = np.concatenate((indices[breaks], [indices[-1]]))
    return [(max(0, int(a) - margin), min(length, int(b) + margin + 1)) for a, b in zip(starts, ends, strict=True)]


def normalise(
    audio: np.ndarray, rate: int, target: LoudnessTarget, peaks: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, float]]:
    """``audio`` (samples x channels, float) at the target loudness under the true-peak ceiling.

    ``peaks``: ``sample_peaks(audio)`` when the caller has it already (an episode's, from its shots'
    kept peaks: ``stages.assembly.peaks``).

    Returns the new samples and the figures: loudness and true peak before (``input_lufs``,
    ``input_true_peak``), the gain, and the loudness after (``output_lufs``). The true peaks are
    measured once: a gain scales them, and the limiter's gain changes too slowly (over milliseconds)
    for the oversampling filter to see it. Raises :class:`SilentAudio` when there is nothing to measure.
    """
    source = audio.astype(np.float32)
    power = k_weighted_power(source, rate)  # filtered once; each gain's loudness is measured from it
    measured = gated_loudness(power, rate)
    if not np.isfinite(measured):
        raise SilentAudio("the audio is silent; nothing to normalise")
    peaks = sample_peaks(source) if peaks is None else peaks
    gain_db, out, loudness = target.integrated_lufs - measured, source, measured
    for _ in range(GAIN_ROUNDS):
        gain = np.float32(10 ** (gain_db / 20))
        limiter = limiter_gain(peaks * gain, target.peak_ceiling, rate)
        out = source * (limiter * gain)[:, None]
        if limiter.min() >= 1.0:  # one gain and nothing else: the loudness is known exactly
            loudness = measured + gain_db
            break
        loudness = gated_loudness(power * (limiter * gain) ** 2, rate)
        if abs(loudness - target.integrated_lufs) < 0.1:
            break
        gain_db += target.integrated_lufs - loudness
    figures = {"input_lufs": round(measured, 2), "input_true_peak": round(_db(float(peaks.max())), 2)}
    return out, figures | {"gain_db": round(gain_db, 2), "output_lufs": round(loudness, 2)}


def _db(value: float) -> float:
    return 20 * float(np.log10(value)) if value > 0 else float("-inf")
