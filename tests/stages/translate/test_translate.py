"""The translate stage: names kept one way, subtitles fitted, a tiny random Marian on the real model path,
and the offline backend saying which languages it cannot make."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import orchestrator.commands.front  # noqa: F401  (registers the commands)
from orchestrator.cli import app
from orchestrator.jobspec import load_job
from stages.errors import InputError
from stages.registry import stage_class
from stages.translate.fit import fit_subtitle
from stages.translate.glossary import apply_glossary, build_glossary, romanise
from stages.translate.local import NoTranslate
from stages.translate.marian import MarianTranslate

LINE = {"id": "ep01-l001", "text": "林晚，你来了。", "character": "陈砚", "source": "zh", "target": "en"}
runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "spelt"), [("林晚", "Lin Wan"), ("沈明远", "Shen Mingyuan"), ("MAYA", "MAYA"), ("周师傅", "Zhou Shifu")]
)
def test_names_are_romanised_once(name, spelt):
    assert romanise(name) == spelt


def test_the_glossary_puts_one_spelling_into_every_line_and_the_spec_wins():
    glossary = build_glossary(["林晚", "林晚晚", "陈砚"], {"陈砚": "Yan Chen"})
    assert glossary == {"林晚": "Lin Wan", "林晚晚": "Lin Wanwan", "陈砚": "Yan Chen"}
    assert apply_glossary("林晚晚和林晚在等陈砚。", glossary) == "Lin Wanwan 和 Lin Wan 在等 Yan Chen 。"


def test_subtitles_are_fitted_to_two_balanced_lines_and_overlong_is_flagged():
    fitted = fit_subtitle("I have waited twenty years for this wall to tell me the truth", 42)
    first, second = fitted.text.split("\n")
    assert max(len(first), len(second)) <= 42 and abs(len(first) - len(second)) < 12 and not fitted.overlong
    assert fit_subtitle("word " * 40, 42).overlong
    assert fit_subtitle("Hi.", 42).text == "Hi."


def test_registry_knows_both_backends():
    assert stage_class("translate", "transformers") is MarianTranslate
    assert stage_class("translate", "none") is NoTranslate


def test_tiny_marian_translates_through_the_real_model_path(tmp_path):
    stage = MarianTranslate({"model": "tiny:marian", "device": "cpu", "max_new_tokens": 8})
    outs = []
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        meta = stage.run({**LINE, "glossary": {"林晚": "Lin Wan"}}, {}, tmp_path / run)
        outs.append(json.loads((tmp_path / run / meta["file"]).read_text(encoding="utf-8")))
    assert meta["model"] == "tiny:marian" and meta["target"] == "en"
    assert outs[0] == outs[1]  # greedy: the same line always gives the same translation (content addressing)
    assert outs[0]["source"] == LINE["text"] and isinstance(outs[0]["text"], str)
    (translator,) = stage.translators.values()
    assert translator.loads == 1  # loaded once, reused for the second line
    stage.teardown()
    assert not stage.translators


def test_options_are_typed_and_a_pair_without_a_model_is_named():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="modle"):
        MarianTranslate({"modle": "x"})
    with pytest.raises(InputError) as missing:
        MarianTranslate({}).translator("zh", "xx")
    assert "zh -> xx" in str(missing.value) and "models.xx" in str(missing.value)
    assert MarianTranslate({}).options.model_for("zh", "en") == "Helsinki-NLP/opus-mt-zh-en"
    assert MarianTranslate({"models": {"es": "tiny:marian"}}).options.model_for("zh", "es") == "tiny:marian"


def test_the_offline_backend_says_what_it_cannot_make_and_why(tmp_path):
    with pytest.raises(InputError) as refused:
        NoTranslate().run(LINE, {}, tmp_path)
    assert "zh -> en" in str(refused.value) and "no machine-translation model" in str(refused.value)


def _job(tmp_path, extra: str):
    (tmp_path / "script.txt").write_text("1-1 日 内 家\n林晚：你来了。\n", encoding="utf-8")
    (tmp_path / "job.yaml").write_text(f"studio: s\ntitle: t\nscript: script.txt\n{extra}", encoding="utf-8")
    return tmp_path / "job.yaml"


def test_languages_in_the_spec_are_checked(tmp_path):
    assert load_job(_job(tmp_path, "languages: [en, es, pt-BR]\ndub: true\n")).spec.languages == ["en", "es", "pt-BR"]
    for bad, why in (("[en, en]", "listed twice"), ("[English]", "pattern"), (str(["en"] * 9), "at most 8")):
        with pytest.raises(InputError) as err:
            load_job(_job(tmp_path, f"languages: {bad}\n"))
        assert "job.yaml:4" in str(err.value) and why in str(err.value)


def test_validate_names_languages_the_local_profile_cannot_make(tmp_path):
    job = str(_job(tmp_path, "languages:\n  - en\n"))
    local = runner.invoke(app, ["validate", job])
    assert local.exit_code == 0, local.output
    assert "job.yaml:5: cannot make zh -> en: this profile has no machine-translation model" in local.stderr
    tiny = runner.invoke(app, ["validate", job, "--config", "configs/tiny.yaml"])
    assert tiny.exit_code == 0 and "cannot make" not in tiny.stderr


def test_localised_subtitles_keep_the_original_timing_with_the_translated_text(tmp_path):
    from stages.base import Artifact
    from stages.subtitles.ass import AssSubtitles
    from stages.translate.subtitles import LocalisedSubtitles

    job = {"title": "t", "width": 180, "height": 320, "fps": 12, "aspect": "9:16", "language": "zh"}
    lines = [
        {"id": "ep01-l001", "kind": "dialogue", "character": "林晚", "text": "你来了。"},
        {"id": "ep01-l002", "kind": "dialogue", "character": "陈砚", "text": "我来了。"},
    ]
    params = {"job": job, "episode": {"id": "ep01", "number": 1, "title": ""},
              "shots": [{"id": "s1", "duration": 4.0, "lines": lines}]}  # fmt: skip
    voices = [Artifact(f"v{i}", tmp_path, {"duration": 1.2}) for i in range(2)]
    translations = []
    for i, text in enumerate(("You came.", "I did."), 1):
        folder = tmp_path / f"t{i}"
        folder.mkdir()
        record = {"id": f"ep01-l00{i}", "subtitle": text}
        (folder / "translation.json").write_text(json.dumps(record), encoding="utf-8")
        translations.append(Artifact(f"t{i}", folder, {"file": "translation.json"}))
    (tmp_path / "zh").mkdir()
    (tmp_path / "en").mkdir()
    AssSubtitles().run(params, {"voices": voices}, tmp_path / "zh")
    meta = LocalisedSubtitles().run(
        {**params, "language": "en"}, {"voices": voices, "translations": translations}, tmp_path / "en"
    )
    zh, en = ((tmp_path / d / "episode.srt").read_text(encoding="utf-8") for d in ("zh", "en"))
    assert "You came." in en and "I did." in en and "你来了" not in en and meta["language"] == "en"
    timings = [[row for row in srt.splitlines() if "-->" in row] for srt in (zh, en)]
    assert timings[0] == timings[1] and len(timings[0]) == 2


@pytest.mark.parametrize("with_music", [False, True])
def test_the_me_stem_is_music_without_dialogue_at_the_episode_length(tmp_path, with_music):
    import subprocess

    from stages.base import Artifact
    from stages.media.probe import probe
    from stages.translate.stem import MEStem

    music = None
    if with_music:
        tone = tmp_path / "music.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", str(tone)], check=True)
        music = {"path": str(tone), "sha256": "x", "volume": 0.5, "duck": True}
    shots = [Artifact("a", tmp_path, {"duration": 1.5}), Artifact("b", tmp_path, {"duration": 2.0})]
    (tmp_path / "out").mkdir()
    meta = MEStem().run({"episode": "ep01", "music": music}, {"shots": shots}, tmp_path / "out")
    info = probe(tmp_path / "out" / "me.wav")
    assert meta["music"] is with_music and abs(info.duration - 3.5) < 0.05 and info.has_audio
