"""A corpus of scripts written the way studios write them (tests/stages/parsing/corpus/).

Each ``NN-*.txt`` has an ``.expected.tsv`` listing, in script order, every spoken line (source line,
kind, speaker, parenthetical, text) and every piece of on-screen text. The parse must match it
exactly: every spoken line to the right speaker, nothing voiced that is not spoken, no line lost.
The same holds through ``kaipai storyboard --json``, the command users run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import orchestrator.commands.front  # noqa: F401  (registers the commands)
from orchestrator.cli import app
from stages.parsing import read_script
from stages.parsing.text import source_lines

CORPUS = Path(__file__).parent / "corpus"
SCRIPTS = sorted(CORPUS.glob("*.txt"))
runner = CliRunner()


def expected(script: Path) -> list[tuple[int, str, str | None, str | None, str]]:
    rows = []
    for row in script.with_suffix(".expected.tsv").read_text(encoding="utf-8").splitlines():
        if row and not row.startswith("#"):
            line, kind, speaker, paren, text = row.split("\t")
            rows.append((int(line), kind, None if speaker == "-" else speaker, None if paren == "-" else paren, text))
    return rows


def read(script: Path, known: tuple[str, ...] = ()):
    return read_script(script.read_bytes().decode("utf-8"), "auto", script.name, known)


def said(parsed) -> list[tuple[int, str, str | None, str | None, str]]:
    beats = [b for ep in parsed.script.episodes for s in ep.scenes for b in s.beats]
    return [(b.line, b.kind, b.character, b.parenthetical, b.text) for b in beats if b.spoken or b.kind == "caption"]


def test_the_corpus_is_there():
    assert len(SCRIPTS) >= 5 and all(s.with_suffix(".expected.tsv").exists() for s in SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_spoken_line_to_the_right_speaker_and_nothing_else_voiced(script):
    assert said(read(script)) == expected(script)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_every_non_blank_line_is_read_once_or_more(script):
    parsed = read(script)
    lines = source_lines(script.read_bytes().decode("utf-8"))
    non_blank = {n for n, text in enumerate(lines, 1) if text.strip(" \t\u3000\u200b\ufeff")}
    assert {r.line for r in parsed.readings} == non_blank


def test_front_matter_is_series_metadata_never_dialogue():
    parsed = read(CORPUS / "01-front-matter-and-fused-cues.txt")
    series = parsed.script.series
    assert series.title == "逆风少年" == parsed.script.title
    assert list(series.bios) == ["沈乐", "林芳", "沈明远", "赵亮"]
    assert series.bios["林芳"].startswith("42岁")
    assert "滑板比赛" in series.synopsis and series.notes == ["备注：本剧共60集，每集1-2分钟，竖屏。"]
    beats = [b for ep in parsed.script.episodes for s in ep.scenes for b in s.beats]
    assert min(b.line for b in beats) > 11  # 【正文】 is line 11


def test_non_speaker_labels_are_action_and_crew_notes_are_not_filmed():
    parsed = read(CORPUS / "01-front-matter-and-fused-cues.txt")
    beats = {b.line: b for ep in parsed.script.episodes for s in ep.scenes for b in s.beats}
    assert [beats[n].kind for n in (20, 25, 26, 30)] == ["action"] * 4  # 插入画面 音效 【镜头语言】 特效
    crew = read(CORPUS / "02-abbreviated-cast-and-system.txt")
    notes = [r for r in crew.readings if r.kind == "note"]
    assert [r.line for r in notes] == [7, 20] and all("本集死亡" in r.text for r in notes)
    assert "本集死亡" not in crew.script.cast


def test_abbreviated_cast_line_with_counts():
    parsed = read(CORPUS / "02-abbreviated-cast-and-system.txt")
    first = parsed.script.episodes[0].scenes[0]
    assert first.cast == ["苏晴", "老周", "男同学"]
    assert "人" not in parsed.script.speakers()


def test_lookalikes_zero_width_crlf_and_a_missing_episode_number():
    parsed = read(CORPUS / "03-lookalikes-crlf-missing-number.txt")
    assert [(ep.number, ep.title) for ep in parsed.script.episodes] == [(1, "重逢"), (2, "旧城")]
    scene = parsed.script.episodes[0].scenes[0]
    assert (scene.location, scene.time, scene.interior) == ("云冈石窟", "day", False)  # ⽇外 with a Kangxi 日
    assert scene.beats[0].kind == "action"  # ∆ is △
    assert parsed.warning_texts() == [
        "03-lookalikes-crlf-missing-number.txt:11: episode heading '第X集：旧城' has no number; read as episode 2"
    ]


def test_heading_variants_and_a_flashback_by_time_word():
    parsed = read(CORPUS / "04-heading-variants-and-voiceover.txt")
    scenes = parsed.script.episodes[0].scenes
    assert [(s.location, s.time, s.interior, s.flashback) for s in scenes] == [
        ("大同古城墙 - 和阳门", "dusk", False, False),
        ("老宅 - 东厢房", "unknown", True, True),
        ("城墙上", "night", False, False),
    ]


def test_names_with_odd_characters_keep_their_lines_when_the_spec_names_them():
    parsed = read(CORPUS / "05-names-with-odd-characters.txt", known=("陈砚$(x)",))
    speakers = [b.character for ep in parsed.script.episodes for s in ep.scenes for b in s.beats if b.spoken]
    assert speakers == ["林晚{\\pos(0,0)}", "陈砚$(x)", "Mia_01", "林晚{\\pos(0,0)}"]


def _job(tmp_path: Path, script: Path, characters: str = "") -> Path:
    shutil.copy(script, tmp_path / "script.txt")
    spec = f"studio: 语料工作室\ntitle: 语料\nscript: script.txt\n{characters}"
    (tmp_path / "job.yaml").write_text(spec, encoding="utf-8")
    return tmp_path / "job.yaml"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_storyboard_json_voices_exactly_the_spoken_lines(script, tmp_path):
    result = runner.invoke(app, ["storyboard", str(_job(tmp_path, script)), "--json"])
    assert result.exit_code == 0, result.output
    board = json.loads(result.stdout)
    lines = [ln for ep in board["episodes"] for shot in ep["shots"] for ln in shot["lines"]]
    spoken = [row for row in expected(script) if row[1] != "caption"]
    assert [(ln["source_line"], ln["kind"], ln["character"], ln["text"]) for ln in lines] == [
        (line, kind, speaker, text) for line, kind, speaker, _, text in spoken
    ]
    captions = [c for ep in board["episodes"] for shot in ep["shots"] for c in shot["captions"]]
    assert captions == [row[4] for row in expected(script) if row[1] == "caption"]


def test_validate_explain_shows_how_each_line_was_read(tmp_path):
    job = _job(tmp_path, CORPUS / "01-front-matter-and-fused-cues.txt")
    result = runner.invoke(app, ["validate", str(job), "--explain"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if line.lstrip("│ ").startswith("21 "))
    assert "voiceover" in row and "沈乐" in row and "惊喜" in row and "voice-over mark" in row
    assert "ok " in result.stdout


def test_an_ambiguous_cue_is_kept_with_a_warning_naming_the_line(tmp_path):
    script = tmp_path / "source.txt"
    script.write_text("1-1 日 内 家\n人物：林晚\n他回头看着门口的方向：有人吗？\n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(_job(tmp_path, script))])
    assert result.exit_code == 0, result.output
    assert "script.txt:3: ambiguous speaker" in result.stderr
