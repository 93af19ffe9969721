"""Shot audio as exact samples, and the ambience bed."""

import numpy as np

from stages.models import Scene
from stages.mux.ambience import ambience_bed
from stages.mux.audio import shot_audio, shot_samples
from stages.voice.speech import write_wav

NIGHT_OUTSIDE = Scene(id="s1", heading="城墙 夜 外", time="night", interior=False)
ROOM = Scene(id="s2", heading="办公室 日 内", time="day", interior=True)


def test_sample_counts_are_whole_frames():
    assert shot_samples(30, 30) == 48_000
    assert shot_samples(1, 24) == 2000 and shot_samples(7, 25) == 7 * 1920


def test_voice_lands_on_its_sample(tmp_path):
    voice = np.zeros(4800, dtype=np.float32)
    voice[0] = 0.5  # a click at the voice's first sample
    write_wav(tmp_path / "v.wav", voice)
    mix = shot_audio([tmp_path / "v.wav"], [0.25], 48_000, None, "sh", ambience=False)
    assert mix.shape == (48_000, 2)
    assert np.flatnonzero(np.abs(mix[:, 0]) > 0.4).tolist() == [12_000]
    assert mix[12_000, 0] == mix[12_000, 1]  # centred


def test_voice_past_the_shot_end_is_cut_not_grown(tmp_path):
    write_wav(tmp_path / "v.wav", np.full(48_000, 0.1, dtype=np.float32))
    assert len(shot_audio([tmp_path / "v.wav"], [0.5], 24_000, None, "sh", ambience=False)) == 24_000


def test_ambience_is_quiet_never_silent_deterministic_and_differs_by_place():
    night = ambience_bed(NIGHT_OUTSIDE, "sh1", 48_000, 48_000)
    room = ambience_bed(ROOM, "sh1", 48_000, 48_000)
    assert np.array_equal(night, ambience_bed(NIGHT_OUTSIDE, "sh1", 48_000, 48_000))
    for bed in (night, room):
        level = 20 * np.log10(np.sqrt(np.mean(bed**2)))
        assert -60 < level < -35
    spectrum_room = np.abs(np.fft.rfft(room[:, 0]))
    spectrum_night = np.abs(np.fft.rfft(night[:, 0]))
    high = slice(len(spectrum_room) // 4, None)  # above 6 kHz: wind and crickets, little room tone
    assert spectrum_night[high].sum() / spectrum_night.sum() > 2 * spectrum_room[high].sum() / spectrum_room.sum()


def test_bed_fades_at_the_cut():
    bed = ambience_bed(ROOM, "sh1", 4800, 48_000)
    assert abs(bed[0]).max() == 0.0 and abs(bed[-1]).max() == 0.0
