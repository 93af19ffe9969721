"""Profiles: every stage's options typed by its backend as the profile loads, errors at file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import orchestrator.commands.front
import orchestrator.commands.running  # noqa: F401
from orchestrator.cli import app
from orchestrator.config import Profile, load_profile, profile_schema
from stages.errors import InputError
from stages.motion.kenburns import KenBurnsOptions
from stages.registry import BACKENDS, options_class
from tests.conftest import EXAMPLES, REPO

runner = CliRunner()
DATONG = str(EXAMPLES / "datong-wall" / "job.yaml")
LOCAL = "name: t\nstages:\n  storyboard:\n    backend: rules\n  motion:\n    backend: kenburns\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", sorted((REPO / "configs").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_profiles_load_with_typed_options(path):
    profile = load_profile(path)
    for stage, settings in profile.stages.items():
        assert type(settings.options) is options_class(stage, settings.backend)


def test_options_keep_what_the_profile_set_and_show_defaults_typed():
    profile = load_profile(REPO / "configs" / "local.yaml")
    motion = profile.stage("motion").options
    assert isinstance(motion, KenBurnsOptions)
    assert (motion.clip_seconds, motion.upscale) == (4.0, 2)  # clips are lossless: no crf to choose
    assert motion.key_settings() == {"clip_seconds": 4.0}  # only what the profile wrote enters keys


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("{clip_secnds: 4}", ":7: stages.motion.options.clip_secnds: unknown key"),
        ("{clip_seconds: soon}", ":7: stages.motion.options.clip_seconds: Input should be a valid number"),
        ("{upscale: 99}", ":7: stages.motion.options.upscale: Input should be less than or equal to 8"),
    ],
)
def test_a_bad_option_names_file_line_and_field(tmp_path, options, expected):
    path = write(tmp_path, LOCAL + f"    options: {options}\n")
    with pytest.raises(InputError) as err:
        load_profile(path)
    assert str(err.value).startswith(f"{path}{expected}")


def test_options_are_checked_per_backend(tmp_path):
    """``steps`` is a diffusers option; the Ken Burns backend refuses it."""
    path = write(tmp_path, LOCAL + "    options: {steps: 4}\n")
    with pytest.raises(InputError, match=r"stages\.motion\.options\.steps: unknown key"):
        load_profile(path)
    path = write(tmp_path, LOCAL.replace("kenburns", "diffusers") + "    options: {steps: 4, model: tiny:ltx}\n")
    assert load_profile(path).stage("motion").options.steps == 4


def test_unknown_backend_and_stage_fail_at_load(tmp_path):
    path = write(tmp_path, LOCAL.replace("kenburns", "kenbruns") + "  motoin:\n    backend: kenburns\n")
    with pytest.raises(InputError) as err:
        load_profile(path)
    text = str(err.value)
    # Other tests' fake backends may be registered too (``fake_profile``): the message lists what is.
    known = ", ".join(sorted(name for stage, name in BACKENDS if stage == "motion"))
    assert {"diffusers", "kenburns"} <= set(known.split(", "))
    assert f"{path}:6: stages.motion.backend: no backend 'kenbruns' for stage 'motion' (known: {known})" in text
    assert f"{path}:7: stages.motoin: no stage 'motoin' (stages: assembly, character" in text


def test_cli_exits_2_on_a_misspelt_option_without_traceback(tmp_path):
    path = write(tmp_path, LOCAL + "    options: {clip_secnds: 4}\n")
    result = runner.invoke(app, ["plan", DATONG, "--config", str(path)])
    assert result.exit_code == 2
    assert f"{path}:7: stages.motion.options.clip_secnds: unknown key" in result.stderr
    assert "Traceback" not in result.output


def test_profiles_built_in_code_are_typed_too():
    profile = Profile(name="p", stages={"motion": {"backend": "kenburns", "options": {"upscale": 2}}})
    assert profile.stage("motion").options.upscale == 2
    with pytest.raises(ValueError, match="upscale"):
        Profile(name="p", stages={"motion": {"backend": "kenburns", "options": {"upscale": 0}}})


def test_pool_batch_size_defaults_to_the_backends():
    profile = load_profile(REPO / "configs" / "tiny.yaml")
    assert profile.stage("keyframe").pool.batch_size == 2  # the profile's
    assert profile.stage("character").pool.batch_size == 1  # the backend's declared batch_size


def test_schema_shows_every_backends_options_and_defaults():
    schema = profile_schema()
    definitions = schema["$defs"]
    for stage, backend in BACKENDS:
        settings = definitions[f"{stage.title()}{backend.title()}Settings"]
        assert settings["properties"]["backend"]["const"] == backend
    kenburns = definitions["KenBurnsOptions"]
    assert kenburns["additionalProperties"] is False
    assert kenburns["properties"]["clip_seconds"]["default"] == 4.0
    assert definitions["ImageToVideoOptions"]["properties"]["steps"]["default"] == 8
    result = runner.invoke(app, ["schema", "--profile"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$defs"]["KenBurnsOptions"] == kenburns
