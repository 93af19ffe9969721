"""Job spec validation: every mistake names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.frontend import load
from orchestrator.jobspec import load_job
from stages.errors import InputError


def write(folder: Path, spec: str, script: str | None = "林晚：你好。\n") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if script is not None:
        (folder / "script.txt").write_text(script, encoding="utf-8")
    path = folder / "job.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


def problem(path: Path) -> str:
    with pytest.raises(InputError) as err:
        load(path)
    return str(err.value)


def test_minimal_spec_has_defaults(tmp_path):
    job = load_job(write(tmp_path, "studio: s\ntitle: t\nscript: script.txt\n"))
    spec = job.spec
    assert (spec.final_aspect, spec.size, spec.final_fps, spec.episodes, spec.script_format) == (
        "9:16",
        (720, 1280),
        24,
        "all",
        "auto",
    )
    assert job.script_text == "林晚：你好。\n"


def test_unknown_key_names_its_line(tmp_path):
    path = write(tmp_path, "studio: s\ntitle: t\nscript: script.txt\ncharacters:\n  林晚:\n    apperance: x\n")
    assert problem(path) == f"{path}:6: characters.林晚.apperance: unknown key (check its spelling)"


def test_missing_field_and_bad_value(tmp_path):
    path = write(tmp_path, "studio: s\nscript: script.txt\naspect: 4:3\n")
    text = problem(path)
    assert "title: required field is missing" in text and f"{path}:3: aspect:" in text


def test_missing_script_file(tmp_path):
    path = write(tmp_path, "studio: s\ntitle: t\nscript: nope.txt\n", script=None)
    assert problem(path).startswith(f"{path}:3: script: script file 'nope.txt' not found")


@pytest.mark.parametrize("script", ["../x.txt", "/etc/passwd"])
def test_paths_outside_the_folder(tmp_path, script):
    (tmp_path / "x.txt").write_text("林晚：你好。", encoding="utf-8")
    path = write(tmp_path / "job", f"studio: s\ntitle: t\nscript: {script}\n")
    text = problem(path)
    assert text.startswith(f"{path}:3: script: ") and ("outside" in text or "absolute" in text)


def test_bad_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "studio: s\ntitle: [t\nscript: script.txt\n")
    assert problem(path).startswith(f"{path}:3: not valid YAML")


def test_episode_selection(tmp_path):
    script = "第1集\n林晚：一。\n第2集\n林晚：二。\n"
    ok = write(tmp_path / "a", "studio: s\ntitle: t\nscript: script.txt\nepisodes: [2]\n", script)
    _, parsed, _ = load(ok)
    assert [ep.number for ep in parsed.episodes] == [2]
    bad = write(tmp_path / "b", "studio: s\ntitle: t\nscript: script.txt\nepisodes:\n  - 1\n  - 3\n", script)
    assert problem(bad) == f"{bad}:6: episodes: episode 3 is not in the script (it has 1, 2)"


def test_inline_script_errors_point_into_the_spec(tmp_path):
    ok = write(tmp_path / "a", "studio: s\ntitle: t\nscript: |\n  林晚：你好。\n  顾沉：嗯。\n", None)
    _, script, _ = load(ok)
    assert script.speakers() == ["林晚", "顾沉"]
    bad = write(tmp_path / "b", "studio: s\ntitle: t\nscript: |\n  第1集\n  林晚：一。\n  第1集\n  林晚：二。\n", None)
    assert problem(bad).startswith(f"{bad}:6: script: episode 1 appears twice")


def test_language_override(tmp_path):
    _, script, _ = load(write(tmp_path, "studio: s\ntitle: t\nscript: script.txt\nlanguage: en\n"))
    assert script.language == "en"
