"""The executor on the session Ray cluster, with fake fast stages."""

from __future__ import annotations

import json

import pytest

from orchestrator.dag import plan_dag
from orchestrator.execution.executor import Executor
from orchestrator.progress import QuietProgress
from tests.orchestrator.conftest import fake_profile
from tests.orchestrator.storyboards import make_storyboard


def run(job, profile, store_root, board=None, **kwargs):
    dag = plan_dag(job, board or make_storyboard(episodes=1, shots=2), profile)
    observer = QuietProgress()
    report = Executor(profile, store_root, observer=observer, **kwargs).run(dag)
    return dag, report, observer


def test_runs_every_node_then_everything_is_cached(ray_session, job, profile, tmp_path):
    dag, report, observer = run(job, profile, tmp_path / "store")
    assert report.ok and report.count("done") == len(dag.nodes)
    mux = report.artifacts["mux:ep01-s01-sh002"]
    # The stage saw its inputs as finished artifacts, voices in line order.
    seen = json.loads(mux.file().read_text())["inputs"]
    node = dag.nodes["mux:ep01-s01-sh002"]
    assert seen == {
        "motion": dag.nodes[node.inputs["motion"][0]].key,
        "voices": [dag.nodes[v].key for v in node.inputs["voices"]],
    }
    assert mux.meta["duration"] == pytest.approx(
        2.0 + sum(report.artifacts[v].meta["duration"] for v in dag.nodes["mux:ep01-s01-sh002"].inputs["voices"])
    )
    assert all(r.node and r.start is not None and r.finish >= r.start for r in report.records.values())
    assert observer.counts["voice"]["done"] == 5

    _, again, observer = run(job, profile, tmp_path / "store")
    assert again.count("cached") == len(dag.nodes) and again.count("done") == 0
    assert observer.counts["assembly"]["cached"] == 1


def test_one_line_edit_reruns_exactly_its_dependents(ray_session, job, profile, tmp_path):
    board = make_storyboard(episodes=2, shots=2)
    run(job, profile, tmp_path, board=board)
    board.episodes[1].shots[0].lines[1].text = "新台词"
    _, report, _ = run(job, profile, tmp_path, board=board)
    done = {nid for nid, r in report.records.items() if r.status == "done"}
    assert done == {"voice:ep02-l007", "mux:ep02-s01-sh001", "subtitles:ep02", "assembly:ep02"}


def test_independent_work_runs_in_parallel(ray_session, job, fakes, tmp_path):
    profile = fake_profile({"voice": {"sleep": 0.6}})
    _, report, _ = run(job, profile, tmp_path, board=make_storyboard(episodes=1, shots=3, lines_per_shot=2))
    voices = [r for r in report.records.values() if r.stage == "voice"]
    # 7 voices of 0.6 s each: in sequence 4.2 s; the 6-CPU cluster overlaps them.
    span = max(r.finish for r in voices) - min(r.start for r in voices)
    assert span < 0.6 * len(voices) * 0.75
    overlaps = sum(1 for a in voices for b in voices if a is not b and a.start < b.finish and b.start < a.finish)
    assert overlaps > 0


def test_flaky_stage_is_retried(ray_session, job, fakes, tmp_path):
    flaky = tmp_path / "flaky"
    flaky.mkdir()
    profile = fake_profile({"keyframe": {"flaky_dir": str(flaky)}})
    _, report, observer = run(job, profile, tmp_path / "store")
    assert report.ok
    keyframes = [r for r in report.records.values() if r.stage == "keyframe"]
    assert keyframes and all(r.attempts == 2 for r in keyframes)
    assert any("retrying" in message for _, message in observer.events)


def test_failing_node_is_reported_and_independent_work_finishes(ray_session, job, fakes, tmp_path):
    profile = fake_profile({"motion": {"fail": ["ep01-s01-sh002"]}}, retries=1)
    _, report, _ = run(job, profile, tmp_path, board=make_storyboard(episodes=2, shots=2))
    failed = report.failed
    assert [r.id for r in failed] == ["motion:ep01-s01-sh002"]
    assert failed[0].attempts == 2
    assert failed[0].error == "ValueError: fake failure in motion ep01-s01-sh002"
    skipped = {nid for nid, r in report.records.items() if r.status == "skipped"}
    assert skipped == {"mux:ep01-s01-sh002", "assembly:ep01"}
    # Everything else finished, including the other episode and ep01's subtitles.
    assert all(
        r.status == "done" for nid, r in report.records.items() if nid not in skipped and nid != "motion:ep01-s01-sh002"
    )
    assert "motion ep01-s01-sh002: ValueError" in report.failure_summary()
    assert not report.ok


def test_bad_input_is_not_retried(ray_session, job, fakes, tmp_path):
    """A retry cannot fix bad input: one attempt, and the stage's own message, not Ray's wrapper."""
    profile = fake_profile({"voice": {"invalid": ["ep01-l001"]}}, retries=3)
    _, report, _ = run(job, profile, tmp_path, board=make_storyboard(episodes=1, shots=1))
    (failed,) = report.failed
    assert failed.id == "voice:ep01-l001"
    assert failed.attempts == 1
    assert failed.error == "InputError: fake bad input in voice ep01-l001"


def test_pooled_stage_runs_on_warm_actors(ray_session, job, fakes, tmp_path):
    from orchestrator.config import PoolSettings
    from tests.orchestrator.fakes import fake_worker_factory

    profile = fake_profile()
    profile.stages["voice"].pool = PoolSettings(size={"*": 2})
    dag, report, _ = run(job, profile, tmp_path, worker_factory=fake_worker_factory)
    assert report.ok
    voices = [nid for nid in dag.nodes if nid.startswith("voice:")]
    pids = {json.loads(report.artifacts[v].file().read_text())["pid"] for v in voices}
    # Five lines served by at most two long-lived actors, not one process per line.
    assert 1 <= len(pids) <= 2 < len(voices)
