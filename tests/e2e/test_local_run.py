"""End to end on the real CPU stages (the ``local`` profile): script in, watchable episode out.

One small job, rendered small and slow-marked; the same run then proves the cached re-run and the
one-line edit on real media, not on fakes.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from orchestrator.cli import app
from stages.media.probe import probe

pytestmark = pytest.mark.slow

SCRIPT = """第1集 试镜
1-1 夜 外 大同城墙
人物：林晚、陈砚
△林晚站在城墙上，风吹起她的衣角。
林晚（低声）：你终于来了。
陈砚：我答应过你，{edit}
旁白：那一夜，城墙上的灯一直亮着。
"""


def write_job(folder, edit="就一定会来。"):
    folder.mkdir(exist_ok=True)
    (folder / "script.txt").write_text(SCRIPT.format(edit=edit), encoding="utf-8")
    spec = {
        "studio": "测试",
        "title": "城墙{夜}\\N",
        "script": "script.txt",
        "resolution": "180x320",
        "fps": 12,
        "characters": {"林晚": {"appearance": "短发，蓝色风衣"}, "陈砚": {"appearance": "黑色冲锋衣"}},
    }
    (folder / "job.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return folder / "job.yaml"


def run(job, out):
    result = CliRunner().invoke(app, ["run", str(job), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads((out / "manifest.json").read_text())


def audio_rms(path) -> float:
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    return float(np.sqrt(np.mean(samples**2)))


def test_local_profile_end_to_end(ray_session, tmp_path):
    job, out = write_job(tmp_path / "job"), tmp_path / "out"
    manifest = run(job, out)
    episode = manifest["episodes"]["ep01"]
    video = out / episode["video"]
    info = probe(video)
    assert (info.width, info.height) == (180, 320)
    assert info.has_audio and info.video_codec == "h264" and info.audio_codec == "aac"
    assert abs(info.duration - episode["duration"]) < 0.2
    assert audio_rms(video) > 100  # voices are there, not silence
    srt = (out / episode["subtitles"]).read_text(encoding="utf-8")
    assert "你终于来了" in srt and "那一夜" in srt
    assert (out / episode["cover"]).stat().st_size > 1000
    stages = {t["stage"] for t in manifest["tasks"].values()}
    made = ("storyboard", "character", "keyframe", "motion", "voice", "subtitles", "mux", "sound", "assembly")
    assert stages == {*made, "gates"}
    failed = [g for g in episode["gates"] if not g["passed"]]
    assert failed == [] and len(episode["gates"]) >= 9
    assert (out / "report.html").is_file()

    cached = run(job, out)
    assert cached["summary"]["done"] == 0 and cached["summary"]["failed"] == 0

    write_job(tmp_path / "job", edit="不管多远，我都会赶回来见你一面。")
    edited = run(job, out)
    rerun = sorted(t["stage"] for t in edited["tasks"].values() if t["status"] == "done")
    # The storyboard itself is remade (the script changed); of the episode's work, exactly these.
    assert rerun == ["assembly", "gates", "mux", "sound", "storyboard", "subtitles", "voice"]
    assert "不管多远" in (out / episode["subtitles"]).read_text(encoding="utf-8")
