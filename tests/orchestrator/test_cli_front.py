"""``kaipai schema``, ``validate`` and ``storyboard`` through the real CLI app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from tests.conftest import EXAMPLES

runner = CliRunner()
DATONG = str(EXAMPLES / "datong-wall" / "job.yaml")
FOUNTAIN = str(EXAMPLES / "fountain-short" / "job.yaml")


def test_schema_is_json_schema_of_the_spec():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"studio", "title", "script"} <= set(schema["required"])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("job", [DATONG, FOUNTAIN])
def test_validate_examples(job):
    result = runner.invoke(app, ["validate", job])
    assert result.exit_code == 0, result.output
    assert "ok " in result.stdout and "episode 1" in result.stdout and "warnings  0" in result.stdout


def test_storyboard_json_is_the_only_thing_on_stdout():
    result = runner.invoke(app, ["storyboard", DATONG, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] == "城墙之上" and [ep["id"] for ep in data["episodes"]] == ["ep01", "ep02"]
    shot = data["episodes"][0]["shots"][0]
    assert {"id", "scene", "size", "camera", "duration", "characters", "prompt", "lines"} <= set(shot)
    assert "城墙" in result.stdout  # ensure_ascii=False


def test_storyboard_table():
    result = runner.invoke(app, ["storyboard", FOUNTAIN])
    assert result.exit_code == 0, result.output
    assert all(part in result.stdout for part in ("The Last Tram", "sh001", "ep01-s02", "OLD MAN", "medium"))


def test_storyboard_config_option_and_bad_config(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("name: x\nstages:\n  storyboard:\n    backend: rules\n    options: {max_shoot: 3}\n")
    result = runner.invoke(app, ["storyboard", DATONG, "--json", "--config", str(config)])
    assert result.exit_code == 2
    assert "stages.storyboard.options.max_shoot" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("studio: s\ntitle: t\nscript: script.txt\nstyel: x\n", ":4: styel: unknown key"),
        ("studio: s\ntitle: t\nscript: missing.txt\n", ":3: script: script file 'missing.txt' not found"),
        ("studio: s\ntitle: t\nscript: ../x.txt\n", ":3: script: '../x.txt' is outside"),
        ("studio: s\ntitle: t\nscript: /tmp/x.txt\n", ":3: script: absolute paths are not allowed"),
        ("studio: s\ntitle: t\n  script: x\n", ":3: not valid YAML"),
    ],
)
def test_bad_specs_exit_2_with_file_line_and_no_traceback(tmp_path, spec, expected):
    (tmp_path / "script.txt").write_text("林晚：你好。", encoding="utf-8")
    path = tmp_path / "job.yaml"
    path.write_text(spec, encoding="utf-8")
    for command in (["validate", str(path)], ["storyboard", str(path), "--json"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert f"{path}{expected}" in result.stderr.replace("\n", "")
        assert result.stdout == "" and "Traceback" not in result.output


def test_bad_script_names_the_script_line(tmp_path):
    (tmp_path / "script.txt").write_text("第1集\n林晚：一。\n第1集\n", encoding="utf-8")
    path = tmp_path / "job.yaml"
    path.write_text("studio: s\ntitle: t\nscript: script.txt\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'script.txt'}:3: episode 1 appears twice" in result.stderr.replace("\n", "")


def test_undescribed_speaker_is_a_warning_not_an_error(tmp_path):
    (tmp_path / "script.txt").write_text("1-1 日 内 家\n林晚：你好。\n", encoding="utf-8")
    path = tmp_path / "job.yaml"
    path.write_text("studio: s\ntitle: t\nscript: script.txt\ncharacters:\n  顾沉: {appearance: x}\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    err = result.stderr.replace("\n", "")
    assert "林晚 is in the script but not described" in err
    assert f"{path}:5: characters.顾沉: never appears in the script" in err
