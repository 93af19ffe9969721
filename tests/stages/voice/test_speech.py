"""Speech measured inside a voice clip: trimmed ends, the audible span, pauses."""

import numpy as np

from stages.voice.speech import find_speech, trim_to_speech

RATE = 48_000


def _clip(*parts: tuple[str, float]) -> np.ndarray:
    """Silence and 300 Hz tone segments: ("s", seconds) or ("t", seconds)."""
    out = []
    for kind, seconds in parts:
        n = round(seconds * RATE)
        t = np.arange(n) / RATE
        out.append(0.5 * np.sin(2 * np.pi * 300 * t) if kind == "t" else np.zeros(n))
    return np.concatenate(out).astype(np.float32)


def test_trailing_and_leading_silence_are_cut():
    clip = _clip(("s", 0.2), ("t", 1.0), ("s", 0.45))
    trimmed, speech = trim_to_speech(clip, RATE, 0.3)
    assert abs(len(trimmed) / RATE - 1.06) < 0.02  # the speech plus 30 ms each side
    assert abs(speech.start - 0.03) <= 0.011 and abs(speech.end - 1.03) <= 0.011


def test_pauses_inside_speech_are_found():
    clip = _clip(("t", 0.5), ("s", 0.3), ("t", 0.4))
    found = find_speech(clip, RATE)
    assert found is not None and len(found.pauses) == 1
    start, end = found.pauses[0]
    assert abs(start - 0.5) <= 0.011 and abs(end - 0.8) <= 0.011


def test_a_soft_tail_is_kept_in_the_clip_but_not_in_the_cue():
    loud, soft = _clip(("t", 0.6)), _clip(("t", 0.3)) * 10 ** (-32 / 20)
    trimmed, speech = trim_to_speech(np.concatenate([loud, soft, _clip(("s", 0.3))]), RATE, 0.3)
    assert len(trimmed) / RATE > 0.9  # the fade stays audible in the clip
    assert abs(speech.end - 0.6) <= 0.011  # the cue ends where the clearly audible speech does


def test_silent_clip_keeps_a_beat():
    trimmed, speech = trim_to_speech(np.zeros(RATE, dtype=np.float32), RATE, 0.3)
    assert len(trimmed) == round(0.3 * RATE) and (speech.start, speech.end) == (0.0, 0.3)
