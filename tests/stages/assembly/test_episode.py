import subprocess

import numpy as np
import pytest
from PIL import Image

from stages.assembly.episode import EpisodeAssembly
from stages.assembly.labels import read_aigc
from stages.gates.measure import analyse, probe_streams
from stages.media.probe import probe


@pytest.fixture(scope="module")
def episode(stage_run, muxes, subtitles, keyframes, sample, tmp_path_factory):
    out = tmp_path_factory.mktemp("odd 'name', with: colon") / "episode"
    return stage_run(
        EpisodeAssembly(),
        {"job": sample.JOB, "episode": sample.EPISODE, "music": None},
        {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]},
        out,
    )


def test_episode_joins_the_shots_with_sound_that_cannot_drift(episode, muxes, sample):
    info = probe(episode.file())
    fps = sample.JOB["fps"]
    assert info.frames == sum(m.meta["frames"] for m in muxes) == episode.meta["frames"]
    assert (info.width, info.height) == (180, 320)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert episode.meta["shots"] == len(sample.SHOTS)
    streams = probe_streams(episode.file())
    assert abs(streams.audio_seconds - streams.video_seconds) <= 1 / fps


def test_pictures_are_copied_not_re_encoded(episode, muxes):
    """The episode decodes to the shots' frames, bit for bit: no second lossy encode."""
    assert _frame_hashes(episode.file()) == [h for m in muxes for h in _frame_hashes(m.file())]


def test_loudness_and_ai_label_metadata(episode):
    analysis = analyse(episode.file(), "test")
    assert abs(analysis.integrated_lufs - -14.0) <= 1.0
    assert analysis.true_peak_dbtp <= -1.0
    label = read_aigc(probe_streams(episode.file()).tags)
    assert label is not None and label["Label"] == "1" and label["ContentProducer"]


def test_cover_and_srt_beside_the_video(episode, subtitles):
    assert Image.open(episode.file("cover.jpg")).size == (180, 320)
    assert episode.file("episode.srt").read_text() == subtitles.file("episode.srt").read_text()


def _frame_hashes(path):
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [line.split(",")[-1].strip() for line in out.splitlines() if line and not line.startswith("#")]


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
        EpisodeAssembly(),
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
    assert tone_level(tail, rate) > 0.005  # the bed plays where nobody speaks
    assert tone_level(speech, rate) < 0.6 * tone_level(tail, rate)  # and ducks under the voice


def tone_level(samples, rate, frequency=220.0):
    """Amplitude of the bed's sine in ``samples`` (the voice has little energy at exactly 220 Hz)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) / len(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[np.abs(freqs - frequency) < 4].max())
