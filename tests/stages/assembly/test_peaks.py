"""An episode's true peaks from its shots' kept peaks: bit for bit the whole episode's, and an edit
oversamples only the stretch it changed."""

import numpy as np
import pytest

from stages.assembly.peaks import episode_peaks
from stages.media.loudness import sample_peaks
from stages.parts import Parts

LENGTHS = [48_000, 7, 30_001, 40, 96_000]  # shots shorter than the context around a cut too


@pytest.fixture
def audio() -> np.ndarray:
    rng = np.random.default_rng(12)
    return (rng.standard_normal((sum(LENGTHS), 2)) * 0.3).astype(np.float32)


def test_the_same_peaks_as_the_whole_episode(audio, tmp_path):
    peaks, made = episode_peaks(audio, LENGTHS, Parts(tmp_path, "assembly"))
    assert made == len(LENGTHS)
    assert np.array_equal(peaks, sample_peaks(audio))


def test_an_edit_oversamples_only_its_shot(audio, tmp_path):
    parts = Parts(tmp_path, "assembly")
    episode_peaks(audio, LENGTHS, parts)
    edited = audio.copy()
    start = sum(LENGTHS[:2])
    edited[start : start + LENGTHS[2]] *= 1.7  # the third shot's sound changed, the rest as it was
    peaks, made = episode_peaks(edited, LENGTHS, parts)
    assert made == 1
    assert np.array_equal(peaks, sample_peaks(edited))


def test_sound_not_cut_as_the_shots_is_measured_whole(audio, tmp_path):
    peaks, made = episode_peaks(audio, [len(audio) - 5], Parts(tmp_path, "assembly"))
    assert made == 1 and np.array_equal(peaks, sample_peaks(audio))


def test_without_a_store_nothing_is_kept(audio):
    parts = Parts(None, "assembly")
    assert episode_peaks(audio, LENGTHS, parts)[1] == len(LENGTHS)
    assert episode_peaks(audio, LENGTHS, parts)[1] == len(LENGTHS)
