"""A whole job on ``configs/tiny.yaml``: every model backend, in warm pools, through the real executor."""

from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLES


@pytest.mark.slow
def test_whole_dag_runs_on_tiny_models(ray_session, tmp_path):
    from orchestrator import frontend
    from orchestrator.config import load_profile
    from orchestrator.dag import plan_dag
    from orchestrator.execution.executor import Executor
    from stages.media.probe import probe
    from stages.models import Storyboard
    from workers.pool import worker_class_for

    profile = load_profile("configs/tiny.yaml")
    job, script, _ = frontend.load(EXAMPLES / "fountain-short" / "job.yaml")
    characters, _ = frontend.characters_for(job, script)
    settings = profile.stage("storyboard")
    storyboarder = worker_class_for("storyboard", settings.backend)("storyboard", settings.backend, settings.options)
    made = storyboarder.execute(
        "storyboard", frontend.storyboard_params(job, script, characters), {}, tmp_path / "store"
    )
    assert made.meta["fallback"] == made.meta["scenes"]  # a random LM never passes validation
    board = Storyboard.model_validate(json.loads(made.file().read_text(encoding="utf-8")))

    dag = plan_dag(job, board, profile, context=frontend.job_context(job, script))
    report = Executor(profile, tmp_path / "store").run(dag)
    assert report.ok, report.failure_summary()
    stages = {record.stage for record in report.records.values()}
    assert {"character", "keyframe", "motion", "voice", "mux", "subtitles", "assembly"} <= stages

    episodes = [a for nid, a in report.artifacts.items() if nid.startswith("assembly:")]
    assert len(episodes) == len(board.episodes)
    video = probe(episodes[0].file("episode.mp4"))
    assert (video.width, video.height) == (job.spec.size[0], job.spec.size[1])
    assert video.has_audio and video.duration > 1.0
    motion = next(a for nid, a in report.artifacts.items() if nid.startswith("motion:"))
    assert motion.meta["model"] == "tiny:ltx" and motion.meta["generated_frames"] == 9
