import re
import subprocess

import numpy as np
import pytest

from stages.media.loudness import (
    LOOKAHEAD_SECONDS,
    LoudnessTarget,
    SilentAudio,
    gated_loudness,
    integrated_loudness,
    k_weighted_power,
    limiter_gain,
    normalise,
    true_peak_db,
)
from stages.voice.speech import write_wav

RATE = 48_000


def speechlike(seconds: float = 8.0, level: float = 0.05, seed: int = 3) -> np.ndarray:
    """Noise bursts of varying level with gaps and a few sharp clicks: a peaky, speech-like programme."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    envelope = np.repeat(rng.uniform(0.0, 1.0, n // 2400 + 1) > 0.3, 2400)[:n] * rng.uniform(0.3, 1.0)
    mono = rng.normal(0.0, level, n) * envelope
    mono[rng.integers(0, n, 12)] = 0.6  # clicks: the peaks the limiter must catch
    return np.stack([mono, mono * 0.9], axis=1).astype(np.float32)


def ffmpeg_ebur128(path) -> tuple[float, float]:
    log = subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path)),
            *("-af", "ebur128=peak=true", "-f", "null", "-"),
        ],
        capture_output=True,
        check=True,
    ).stderr.decode()
    summary = log[log.rfind("Summary:") :]
    loud = float(re.search(r"I:\s*(-?[\d.]+)\s*LUFS", summary).group(1))
    peak = float(re.search(r"True peak:\s*Peak:\s*(-?[\d.]+)\s*dBFS", summary, re.S).group(1))
    return loud, peak


@pytest.mark.parametrize("level", [0.01, 0.05, 0.2])
def test_reaches_the_target_under_the_ceiling(level):
    target = LoudnessTarget(-14.0, -1.0)
    out, figures = normalise(speechlike(level=level), RATE, target)
    assert abs(integrated_loudness(out, RATE) + 14.0) <= 0.2
    assert true_peak_db(out) <= target.true_peak_dbtp - 0.4  # the encoder's headroom kept
    assert figures["input_lufs"] < figures["output_lufs"] + 30


def test_agrees_with_ffmpeg_ebur128(tmp_path):
    out, _ = normalise(speechlike(), RATE, LoudnessTarget(-14.0, -1.0))
    write_wav(tmp_path / "out.wav", out, RATE)
    loud, peak = ffmpeg_ebur128(tmp_path / "out.wav")
    assert abs(loud + 14.0) <= 0.3
    assert peak <= -1.0


def test_the_limiter_leaves_quiet_passages_alone():
    audio = speechlike(level=0.01)
    out, _ = normalise(audio, RATE, LoudnessTarget(-14.0, -1.0))
    ratio = np.abs(out[:, 0]) / np.maximum(np.abs(audio[:, 0]), 1e-9)
    quiet = np.abs(audio[:, 0]) > 1e-4
    assert np.median(ratio[quiet]) == pytest.approx(ratio[quiet].max(), rel=0.05)  # one gain almost everywhere


def test_silence_is_refused():
    with pytest.raises(SilentAudio):
        normalise(np.zeros((RATE * 2, 2), dtype=np.float32), RATE, LoudnessTarget())


@pytest.mark.parametrize("seconds", [0.5, 3.3, 8.0])
def test_gating_the_power_once_filtered_is_pyloudnorms_measure(seconds):
    audio = speechlike(seconds=seconds)
    assert gated_loudness(k_weighted_power(audio, RATE), RATE) == pytest.approx(
        integrated_loudness(audio, RATE), abs=1e-6
    )
    assert gated_loudness(np.zeros(RATE // 10), RATE) == float("-inf")  # shorter than a block


def test_the_limiter_filters_only_near_its_peaks_and_gives_the_whole_programme_s_gain():
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    rng = np.random.default_rng(3)
    peaks = np.abs(rng.standard_normal(480_000)).astype(np.float32) * 0.2
    peaks[[1000, 1100, 250_000, 479_990]] = 2.0  # near the start, close together, alone, at the very end
    half = round(LOOKAHEAD_SECONDS * 48_000)
    needed = np.minimum(1.0, 0.8 / np.maximum(peaks, 1e-12))
    whole = np.minimum(
        uniform_filter1d(minimum_filter1d(needed, size=2 * half + 1, mode="nearest"), 2 * half + 1, mode="nearest"),
        needed,
    )
    gain = limiter_gain(peaks, 0.8, 48_000)
    assert np.allclose(gain, whole, rtol=0, atol=1e-6)
    assert (gain * peaks <= 0.8 + 1e-6).all()
