"""``validate`` catches what ``run`` would fail on: music, reference images and voices are probed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from orchestrator.config import load_profile
from orchestrator.frontend import characters_for, load
from orchestrator.probes import MAX_REFERENCE_SIDE, music_problem, probe_inputs, reference_problem
from stages.errors import InputError

SCRIPT = "第1集\n林晚：你好。\n"


def job_with(tmp_path: Path, extra: str):
    (tmp_path / "script.txt").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "job.yaml").write_text("studio: s\ntitle: t\nscript: script.txt\n" + extra, encoding="utf-8")
    job, script, _ = load(tmp_path / "job.yaml")
    return job, script


def probe_problem(tmp_path: Path, extra: str) -> str:
    job, script = job_with(tmp_path, extra)
    characters, _ = characters_for(job, script)
    with pytest.raises(InputError) as err:
        probe_inputs(job, characters, load_profile(None), script.language)
    return str(err.value)


def test_music_that_is_not_audio_is_named_at_its_line(tmp_path):
    (tmp_path / "m.mp3").write_text("not audio at all")
    message = probe_problem(tmp_path, "music: {path: m.mp3}\n")
    assert message.startswith(f"{tmp_path / 'job.yaml'}:4: music.path: music file cannot be decoded")


def test_a_picture_is_not_music(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "m.png")
    assert music_problem(tmp_path / "m.png") == "music file has no audio stream"


def test_real_music_passes(tmp_path):
    path = tmp_path / "m.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=1", str(path)], check=True)
    assert music_problem(path) is None


def test_reference_images_are_decoded_and_bounded(tmp_path):
    good, text, huge = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    Image.new("RGB", (16, 16)).save(good)
    text.write_text("not a png")
    Image.new("1", (MAX_REFERENCE_SIDE + 1, 1)).save(huge)
    assert reference_problem(good) is None
    assert reference_problem(text).startswith("reference image cannot be decoded")
    assert "at most 8192 pixels a side" in reference_problem(huge)
    Image.new("RGB", (4, 4)).save(tmp_path / "d.gif")
    assert reference_problem(tmp_path / "d.gif") == "reference image is GIF; use PNG, JPEG, WEBP"


def test_a_bad_reference_is_named_at_its_line(tmp_path):
    (tmp_path / "ref.png").write_text("nope")
    message = probe_problem(tmp_path, "characters:\n  林晚: {reference: ref.png}\n")
    assert f"{tmp_path / 'job.yaml'}:5: characters.林晚.reference: reference image cannot be decoded" in message


@pytest.mark.parametrize(
    "voice,expected",
    [
        ("xx-nowhere", "espeak-ng has no voice 'xx-nowhere'"),
        ("cmn-latn-pinyin+zz9", "espeak-ng has no variant 'zz9'"),
    ],
)
def test_voices_are_resolved_against_espeak(tmp_path, voice, expected):
    message = probe_problem(tmp_path, f"characters:\n  林晚: {{voice: '{voice}'}}\n")
    assert f"{tmp_path / 'job.yaml'}:5: characters.林晚.voice: {expected}" in message


def test_known_voices_pass(tmp_path):
    job, script = job_with(tmp_path, "characters:\n  林晚: {voice: en-gb+f3}\n")
    characters, _ = characters_for(job, script)
    probe_inputs(job, characters, load_profile(None), script.language)  # no error
