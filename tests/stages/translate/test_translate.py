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


def test_registry_knows_every_backend():
    from stages.translate.dub import EspeakDub
    from stages.translate.instruct import InstructTranslate

    assert stage_class("translate", "transformers") is MarianTranslate
    assert stage_class("translate", "none") is NoTranslate
    assert stage_class("translate", "llm") is InstructTranslate
    assert stage_class("dub", "espeak") is EspeakDub


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


@pytest.mark.parametrize(("with_music", "ambience"), [(False, False), (True, False), (False, True), (True, True)])
def test_the_me_stem_is_music_and_ambience_without_dialogue_at_the_episode_length(tmp_path, with_music, ambience):
    import subprocess

    import numpy as np

    from stages.assembly.episode import read_stereo
    from stages.base import Artifact
    from stages.mux.ambience import ambience_bed
    from stages.translate.stem import MEStem

    music = None
    if with_music:
        tone = tmp_path / "music.wav"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", str(tone)], check=True)
        music = {"path": str(tone), "sha256": "x", "volume": 0.5, "duck": True}
    scene = {"id": "ep01-s01", "heading": "1-1 夜 外 山", "location": "山", "time": "night", "interior": False}
    shots = [Artifact(n, tmp_path, {"duration": 0.5, "samples": k, "shot": n}) for n, k in (("a", 24000), ("b", 33600))]
    params = {"episode": "ep01", "music": music, "shots": [{"id": "a", "scene": scene}, {"id": "b", "scene": scene}]}
    params["ambience"] = ambience
    master = Artifact("m", tmp_path, {"loudness_input_lufs": -20.0})
    (tmp_path / "out").mkdir()
    meta = MEStem().run(params, {"shots": shots, "master": [master]}, tmp_path / "out")
    audio = read_stereo(tmp_path / "out" / "me.wav")
    assert len(audio) == meta["samples"] == 24000 + 33600  # exactly the master shots' samples
    assert meta["music"] is with_music and meta["ambience"] is ambience and meta["gain_db"] == 6.0  # -14 - -20
    if ambience and not with_music:  # the very bed the master's mux laid under the voices, at the master's gain
        from stages.params import Scene

        bed = ambience_bed(Scene.model_validate(scene), "a", 24000, 48000) * 10 ** (6 / 20)
        assert np.abs(audio[:24000] - bed).max() < 2e-4
    loud = float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0
    assert (loud > 1e-4) is (with_music or ambience)  # silence only with neither


def test_a_window_with_the_scene_s_lines_is_cut_back_to_the_line_or_the_line_is_translated_alone():
    from stages.translate.context import sentences, translate_in_context

    calls = []

    def fake(outputs):
        def translate(texts):
            calls.append(texts)
            return outputs

        return translate

    made = translate_in_context(
        fake(["Hello. You came? I waited.", "I waited long."]), "我等你。", ["你好", "你来了？"], "zh"
    )
    assert calls[-1] == ["你好。你来了？我等你。", "我等你。"]  # the context terminated, the line, and the line alone
    assert made.text == "I waited." and made.used_context
    made = translate_in_context(
        fake(["Hello, you came? I waited.", "I waited long."]), "我等你。", ["你好", "你来了？"], "zh"
    )
    assert made.text == "I waited long." and not made.used_context  # two sentences merged: the cut is unsafe
    assert translate_in_context(fake(["Alone."]), "一。", [], "zh").text == "Alone."
    assert sentences("Mr. Lin came. Yes!") == ["Mr. Lin came.", "Yes!"]


def test_tiny_marian_translates_a_line_in_its_scene(tmp_path):
    stage = MarianTranslate({"model": "tiny:marian", "device": "cpu", "max_new_tokens": 8})
    meta = stage.run({**LINE, "context": ["你好。", "你是谁？"], "scene": "家 (day, interior)"}, {}, tmp_path)
    record = json.loads((tmp_path / meta["file"]).read_text(encoding="utf-8"))
    assert meta["context"] in ("window", "line") and record["context"] == meta["context"]


def test_place_names_of_the_headings_get_one_spelling_and_ordinary_places_none():
    from stages.translate.glossary import place_names, place_spelling

    assert place_names(["云冈寺 - 后院", "修缮队办公室", "林家村", "大同古城墙", "客厅", "云冈寺"]) == [
        "云冈寺",
        "林家村",
        "大同古城墙",
    ]
    assert [place_spelling(p) for p in ("云冈寺", "林家村", "大同古城墙")] == [
        "Yungang Temple",
        "Linjia Village",
        "Datong Old City Wall",
    ]
    glossary = build_glossary(["林晚"], {"云冈寺": "Yungang Grottoes Temple"}, ["云冈寺 - 后院"])
    assert glossary == {"林晚": "Lin Wan", "云冈寺": "Yungang Grottoes Temple"}


def test_an_instruct_llm_translates_through_the_chat_model_path(tmp_path):
    from stages.translate.instruct import InstructTranslate

    stage = InstructTranslate({"model": "tiny:qwen2", "device": "cpu", "max_new_tokens": 12})
    stage.setup()
    params = {**LINE, "glossary": {"林晚": "Lin Wan"}, "scene": "家 (day, interior)", "context": ["你好。"]}
    meta = stage.run(params, {}, tmp_path)
    record = json.loads((tmp_path / meta["file"]).read_text(encoding="utf-8"))
    assert meta["model"] == "tiny:qwen2" and record["text"] and record["source"] == LINE["text"]
    assert meta["context"] == record["context"] == "scene" and meta["context_lines"] == 1
    assert meta["asked"] == 2 and meta["glossary_missed"] == ["Lin Wan"]  # noise keeps no name: asked again
    assert stage.model.loads == 1
    stage.teardown()


def test_the_llm_is_told_the_scene_the_names_and_asked_again_for_a_dropped_name(tmp_path):
    from stages.translate.instruct import InstructTranslate

    class Scripted:
        model_id = "scripted"

        def __init__(self, replies):
            self.replies, self.seen = list(replies), []

        def chat(self, messages, seed=0):
            self.seen.append(messages)
            return self.replies.pop(0)

    stage = InstructTranslate({"model": "x"})
    stage.model = Scripted(["Translation: “You came, Forest Late.”", "You came, Lin Wan.\n(note)"])
    params = {**LINE, "glossary": {"林晚": "Lin Wan"}, "scene": "家 (day, interior)", "context": ["你好。"]}
    meta = stage.run(params, {}, tmp_path)
    first = stage.model.seen[0][1]["content"]
    assert "Scene: 家 (day, interior)" in first and "- 你好。" in first and "林晚 = Lin Wan" in first
    assert "(陈砚): 林晚，你来了。" in first and "English" in stage.model.seen[0][0]["content"]
    assert "dropped Lin Wan" in stage.model.seen[1][-1]["content"]
    record = json.loads((tmp_path / meta["file"]).read_text(encoding="utf-8"))
    assert record["text"] == "You came, Lin Wan." and meta["asked"] == 2 and meta["glossary_missed"] == []
    stage.model = Scripted(["", "  \n"])
    with pytest.raises(ValueError, match="gave no translation"):
        stage.run(params, {}, tmp_path)


def test_a_studio_s_translations_file_is_read_by_source_line_and_bad_rows_name_their_line(tmp_path):
    from stages.translate.given import missing_lines, read_given

    good = tmp_path / "en.csv"
    good.write_text('source,translation\n 林晚，你来了。 ,"Lin Wan, you came."\n\n走吧。,Go.\n', encoding="utf-8")
    table = read_given(good, "translations.en")
    assert table == {"林晚，你来了。": "Lin Wan, you came.", "走吧。": "Go."}
    assert missing_lines(table, ["走吧。", "再见。", "再见。"]) == ["再见。"]
    for text, line, why in (
        ("src,tr\n", 1, "header"),
        ("source,translation\na,b\nc\n", 3, "two non-empty cells"),
        ("source,translation\na,b\na,c\n", 3, "two different translations"),
        ("source,translation\na,b\x00\n", 2, "control characters"),
    ):
        bad = tmp_path / "bad.csv"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as err:
            read_given(bad, "translations.en")
        assert f"bad.csv:{line}: translations.en:" in str(err.value) and why in str(err.value)
    bad.write_bytes(b"source,translation\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_given(bad, "translations.en")


@pytest.mark.parametrize("backend", ["none", "transformers", "llm"])
def test_every_backend_uses_a_given_translation_as_it_is_without_a_model(tmp_path, backend):
    stage = stage_class("translate", backend)({"model": "no/such-model"} if backend != "none" else {})
    given = "Lin Wan, you came at last, and the whole wall waited for you."
    meta = stage.run({**LINE, "given": given}, {}, tmp_path)
    record = json.loads((tmp_path / meta["file"]).read_text(encoding="utf-8"))
    assert record["text"] == given and record["context"] == meta["context"] == "given" and meta["model"] is None
    assert record["subtitle"].count("\n") == 1  # fitted to two rows like any translation


def test_the_spec_s_release_fields_are_typed(tmp_path):
    spec = load_job(
        _job(tmp_path, "glossary: {陈砚: Yan Chen}\nburn_subtitles: false\ntranslations: {en: en.csv}\n")
    ).spec
    assert (
        spec.glossary == {"陈砚": "Yan Chen"} and spec.burn_subtitles is False and spec.translations == {"en": "en.csv"}
    )
    for bad, why in (("burn_subtitles: 'no'", "burn_subtitles"), ("translations: {English: a.csv}", "translations")):
        with pytest.raises(InputError) as err:
            load_job(_job(tmp_path, bad + "\n"))
        assert "job.yaml:4" in str(err.value) and why in str(err.value)


def test_the_llm_backend_loads_offline_from_the_cache_or_a_folder_and_says_what_is_missing(tmp_path, monkeypatch):
    from stages.pipelines.loading import ModelMissing
    from stages.translate.instruct import InstructTranslate

    with pytest.raises(ModelMissing, match="does not exist"):
        InstructTranslate({"model": str(tmp_path / "no-such-folder"), "device": "cpu"}).setup()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelMissing, match=r"not available offline.*hf download Qwen/Qwen2\.5-7B-Instruct"):
        InstructTranslate({"device": "cpu"}).setup()  # the family's default model, not in this cache
