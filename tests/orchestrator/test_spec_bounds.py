"""Strict types and bounds in job specs and profiles: each mistake named, with the allowed range."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.config import load_profile
from orchestrator.jobspec import load_job
from stages.errors import InputError

BASE = "studio: s\ntitle: t\nscript: script.txt\n"


def spec_problem(folder: Path, extra: str, script: str = "林晚：你好。\n") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.txt").write_text(script, encoding="utf-8")
    path = folder / "job.yaml"
    path.write_text(BASE + extra, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_job(path)
    return str(err.value)


@pytest.mark.parametrize(
    "extra,expected",
    [
        ("priority: true\n", "job.yaml:4: priority: Input should be a valid integer"),
        ("priority: 5.0\n", "job.yaml:4: priority: Input should be a valid integer"),
        ("priority: '5'\n", "job.yaml:4: priority: Input should be a valid integer"),
        ("priority: 10\n", "job.yaml:4: priority: Input should be less than or equal to 9"),
        ("fps: true\n", "job.yaml:4: fps: Input should be a valid integer"),
        ("fps: 1000\n", "job.yaml:4: fps: Input should be less than or equal to 60"),
        ("seed: -1\n", "job.yaml:4: seed: Input should be greater than or equal to 0"),
        ("seed: 99999999999999999999\n", "job.yaml:4: seed: Input should be less than or equal to 4294967295"),
        ("reading_speed: 1e-5\n", "job.yaml:4: reading_speed: Input should be greater than or equal to 0.5"),
        ("reading_speed: .inf\n", "job.yaml:4: reading_speed: Input should be less than or equal to 30"),
        ("reading_speed: .nan\n", "job.yaml:4: reading_speed:"),
        ("reading_speed: true\n", "job.yaml:4: reading_speed: a number is expected, not true/false"),
        ("resolution: [720.5, 1280]\n", "job.yaml:4: resolution.0: Input should be a valid integer"),
        ("episodes: [true]\n", "job.yaml:4: episodes.0: Input should be a valid integer"),
        ("music: {path: m.mp3, volume: 2}\n", "job.yaml:4: music.volume: Input should be less than or equal to 1"),
        ("music: {path: m.mp3, duck: 'yes'}\n", "job.yaml:4: music.duck: Input should be a valid boolean"),
        ("characters:\n  林晚: {pitch: 50.5}\n", "job.yaml:5: characters.林晚.pitch: Input should be a valid integer"),
        ("characters:\n  林晚: {seed: -3}\n", "job.yaml:5: characters.林晚.seed: Input should be greater than"),
        ("characters:\n  林晚: {speed: 9999}\n", "job.yaml:5: characters.林晚.speed: Input should be less than"),
    ],
)
def test_numbers_are_strict_and_bounded(tmp_path, extra, expected):
    assert expected in spec_problem(tmp_path, extra)


def test_reading_speed_inside_its_range_is_taken(tmp_path):
    (tmp_path / "script.txt").write_text("林晚：你好。\n", encoding="utf-8")
    (tmp_path / "job.yaml").write_text(BASE + "reading_speed: 4\n", encoding="utf-8")
    assert load_job(tmp_path / "job.yaml").spec.reading_speed == 4.0


@pytest.mark.parametrize(
    "extra,field",
    [
        ('style: "暖色\\e[31m"\n', "style"),
        ('characters:\n  "林\\x07晚": {}\n', "characters"),
        ('characters:\n  林晚: {appearance: "a\\x00b"}\n', "characters.林晚.appearance"),
    ],
)
def test_control_characters_in_text_fields_are_refused(tmp_path, extra, field):
    message = spec_problem(tmp_path, extra)
    assert f": {field}" in message and "control character U+" in message


def test_nul_in_the_title_names_the_field(tmp_path):
    (tmp_path / "script.txt").write_text("林晚：你好。\n", encoding="utf-8")
    (tmp_path / "job.yaml").write_text('studio: s\ntitle: "城墙\\0之上"\nscript: script.txt\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_job(tmp_path / "job.yaml")
    assert str(err.value) == "job.yaml:2: title: control character U+0000 at position 3 is not allowed here".replace(
        "job.yaml", str(tmp_path / "job.yaml")
    )


def test_control_character_in_a_script_file_names_its_line(tmp_path):
    message = spec_problem(tmp_path, "", script="第1集\n林晚：你好。\n陈砚：\x1b[2J再见\n")
    assert message.endswith("script.txt:3: control character U+001B is not allowed in a script")


def test_inline_script_keeps_line_breaks_but_not_nul(tmp_path):
    path = tmp_path / "job.yaml"
    path.write_text('studio: s\ntitle: t\nscript: "第1集\\n\\t林晚：你好。\\n"\n', encoding="utf-8")
    assert load_job(path).script_text == "第1集\n\t林晚：你好。"
    path.write_text('studio: s\ntitle: t\nscript: "第1集\\n林晚：你\\0好。\\n"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"job.yaml:3: script: control character U\+0000"):
        load_job(path)


def profile_problem(tmp_path: Path, text: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_profile(path)
    return str(err.value)


@pytest.mark.parametrize(
    "extra,expected",
    [
        ("retries: 1.5\n", "retries: Input should be a valid integer"),
        ("retries: 100\n", "retries: Input should be less than or equal to 10"),
        ("gate_rerolls: 6\n", "gate_rerolls: Input should be less than or equal to 5"),
        ("gate_rerolls: -1\n", "gate_rerolls: Input should be greater than or equal to 0"),
        ("ray: {num_cpus: true}\n", "ray.num_cpus: Input should be a valid integer"),
        ("ray: {object_store_memory: 10}\n", "ray.object_store_memory: Input should be greater than or equal to"),
        (
            "  mux: {backend: ffmpeg, pool: {batch_size: 0}}\n",
            "stages.mux.pool.batch_size: Input should be greater than or equal to 1",
        ),
        ("  mux: {backend: ffmpeg, resources: {num_gpus: .inf}}\n", "stages.mux.resources.num_gpus: Input should be"),
    ],
)
def test_profile_fields_are_strict_and_bounded(tmp_path, extra, expected):
    head = "name: p\nstages:\n  voice: {backend: espeak}\n"
    text = head + extra if extra.startswith("  ") else "name: p\n" + extra + "stages:\n  voice: {backend: espeak}\n"
    assert expected in profile_problem(tmp_path, text)
