from stages.media.probe import probe
from stages.timing import shot_layout


def test_shot_stretches_to_fit_its_voices(muxes, voices, sample):
    planned, offsets = shot_layout(sample.SHOTS[0]["duration"], [v.meta["duration"] for v in voices])
    assert planned > sample.SHOTS[0]["duration"]  # the voices need longer than planned
    info = probe(muxes[0].file())
    fps = sample.JOB["fps"]
    assert abs(info.duration - planned) <= 1 / fps + 0.03
    assert (info.width, info.height, info.fps) == (180, 320, fps)
    assert info.has_audio and info.sample_rate == 48000
    assert muxes[0].meta["offsets"] == offsets


def test_voices_sound_at_their_offsets_and_not_before(muxes, voices, pcm, loudness):
    audio = pcm(muxes[0].file())
    rate = 16000
    offsets = muxes[0].meta["offsets"]
    lead_in = audio[: int(offsets[0] * rate) - 800]
    assert loudness(lead_in) < 0.002
    first = audio[int(offsets[0] * rate) : int((offsets[0] + voices[0].meta["duration"]) * rate)]
    assert loudness(first) > 0.01
    # normalize=0: the mixed voice is as loud as the voice alone (amix would otherwise halve it)
    alone = pcm(voices[0].file())
    assert loudness(first) > 0.7 * loudness(alone)


def test_shot_without_lines_is_silent_and_keeps_its_length(muxes, sample, pcm, loudness):
    info = probe(muxes[1].file())
    assert abs(info.duration - sample.SHOTS[1]["duration"]) <= 1 / sample.JOB["fps"] + 0.03
    assert loudness(pcm(muxes[1].file())) < 1e-4
