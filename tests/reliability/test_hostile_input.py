"""Issue 9's hostile inputs, each through the real ``kaipai`` command: a clear message, the right exit
code, no traceback, and for the alias bomb a memory ceiling (measured on the child process)."""

from __future__ import annotations

import tracemalloc

import pytest

from orchestrator.yamlfile import parse_yaml
from stages.errors import InputError
from tests.reliability.hostile import alias_bomb, deep_nesting, run_kaipai

BOMB_MAX_MB = 200


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "script.txt").write_text("第1集\n林晚：你好。\n", encoding="utf-8")
    return tmp_path


def validate(folder, spec: str, command: str = "validate"):
    (folder / "job.yaml").write_text(spec, encoding="utf-8")
    outcome = run_kaipai([command, "job.yaml"], folder)
    assert "Traceback" not in outcome.stderr, outcome.stderr
    return outcome


def test_alias_bomb_is_refused_with_little_memory(folder):
    outcome = validate(folder, alias_bomb(9))
    assert outcome.code == 2
    assert (
        outcome.stderr.strip()
        == "error: job.yaml:4: not valid YAML: YAML anchors (&name) are not allowed here; write the value out"
    )
    assert outcome.max_rss_mb < BOMB_MAX_MB


def test_alias_bomb_parse_allocates_almost_nothing():
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            parse_yaml(alias_bomb(9), "job.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 * 2**20  # well under 1 MiB: nothing is expanded


def test_deep_nesting_is_refused_not_a_recursion_error(folder):
    outcome = validate(folder, deep_nesting(600))
    assert outcome.code == 2 and "nested deeper than 64 levels" in outcome.stderr


@pytest.mark.parametrize(
    "extra,expected",
    [
        ("reading_speed: 1e-5\n", "job.yaml:4: reading_speed: Input should be greater than or equal to 0.5"),
        ("reading_speed: .inf\n", "job.yaml:4: reading_speed: Input should be less than or equal to 30"),
        ("priority: true\n", "job.yaml:4: priority: Input should be a valid integer"),
        ("priority: 5.0\n", "job.yaml:4: priority: Input should be a valid integer"),
        ("title: again\n", "job.yaml:4: title: duplicate key 'title': first on line 2, again on line 4"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_bad_numbers_and_duplicate_keys_stop_validate_and_plan(folder, extra, expected, command):
    outcome = validate(folder, "studio: s\ntitle: t\nscript: script.txt\n" + extra, command)
    assert outcome.code == 2 and outcome.stderr.strip() == f"error: {expected}"


def test_nul_in_the_title_is_refused_by_validate(folder):
    outcome = validate(folder, 'studio: s\ntitle: "城墙\\0之上"\nscript: script.txt\n')
    assert outcome.code == 2
    assert (
        outcome.stderr.strip() == "error: job.yaml:2: title: control character U+0000 at position 3 is not allowed here"
    )


def test_music_that_is_not_audio_is_refused_by_validate(folder):
    (folder / "m.mp3").write_bytes(b"\x00garbage" * 100)
    outcome = validate(folder, "studio: s\ntitle: t\nscript: script.txt\nmusic: {path: m.mp3}\n")
    assert outcome.code == 2 and outcome.stderr.startswith(
        "error: job.yaml:4: music.path: music file cannot be decoded"
    )


def test_unknown_espeak_voice_is_refused_by_validate(folder):
    outcome = validate(folder, "studio: s\ntitle: t\nscript: script.txt\ncharacters:\n  林晚: {voice: zz-nowhere}\n")
    assert outcome.code == 2
    assert outcome.stderr.strip() == (
        "error: job.yaml:5: characters.林晚.voice: espeak-ng has no voice 'zz-nowhere' (see `espeak-ng --voices`)"
    )


@pytest.mark.parametrize(
    "name,speaker,parenthetical",
    [
        ("林晚{\\pos(0,0)}", "林晚{\\pos(0,0)}", None),
        ("陈砚$(x)", "陈砚$", "x"),  # the parser reads ``(x)`` before the colon as a parenthetical
    ],
)
def test_a_name_with_markup_or_shell_syntax_keeps_its_lines(folder, name, speaker, parenthetical):
    """Issue 9 case 6 (the parser is the scripts helper's): the line stays dialogue, never action."""
    from orchestrator import frontend

    (folder / "script.txt").write_text(f"第1集\n1-1 日 内 城墙\n{name}：你终于来了。\n林晚：嗯。\n", encoding="utf-8")
    (folder / "job.yaml").write_text("studio: s\ntitle: t\nscript: script.txt\n", encoding="utf-8")
    job, script, _ = frontend.load(folder / "job.yaml")
    lines = frontend.storyboard_rules(job, script).episodes[0].lines()
    said = [(line.kind, line.character, line.parenthetical, line.text) for line in lines]
    assert said == [("dialogue", speaker, parenthetical, "你终于来了。"), ("dialogue", "林晚", None, "嗯。")]
