"""``kaipai run`` / ``kaipai plan`` through the CLI, with fake stages: manifest, published files, exit codes."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from orchestrator.cli import app
from tests.orchestrator.fakes import FAKES

SCRIPT = """第1集
1-1 日 内 办公室
人物：林晚、顾沉
林晚：你来了。
顾沉：我来了。
旁白：那天下着雨。
"""


def write_job(tmp_path, fail=()):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "script.txt").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "job" / "job.yaml").write_text("studio: 测试\ntitle: 测试剧\nscript: script.txt\n", encoding="utf-8")
    stages = {name: {"backend": "fake"} for name in FAKES}
    if fail:
        stages["motion"]["options"] = {"fail": list(fail)}
    config = tmp_path / "fake.yaml"
    config.write_text(yaml.safe_dump({"name": "fake", "retries": 0, "stages": stages}, allow_unicode=True))
    return tmp_path / "job" / "job.yaml", config


def test_run_writes_manifest_and_episode_files(ray_session, fakes, tmp_path):
    job, config = write_job(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "ok" and manifest["profile"] == "fake"
    ep = manifest["episodes"]["ep01"]
    assert ep["video"] == "ep01/episode.mp4" and ep["subtitles"] == "ep01/episode.srt"
    assert ep["cover"] == "ep01/cover.jpg" and ep["shots"] == 3 and ep["duration"] > 0
    for field in ("video", "subtitles", "cover"):
        assert (out / ep[field]).is_file()
    tasks = manifest["tasks"]
    assert set(tasks) >= {"storyboard:job", "voice:ep01-l001", "mux:ep01-s01-sh001", "assembly:ep01"}
    for task in tasks.values():
        assert task["status"] == "done" and task["finish"] >= task["start"] and task["node"] and task["key"]
        assert {"stage", "zone"} <= set(task)
    assert (out / "storyboard.json").is_file() and (out / ".store").is_dir()
    assert "ep01" in result.output and "tasks:" in result.output

    again = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out)])
    assert again.exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["done"] == 0 and manifest["summary"]["cached"] == len(tasks)


def test_failed_shot_exits_1_and_names_it(ray_session, fakes, tmp_path):
    job, config = write_job(tmp_path, fail=["ep01-s01-sh002"])
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 1
    assert "motion ep01-s01-sh002: ValueError: fake failure" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert manifest["tasks"]["motion:ep01-s01-sh002"]["status"] == "failed"
    assert manifest["tasks"]["assembly:ep01"]["status"] == "skipped"
    assert manifest["tasks"]["voice:ep01-l003"]["status"] == "done"
    assert manifest["episodes"]["ep01"]["status"] == "failed"


def test_bad_config_exits_2(tmp_path):
    job, config = write_job(tmp_path)
    config.write_text("name: x\nstages: {voice: {backend: espeak, colour: red}}\n")
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config)])
    assert result.exit_code == 2
    assert "fake.yaml:2" in result.output and "unknown key" in result.output


def test_plan_json(fakes, tmp_path):
    job, config = write_job(tmp_path)
    result = CliRunner().invoke(app, ["plan", str(job), "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["tasks"] == len(plan["nodes"]) and plan["stages"]["voice"]["nodes"] == 3
    assert plan["critical_path"][-1] == "assembly:ep01" and plan["critical_path_seconds"] > 0


def test_run_stops_before_ray_when_a_model_is_missing_offline(fakes, tmp_path, monkeypatch):
    """One message per missing model, at its line of the config, with the fetch command; exit 2, no Ray."""
    from orchestrator import jobrun

    job, _ = write_job(tmp_path)
    config = tmp_path / "models.yaml"
    config.write_text(
        "name: models\n"
        "stages:\n"
        "  storyboard: {backend: rules}\n"
        "  keyframe:\n"
        "    backend: diffusers\n"
        "    options: {model: kaipai-test/no-such-image-model}\n"
        "  voice:\n"
        "    backend: transformers\n"
        "    options:\n"
        "      model: kaipai-test/no-such-voice-model\n"
        "  motion: {backend: kenburns}\n",
        encoding="utf-8",
    )

    def no_ray(*args, **kwargs):
        raise AssertionError("Ray started although a model is missing")

    monkeypatch.setattr(jobrun, "ray_connection", no_ray)
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2
    assert errors[0].startswith(f"error: {config}:6: stages.keyframe.options.model: model 'kaipai-test/no-such-image")
    assert errors[1].startswith(f"error: {config}:10: stages.voice.options.model: model 'kaipai-test/no-such-voice")
    assert all("offline" in line and "hf download kaipai-test/no-such-" in line for line in errors)
    assert "Traceback" not in result.output


def test_review_cut_goes_to_its_own_folder_and_leaves_the_release(ray_session, fakes, tmp_path):
    job, config = write_job(tmp_path)
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out)]).exit_code == 0
    release = (out / "manifest.json").read_text()
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out), "--review"])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").read_text() == release  # the release is untouched
    review = json.loads((out / "review" / "manifest.json").read_text())
    assert (out / "review" / review["episodes"]["ep01"]["video"]).is_file()
    tasks = review["tasks"].values()
    remade = {t["stage"] for t in tasks if t["status"] == "done"} - {"storyboard"}
    assert remade <= {"mux", "assembly", "gates"} and "mux" in remade  # pictures and voices came from the store
    assert not (out / "review" / ".store").exists()  # the release's store, not a new one
