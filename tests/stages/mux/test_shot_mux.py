import numpy as np

from stages.media.probe import probe
from stages.timing import shot_layout
from stages.voice.speech import read_wav
from tests.stages.frames import grey_frame


def test_shot_stretches_to_whole_frames_and_exact_samples(muxes, voices, sample):
    fps = sample.JOB["fps"]
    seconds, offsets = shot_layout(sample.SHOTS[0]["duration"], [v.meta["duration"] for v in voices], fps)
    assert seconds > sample.SHOTS[0]["duration"]  # the voices need longer than planned
    info = probe(muxes[0].file())
    assert info.frames == muxes[0].meta["frames"] == round(seconds * fps)
    assert (info.width, info.height, info.fps) == (180, 320, fps)
    assert not info.has_audio  # the sound travels as PCM beside the picture
    audio, rate = read_wav(muxes[0].file("shot.wav"))
    assert rate == 48000 and len(audio) == muxes[0].meta["samples"] == muxes[0].meta["frames"] * 48000 // fps
    assert muxes[0].meta["offsets"] == offsets


def test_voices_sound_at_their_offsets_centred_at_full_level(muxes, voices):
    import wave

    with wave.open(str(muxes[0].file("shot.wav"))) as w:
        assert w.getnchannels() == 2
        stereo = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2) / 32768.0
    first, _ = read_wav(voices[0].file())
    start = round(muxes[0].meta["offsets"][0] * 48000)
    placed = stereo[start : start + len(first)]
    # both channels carry the voice at full level (the bed under it is 40 dB down)
    for channel in (0, 1):
        assert np.corrcoef(placed[:, channel], first)[0, 1] > 0.99
        assert abs(np.std(placed[:, channel]) / np.std(first) - 1) < 0.02
    lead_in = stereo[: start - 480]
    assert 1e-4 < np.sqrt(np.mean(lead_in**2)) < 0.01  # room tone before the line: quiet, never digital silence


def test_shot_without_lines_keeps_its_length_and_has_ambience(muxes, sample):
    info = probe(muxes[1].file())
    fps = sample.JOB["fps"]
    assert info.frames == round(sample.SHOTS[1]["duration"] * fps)
    audio, _ = read_wav(muxes[1].file("shot.wav"))
    assert len(audio) == info.frames * 48000 // fps
    assert np.sqrt(np.mean(audio**2)) > 1e-4


def test_text_is_burned_after_the_move_inside_the_safe_area(muxes):
    from stages.params import JobContext
    from stages.subtitles.layout import inside, text_layout
    from tests.stages.conftest import JOB

    layout = text_layout(JobContext.model_validate(JOB))
    kinds = {t["kind"] for t in muxes[0].meta["text"]}
    assert {"label", "header", "caption", "subtitle"} <= kinds
    assert all(inside(tuple(t["box"]), layout.safe) for t in muxes[0].meta["text"])
    # the burned text changes the picture where the subtitle box is
    cue_start = muxes[0].meta["cues"][0][0]
    frame = grey_frame(muxes[0].file(), at=cue_start + 0.05)
    box = next(t["box"] for t in muxes[0].meta["text"] if t["kind"] == "subtitle")
    region = frame[box[1] : box[3], box[0] : box[2]]
    before = grey_frame(muxes[0].file(), at=0.1)[box[1] : box[3], box[0] : box[2]]  # before the first cue
    # white text with a black outline (12 px glyphs: anti-aliased, few pixels reach full white)
    assert (region > 200).sum() > 20 and (region < 40).sum() > 20
    assert (before > 200).sum() < 5  # and no white there before the cue
