"""The episode's sound made from the voices alone: the muxes' very samples, copied into the episode,
and measured once for the gates, who use that measurement only for the packets it was made of."""

import dataclasses
import subprocess

import numpy as np
import pytest

from stages.assembly.episode import EpisodeAssembly, shot_pcm_sha256
from stages.base import Artifact
from stages.gates.stage import QualityGates
from stages.media.packets import audio_fingerprint
from stages.sound.episode import EpisodeSound


def _pcm(path):
    """The file's first audio stream decoded to 16-bit stereo at 48 kHz."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "s16le", "-ac", "2", "-ar", "48000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2")


@pytest.fixture(scope="module")
def made(stage_run, sample, voices, muxes, subtitles, keyframes, tmp_path_factory):
    root = tmp_path_factory.mktemp("sound")
    shots = [
        {"id": s["id"], "duration": s["duration"], "lines": len(s["lines"]), "scene": sample.SCENE}
        for s in sample.SHOTS
    ]
    params = {"job": sample.JOB, "episode": sample.EPISODE, "music": None, "shots": shots, "ambience": True}
    sound = stage_run(EpisodeSound(), params, {"voices": voices}, root / "sound")
    inputs = {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]}
    head = {"job": sample.JOB, "episode": sample.EPISODE, "music": None}
    episode = stage_run(EpisodeAssembly(), head, {**inputs, "sound": sound}, root / "episode")
    return sound, episode, root


def test_the_sound_is_the_muxes_sound_sample_for_sample(made, muxes):
    sound, _, _ = made
    assert [s["samples"] for s in sound.meta["shots"]] == [m.meta["samples"] for m in muxes]
    assert [s["pcm_sha256"] for s in sound.meta["shots"]] == [shot_pcm_sha256(m) for m in muxes]
    assert sound.meta["samples"] == sum(m.meta["samples"] for m in muxes)


def test_the_episode_carries_the_sound_s_packets_unchanged(made):
    sound, episode, _ = made
    assert episode.meta["sound"] == sound.key
    assert audio_fingerprint(episode.file(), "episode") == sound.meta["fingerprint"]
    assert np.array_equal(_pcm(episode.file()), _pcm(sound.file()))  # the very samples it measured
    assert abs(episode.meta["loudness_output_lufs"] - sound.meta["loudness_output_lufs"]) == 0


def test_the_assembly_refuses_a_sound_not_made_of_its_shots(made, stage_run, sample, muxes, subtitles, keyframes):
    sound, _, root = made
    shots = [dict(s) for s in sound.meta["shots"]]
    shots[0]["pcm_sha256"] = "0" * 64
    forged = dataclasses.replace(sound, meta={**sound.meta, "shots": shots})
    inputs = {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0], "sound": forged}
    with pytest.raises(Exception, match="is not its mux's"):
        stage_run(
            EpisodeAssembly(), {"job": sample.JOB, "episode": sample.EPISODE, "music": None}, inputs, root / "forged"
        )


def _gates(stage_run, sample, episode, subtitles, out, sound=None):
    inputs = {"episode": episode, "subtitles": subtitles} | ({"sound": sound} if sound is not None else {})
    return stage_run(QualityGates(), {"job": sample.JOB, "episode": sample.EPISODE}, inputs, out)


def test_the_gates_use_the_sound_s_measurement_only_of_the_packets_it_measured(made, stage_run, sample, subtitles):
    sound, episode, root = made
    reused = _gates(stage_run, sample, episode, subtitles, root / "g1", sound)
    fresh = _gates(stage_run, sample, episode, subtitles, root / "g2")
    assert reused.meta["sound_measured"].startswith("by the sound stage")
    assert fresh.meta["sound_measured"] == "here, from the file"
    assert reused.meta["passed"], reused.meta["failed"]
    assert reused.meta["gates"] == fresh.meta["gates"]  # the same numbers, one decode fewer
    # A sound whose packets are not the delivered ones (another encode) proves nothing: measured here.
    other = {**sound.meta["fingerprint"], "packets_sha256": "0" * 64}
    lying = {**sound.meta["analysis"], "integrated_lufs": -14.0, "true_peak_dbtp": -30.0}
    forged = Artifact(sound.key, sound.path, {**sound.meta, "fingerprint": other, "analysis": lying})
    checked = _gates(stage_run, sample, episode, subtitles, root / "g3", forged)
    assert checked.meta["sound_measured"] == "here, from the file"
    assert checked.meta["gates"] == fresh.meta["gates"]
