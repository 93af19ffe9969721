"""Finding speech in an episode's sound, under an ambience bed that swells."""

from __future__ import annotations

import numpy as np

from stages.gates.measure import ANALYSIS_RATE, speech_edges


def _tone(seconds: float, level_db: float, rng: np.random.Generator) -> np.ndarray:
    return (rng.standard_normal(int(seconds * ANALYSIS_RATE)) * 10 ** (level_db / 20)).astype(np.float32)


def test_a_gust_of_the_bed_within_25_db_of_a_quiet_voice_is_not_taken_for_speech():
    rng = np.random.default_rng(7)
    bed = _tone(1.0, -39, rng)
    gust = _tone(0.2, -31, rng)  # wind swelling: 23 dB under the voice
    voice = _tone(0.8, -8, rng)
    sound = np.concatenate([bed, gust, bed[:4000], voice, bed[:8000]])
    start, end = speech_edges(sound, (0.0, len(sound) / ANALYSIS_RATE))
    assert abs(start - 1.45) <= 0.02 and abs(end - 2.25) <= 0.02


def test_a_click_shorter_than_a_syllable_is_not_speech():
    rng = np.random.default_rng(3)
    sound = np.concatenate([_tone(0.5, -45, rng), _tone(0.015, -6, rng), _tone(0.5, -45, rng), _tone(0.6, -10, rng)])
    start, _ = speech_edges(sound, (0.0, len(sound) / ANALYSIS_RATE))
    assert abs(start - 1.015) <= 0.02
