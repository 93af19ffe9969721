"""Releases in other languages: ``languages: [en]`` adds translate/localise/assembly (and dub) nodes and
reuses the master's pictures; the offline profile plans none and says why."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

import orchestrator.commands.placement
import orchestrator.commands.running  # noqa: F401  (registers run)
from orchestrator import frontend
from orchestrator.cli import app
from orchestrator.config import load_profile
from orchestrator.dag import plan_dag

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")

SCRIPT = """第1集 重逢

1-1 日 内 修缮队办公室
人物：林晚、陈砚
△林晚推门进来，看见陈砚坐在她的位子上。
林晚：你怎么在这儿？
陈砚（笑）：等你。
字幕：三年后
林晚：我们走吧。
"""


def write_job(folder, extra: str = "", script: str = SCRIPT):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.txt").write_text(script, encoding="utf-8")
    spec = f"studio: 云冈\ntitle: 重逢\nscript: script.txt\n{extra}"
    (folder / "job.yaml").write_text(spec, encoding="utf-8")
    return folder / "job.yaml"


def subtitle_tracks(path, kind: str = "s") -> list[tuple[str, str]]:
    """(codec, language tag) of each subtitle (or ``kind="a"``: audio) stream of a media file."""
    import subprocess

    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", kind, "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    streams = json.loads(shown.stdout)["streams"]
    return [(s["codec_name"], s.get("tags", {}).get("language", "")) for s in streams]


def plan(job_path, config: str):
    profile = load_profile(config)
    job, script, _ = frontend.load(job_path)
    return plan_dag(job, frontend.storyboard_rules(job, script, profile), profile)


def keys(dag, *stages):
    return {n.id: n.key for n in dag.nodes.values() if n.stage in stages}


def test_a_language_adds_its_nodes_and_reuses_every_picture(tmp_path):
    master = plan(write_job(tmp_path / "a"), "configs/tiny.yaml")
    release = plan(write_job(tmp_path / "b", "languages: [en]\ndub: true\n"), "configs/tiny.yaml")
    pictures = ("character", "keyframe", "motion")
    assert keys(release, *pictures) == keys(master, *pictures)  # the same keys: made once, cached
    master_media = {nid: key for nid, key in keys(release, "voice", "mux", "subtitles").items() if "/" not in nid}
    assert master_media == keys(master, "voice", "mux", "subtitles")  # the original release is unchanged
    added = Counter(n.stage for n in release.nodes.values()) - Counter(n.stage for n in master.nodes.values())
    lines = sum(1 for n in master.nodes.values() if n.stage == "voice")
    shots = sum(1 for n in master.nodes.values() if n.stage == "mux")
    assert added == Counter(translate=lines, dub=lines, mux=shots, localise=1, assembly=1, stem=1)
    english = release.nodes["assembly:ep01/en"]
    assert english.params["language"] == "en" and all(i.endswith("/en") for i in english.inputs["shots"])


def test_subtitles_only_re_mux_the_master_s_clips_with_its_voices(tmp_path):
    master = plan(write_job(tmp_path / "a"), "configs/tiny.yaml")
    release = plan(write_job(tmp_path / "b", "languages: [en]\n"), "configs/tiny.yaml")
    pictures = ("character", "keyframe", "motion")
    assert keys(release, *pictures) == keys(master, *pictures)  # no picture is rendered again
    assert "dub" not in {n.stage for n in release.nodes.values()}
    english = release.nodes["assembly:ep01/en"]
    for original_id, shot_id in zip(
        release.nodes["assembly:ep01"].inputs["shots"], english.inputs["shots"], strict=True
    ):
        original, shot = release.nodes[original_id], release.nodes[shot_id]
        assert shot_id == f"{original_id}/en"  # the text is burned in: the shot is encoded again ...
        assert shot.inputs["motion"] == original.inputs["motion"]  # ... from the master's clip
        assert shot.inputs["voices"] == original.inputs["voices"]  # and the original voices time it
    assert release.nodes["localise:ep01/en"].inputs["voices"] == release.nodes["subtitles:ep01"].inputs["voices"]


@pytest.mark.parametrize("dub", [False, True])
def test_a_release_mux_burns_its_language_s_cues_over_its_scene(tmp_path, dub):
    extra = "languages: [en]\n" + ("dub: true\n" if dub else "")
    release = plan(write_job(tmp_path, extra), "configs/tiny.yaml")
    localise = release.nodes["localise:ep01/en"]
    voices = localise.inputs["voices"]
    assert all(release.nodes[v].stage == ("dub" if dub else "voice") for v in voices)
    muxes = [n for n in release.nodes.values() if n.stage == "mux" and n.unit.endswith("/en")]
    assert muxes
    for mux in muxes:
        original = release.nodes[f"mux:{mux.unit.removesuffix('/en')}"]
        assert mux.params["language"] == "en" and mux.params["burn"] is True
        shot = release.nodes[f"mux:{mux.unit.removesuffix('/en')}"].params["shot"]
        mine = [f"translate:{line['id']}/en" for line in shot["lines"]]
        assert mux.inputs["translations"] == mine  # its own lines' cues, never the episode's
        assert "subtitles" not in mux.inputs and localise.id not in mux.deps
        assert mux.params["scene"] == original.params["scene"] and mux.params["scene"] is not None  # its ambience
        assert set(mux.inputs["voices"]) <= set(voices)  # timed by the same voices as the subtitles
        assert release.nodes[mux.inputs["motion"][0]].stage == "motion"


SCENE_TWO = """
1-2 夜 外 云冈寺 - 后院
人物：林晚、陈砚
△钟声响起，林晚抬头。
林晚：云冈寺的钟响了。
△陈砚走到她身边，看着远处的山。
陈砚：走吧，林晚。天快亮了，我们还要赶路。
△两人沿着石阶往下走。
林晚：你还记得三年前吗？
"""


def changed_nodes(before, after) -> set[str]:
    return {nid for nid, node in after.nodes.items() if before.nodes[nid].key != node.key}


def test_lines_are_translated_with_their_scene_and_one_glossary_of_names_and_places(tmp_path):
    job = write_job(tmp_path, "languages: [en]\nglossary: {陈砚: Yan Chen}\n", SCRIPT + SCENE_TWO)
    dag = plan(job, "configs/tiny.yaml")
    first, third, later = (dag.nodes[f"translate:ep01-l00{i}/en"].params for i in (1, 3, 6))
    assert first["context"] == [] and first["scene"] == "修缮队办公室 (day, interior)"
    assert third["context"] == ["你怎么在这儿？", "等你。"]  # the scene's previous lines (tiny: 2)
    assert later["scene"] == "云冈寺 - 后院 (night, exterior)"
    assert later["context"] == ["云冈寺的钟响了。", "走吧，林晚。天快亮了，我们还要赶路。"]  # its own scene only
    glossary = {"林晚": "Lin Wan", "陈砚": "Yan Chen", "云冈寺": "Yungang Temple"}  # 办公室, 后院: ordinary words
    assert all(n.params["glossary"] == glossary for n in dag.nodes.values() if n.stage == "translate")


@pytest.mark.parametrize("context", [2, 0])
def test_editing_one_line_re_encodes_only_the_shots_that_read_it(tmp_path, context):
    """One line edited: its voice, its translation and those of the lines that read it as context, and
    only the release shots holding those lines are muxed again; every other shot is cached."""
    profile = tmp_path / "tiny.yaml"
    tiny = Path("configs/tiny.yaml").read_text(encoding="utf-8")
    profile.write_text(tiny.replace("max_new_tokens: 16}", f"max_new_tokens: 16, context_lines: {context}}}"))
    before = plan(write_job(tmp_path / "a", "languages: [en]\n", SCRIPT + SCENE_TWO), str(profile))
    edited = (SCRIPT + SCENE_TWO).replace("天快亮了", "天就要亮了")  # line 5, in shot 2 of scene 2
    after = plan(write_job(tmp_path / "b", "languages: [en]\n", edited), str(profile))
    readers = {2: {"translate:ep01-l006/en", "mux:ep01-s02-sh003/en"}, 0: set()}[context]
    assert changed_nodes(before, after) == {
        "voice:ep01-l005",
        "mux:ep01-s02-sh002",
        "subtitles:ep01",
        "sound:ep01",
        "assembly:ep01",
        "gates:ep01",
        "stem:ep01",  # the master's gain may change with its mix
        "translate:ep01-l005/en",
        "mux:ep01-s02-sh002/en",
        "localise:ep01/en",
        "assembly:ep01/en",
        *readers,
    }
    release_shots = [n for n in after.nodes.values() if n.stage == "mux" and n.unit.endswith("/en")]
    assert len(release_shots) == 4  # of which one (or two, with context) are encoded again


def test_a_platform_preset_adds_its_languages_to_the_spec_s(tmp_path):
    dag = plan(write_job(tmp_path / "a", "platform: tiktok\n"), "configs/tiny.yaml")
    assert "assembly:ep01/en" in dag.nodes  # tiktok releases in English without being asked
    dag = plan(write_job(tmp_path / "b", "platform: youtube\nlanguages: [es]\n"), "configs/tiny.yaml")
    assert [n.params["language"] for n in dag.nodes.values() if n.stage == "assembly" and "/" in n.unit] == [
        "es",
        "en",
    ]
    assert "assembly:ep01/en" not in plan(write_job(tmp_path / "c", "platform: douyin\n"), "configs/tiny.yaml").nodes
    shown = CliRunner().invoke(app, ["validate", str(tmp_path / "a" / "job.yaml")])  # the local profile
    assert shown.exit_code == 0, shown.output
    assert "job.yaml:4: platform: platform tiktok releases in en; cannot make zh -> en" in shown.stderr


def test_a_dub_is_fitted_to_its_original_line_and_the_stem_follows_the_master(tmp_path):
    dag = plan(write_job(tmp_path, "languages: [en]\ndub: true\nburn_subtitles: false\n"), "configs/tiny.yaml")
    for node in (n for n in dag.nodes.values() if n.stage == "dub"):
        line = node.unit.removesuffix("/en")
        assert node.inputs == {"translation": [f"translate:{line}/en"], "original": [f"voice:{line}"]}
    assert all(n.params["burn"] is False for n in dag.nodes.values() if n.stage == "mux" and "/" in n.unit)
    stem = dag.nodes["stem:ep01"]
    assert stem.inputs["master"] == ["assembly:ep01"] and stem.params["ambience"] is True
    assert [s["id"] for s in stem.params["shots"]] == [n.removeprefix("mux:") for n in stem.inputs["shots"]]
    assert all(s["scene"] for s in stem.params["shots"])  # the beds are the master's scenes'


GIVEN = """source,translation
你怎么在这儿？,What are you doing here?
等你。,"Waiting for you, Lin Wan."
我们走吧。,Let's go.
"""


def test_the_offline_profile_releases_and_dubs_a_language_whose_lines_the_studio_translated(tmp_path):
    job = write_job(tmp_path, "languages: [en, es]\ndub: true\ntranslations: {en: en.csv}\n")
    (tmp_path / "en.csv").write_text(GIVEN, encoding="utf-8")
    dag = plan(job, "configs/local.yaml")
    made = {n.id: n for n in dag.nodes.values() if n.stage == "translate"}
    assert {n.params["target"] for n in made.values()} == {"en"}  # es has no model and no file: left out
    assert made["translate:ep01-l002/en"].params["given"] == "Waiting for you, Lin Wan."
    assert {n.backend for n in dag.nodes.values() if n.stage == "dub"} == {"espeak"}
    shown = CliRunner().invoke(app, ["validate", str(job)])
    assert shown.exit_code == 0, shown.output
    assert "cannot make zh -> es" in shown.stderr and "zh -> en" not in shown.stderr
    (tmp_path / "en.csv").write_text(GIVEN.rsplit("\n", 2)[0] + "\n", encoding="utf-8")  # the last line missing
    assert not [n for n in plan(job, "configs/local.yaml").nodes if n.endswith("/en")]
    shown = CliRunner().invoke(app, ["validate", str(job)])
    assert "translations.en lacks 1 of the lines (first: '我们走吧。')" in shown.stderr


def test_a_bad_translations_file_names_its_line(tmp_path):
    job = write_job(tmp_path, "languages: [en]\ntranslations: {en: en.csv}\n")
    (tmp_path / "en.csv").write_text("source,translation\n你好,Hello\n你好,Hi\n", encoding="utf-8")
    shown = CliRunner().invoke(app, ["validate", str(job)])
    assert shown.exit_code == 2 and "en.csv:3: translations.en: line '你好' is given two different" in shown.stderr
    (tmp_path / "en.csv").unlink()
    shown = CliRunner().invoke(app, ["validate", str(job)])
    assert shown.exit_code == 2 and "job.yaml:5: translations.en: translations file not found: en.csv" in shown.stderr


def test_the_offline_profile_plans_no_release_and_run_says_why(tmp_path):
    dag = plan(write_job(tmp_path, "languages: [en]\n"), "configs/local.yaml")
    assert not [n for n in dag.nodes if "/en" in n]
    shown = CliRunner().invoke(app, ["plan", str(tmp_path / "job.yaml"), "--config", "configs/tiny.yaml"])
    assert shown.exit_code == 0, shown.output
    assert "translate" in shown.stdout and "localise" in shown.stdout


@pytest.mark.slow
def test_the_local_profile_makes_a_dubbed_release_offline_from_the_studio_s_translations(ray_session, tmp_path):
    from stages.media.probe import probe

    out = tmp_path / "out"
    job = write_job(tmp_path / "job", "languages: [en]\ndub: true\ntranslations: {en: en.csv}\n")
    (tmp_path / "job" / "en.csv").write_text(GIVEN, encoding="utf-8")
    ran = CliRunner().invoke(app, ["run", str(job), "--out", str(out)])  # configs/local.yaml
    assert ran.exit_code == 0, ran.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    english = manifest["episodes"]["ep01/en"]
    assert (
        english["status"] == "ok"
        and english["dubbed"]
        and english["translations"] == {"in_context": 0, "alone": 0, "given": 3}
    )
    srt = (out / english["subtitles"]).read_text(encoding="utf-8")
    assert " ".join(srt.split()).count("Waiting for you, Lin Wan.") == 1  # the studio's words, wrapped to rows
    assert probe(out / english["video"]).has_audio and subtitle_tracks(out / english["video"]) == [("mov_text", "eng")]
    assert subtitle_tracks(out / english["video"], "a") == [("aac", "eng")]


@pytest.mark.slow
def test_an_english_release_on_the_tiny_profile_is_made_next_to_the_original(ray_session, tmp_path):
    """The done-when of issue 13: run the master, then with ``languages: [en]`` and ``dub: true``."""
    from stages.media.probe import probe

    out = tmp_path / "out"
    job = write_job(tmp_path / "job")
    first = CliRunner().invoke(app, ["run", str(job), "--config", "configs/tiny.yaml", "--out", str(out)])
    assert first.exit_code == 0, first.output
    write_job(tmp_path / "job", "languages: [en]\ndub: true\n")
    second = CliRunner().invoke(app, ["run", str(job), "--config", "configs/tiny.yaml", "--out", str(out)])
    assert second.exit_code == 0, second.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    tasks = manifest["tasks"]
    for nid, task in tasks.items():
        if task["stage"] in ("character", "keyframe", "motion"):
            assert task["status"] == "cached", nid  # no picture is made again for the language
    made = {task["stage"] for task in tasks.values() if task["status"] == "done"}
    assert made == {"translate", "dub", "mux", "localise", "assembly", "stem"}
    english, original = manifest["episodes"]["ep01/en"], manifest["episodes"]["ep01"]
    assert english["status"] == "ok" and english["language"] == "en" and english["dubbed"]
    assert english["video"] == "ep01/en/episode.mp4" and original["video"] == "ep01/episode.mp4"
    lines = sum(1 for task in tasks.values() if task["stage"] == "translate")
    assert sum(english["translations"].values()) == lines and isinstance(english["dub_overruns"], dict)
    assert original["me_stem"] == "ep01/me.wav" and probe(out / original["me_stem"]).has_audio
    video = probe(out / english["video"])
    assert video.has_audio and video.duration > 1.0
    srt = (out / english["subtitles"]).read_text(encoding="utf-8")
    assert srt != (out / original["subtitles"]).read_text(encoding="utf-8") and "你怎么在这儿" not in srt
    # Each MP4 carries its language's subtitles as a selectable track, tagged with the language.
    assert subtitle_tracks(out / english["video"]) == [("mov_text", "eng")]
    assert subtitle_tracks(out / original["video"]) == [("mov_text", "chi")]
    assert subtitle_tracks(out / english["video"], "a") == [("aac", "eng")]  # dubbed: the voices speak English
    assert subtitle_tracks(out / original["video"], "a") == [("aac", "chi")]
    # The M&E stem: the scenes' ambience (no dialogue), exactly as long as the original episode.
    stem = probe(out / original["me_stem"])
    assert abs(stem.duration - probe(out / original["video"]).duration) < 0.05
    assert json.loads((Path(manifest["store"]) / "stem" / tasks["stem:ep01"]["key"] / "meta.json").read_text())[
        "ambience"
    ]
    # What each shot burns into its picture (the cues its mux was given): English in the release, the
    # original Chinese rows in the master; the release's shots keep their scene (its ambience).
    store = Path(manifest["store"])

    def mux_meta(nid: str) -> dict:
        return json.loads((store / "mux" / tasks[nid]["key"] / "meta.json").read_text(encoding="utf-8"))

    spoken = [nid for nid, t in tasks.items() if t["stage"] == "mux" and "/" not in nid]
    spoken = [nid for nid in spoken if mux_meta(nid)["cues"]]
    assert spoken
    for nid in spoken:
        burned, master = mux_meta(f"{nid}/en"), mux_meta(nid)
        assert burned["language"] == "en" and burned["offsets"] != [] and burned["cues"]
        assert not any(CJK.search(row) for cue in burned["cues"] for row in cue[3]), burned["cues"]
        assert any(CJK.search(row) for cue in master["cues"] for row in cue[3])
        assert not {t["kind"] for t in burned["text"]} & {"header", "caption"}
