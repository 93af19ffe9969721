import wave

import numpy as np
import pytest

from stages.errors import InputError
from stages.models import Character
from stages.params import Speaker
from stages.voice.espeak import EspeakVoice, cast_voice
from stages.voice.numerals import spoken_digits_zh


def test_wav_is_48k_mono_s16_with_measured_duration(voices, pcm, loudness):
    for voice in voices:
        with wave.open(str(voice.file())) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (48000, 1, 2)
            assert voice.meta["duration"] == pytest.approx(w.getnframes() / 48000, abs=0.001)
        assert voice.meta["duration"] > 0.5
        assert loudness(pcm(voice.file())) > 0.01


def test_line_starting_with_dash_is_spoken_not_parsed(voices):
    assert voices[1].meta["duration"] > 0.5  # "-{\\b1}回来。" went through -f, not argv


def test_characters_get_distinct_voices(sample):
    a, b = (cast_voice(Speaker.of(Character.model_validate(c)), "zh") for c in sample.CHARACTERS)
    assert (a.voice, a.pitch) != (b.voice, b.pitch)
    assert a.voice.endswith(("f1", "f2", "f3", "f4", "f5"))  # 女律师
    assert b.voice.endswith(("m1", "m2", "m3", "m4", "m5", "m6", "m7"))  # 男
    assert cast_voice(Speaker.of(Character.model_validate(sample.CHARACTERS[0])), "zh") == a  # stable


def test_different_pitch_gives_different_audio(stage_run, sample, tmp_path, pcm):
    line = {"id": "l1", "kind": "dialogue", "character": "x", "text": "你好"}
    outs = [
        stage_run(
            EspeakVoice(),
            {"job": sample.JOB, "line": line, "character": {"name": "x", "pitch": p, "voice": "m1"}},
            {},
            tmp_path / str(p),
        )
        for p in (20, 80)
    ]
    low, high = (pcm(o.file()) for o in outs)
    n = min(len(low), len(high))
    assert not np.allclose(low[:n], high[:n])


def test_spec_voice_and_bad_voice_name():
    assert cast_voice(Speaker(name="a", voice="f3"), "zh").voice == "cmn-latn-pinyin+f3"
    assert cast_voice(Speaker(name="a", voice="en-gb+m2"), "en").voice == "en-gb+m2"
    with pytest.raises(InputError, match=r"characters\.a\.voice"):
        cast_voice(Speaker(name="a", voice="--rm -rf"), "zh")


def test_years_and_long_numbers_read_digit_by_digit():
    spoken = spoken_digits_zh("2024年，电话13800138000，3个人")
    assert spoken == "二零二四年，电话一三八零零一三八零零零，3个人"
