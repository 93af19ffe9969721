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


def write_job(folder, extra: str = ""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "script.txt").write_text(SCRIPT, encoding="utf-8")
    spec = f"studio: 云冈\ntitle: 重逢\nscript: script.txt\n{extra}"
    (folder / "job.yaml").write_text(spec, encoding="utf-8")
    return folder / "job.yaml"


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
        assert mux.params["language"] == "en"
        assert mux.inputs["subtitles"] == [localise.id]  # the localised cues of its language
        assert mux.params["scene"] == original.params["scene"] and mux.params["scene"] is not None  # its ambience
        assert set(mux.inputs["voices"]) <= set(voices)  # timed by the same voices as the subtitles
        assert release.nodes[mux.inputs["motion"][0]].stage == "motion"


def test_editing_one_line_re_runs_only_its_translation(tmp_path):
    before = plan(write_job(tmp_path / "a", "languages: [en]\n"), "configs/tiny.yaml")
    job = write_job(tmp_path / "b", "languages: [en]\n")
    script = job.parent / "script.txt"
    script.write_text(SCRIPT.replace("等你。", "等你很久了。"), encoding="utf-8")
    after = plan(job, "configs/tiny.yaml")
    changed = {nid for nid, key in keys(after, "translate").items() if keys(before, "translate")[nid] != key}
    assert changed == {"translate:ep01-l002/en"}


def test_the_offline_profile_plans_no_release_and_run_says_why(tmp_path):
    dag = plan(write_job(tmp_path, "languages: [en]\n"), "configs/local.yaml")
    assert not [n for n in dag.nodes if "/en" in n]
    shown = CliRunner().invoke(app, ["plan", str(tmp_path / "job.yaml"), "--config", "configs/tiny.yaml"])
    assert shown.exit_code == 0, shown.output
    assert "translate" in shown.stdout and "localise" in shown.stdout


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
    assert original["me_stem"] == "ep01/me.wav" and probe(out / original["me_stem"]).has_audio
    video = probe(out / english["video"])
    assert video.has_audio and video.duration > 1.0
    srt = (out / english["subtitles"]).read_text(encoding="utf-8")
    assert srt != (out / original["subtitles"]).read_text(encoding="utf-8") and "你怎么在这儿" not in srt
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
