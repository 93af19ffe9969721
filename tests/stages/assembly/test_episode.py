import subprocess

import numpy as np
import pytest
from PIL import Image

from stages.assembly.episode import EpisodeAssembly
from stages.media.probe import probe


@pytest.fixture(scope="module")
def episode(stage_run, muxes, subtitles, keyframes, sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("odd 'name', with: colon") / "episode"
    return stage_run(
        EpisodeAssembly({"crf": 30, "preset": "ultrafast"}),
        {"job": sample.JOB, "episode": sample.EPISODE, "music": None},
        {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]},
        out,
    )


def test_episode_joins_the_shots_with_sound(episode, muxes, sample):
    info = probe(episode.file())
    expected = sum(m.meta["duration"] for m in muxes)
    assert abs(info.duration - expected) <= 0.1
    assert (info.width, info.height) == (180, 320)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert episode.meta["shots"] == len(sample.SHOTS)


def test_cover_and_srt_beside_the_video(episode, subtitles):
    assert Image.open(episode.file("cover.jpg")).size == (180, 320)
    assert episode.file("episode.srt").read_text() == subtitles.file("episode.srt").read_text()


def test_subtitles_are_burned_in(stage_run, muxes, subtitles, keyframes, sample, episode, tmp_path):
    plain = stage_run(
        EpisodeAssembly({"crf": 30, "preset": "ultrafast", "burn_subtitles": False}),
        {"job": sample.JOB, "episode": sample.EPISODE, "music": None},
        {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]},
        tmp_path / "plain",
    )
    t = muxes[0].meta["offsets"][0] + 0.3

    def grab(path):
        args = [
            "ffmpeg",
            "-v",
            "error",
            "-ss",
            f"{t}",
            "-i",
            str(path),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ]
        return subprocess.run(args, capture_output=True, check=True).stdout

    burned, clean = grab(episode.file()), grab(plain.file())
    differing = sum(1 for a, b in zip(burned, clean, strict=True) if abs(a - b) > 40)
    assert differing > 100  # white text with a black outline over the picture


@pytest.mark.slow
def test_music_bed_is_ducked_under_speech(stage_run, muxes, subtitles, keyframes, sample, tmp_path, pcm):
    import hashlib

    music = tmp_path / "bed.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=220:duration=1.5", str(music)], check=True
    )
    params = {
        "job": sample.JOB,
        "episode": sample.EPISODE,
        "music": {
            "path": str(music),
            "sha256": hashlib.sha256(music.read_bytes()).hexdigest(),
            "volume": 0.5,
            "duck": True,
        },
    }
    art = stage_run(
        EpisodeAssembly({"preset": "ultrafast"}),
        params,
        {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]},
        tmp_path / "music",
    )
    audio = pcm(art.file())
    rate = 16000
    total = sum(m.meta["duration"] for m in muxes)
    assert abs(len(audio) / rate - total) < 0.1  # the 1.5 s bed loops to the episode's length
    tail = audio[int((total - 0.6) * rate) :]  # the last shot has no voices: the bed alone
    offset = muxes[0].meta["offsets"][0]
    speech = audio[int((offset + 0.2) * rate) : int((offset + 0.8) * rate)]
    assert tone_level(tail, rate) > 0.01  # the bed plays where nobody speaks
    assert tone_level(speech, rate) < 0.6 * tone_level(tail, rate)  # and ducks under the voice


def tone_level(samples, rate, frequency=220.0):
    """Amplitude of the bed's sine in ``samples`` (the voice has little energy at exactly 220 Hz)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) / len(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[np.abs(freqs - frequency) < 4].max())
