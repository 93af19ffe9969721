"""Warm worker pools in the executor: given back when their stage is over, batches, a pool that cannot start."""

from __future__ import annotations

from orchestrator.config import PoolSettings
from tests.orchestrator.conftest import fake_profile
from tests.orchestrator.execution.test_executor import run
from tests.orchestrator.fakes import fake_worker_factory, worker_log
from tests.orchestrator.storyboards import make_storyboard


def pooled(profile, stage: str, **pool) -> None:
    profile.stages[stage].pool = PoolSettings(**pool)


def test_a_settled_stage_gives_its_pool_back_before_the_run_ends(ray_session, job, fakes, tmp_path):
    log = tmp_path / "workers.jsonl"
    profile = fake_profile({"character": {"worker_log": str(log)}, "voice": {"worker_log": str(log)}})
    pooled(profile, "character")
    pooled(profile, "voice", size={"*": 2})
    _, report, _ = run(job, profile, tmp_path / "store", worker_factory=fake_worker_factory)
    assert report.ok
    shutdowns = [e for e in worker_log(log) if "shutdown" in e]
    assert sorted(e["shutdown"] for e in shutdowns) == ["character", "voice", "voice"]  # each actor once
    # The character sheets are all made long before the episode is assembled; their actor went then,
    # not at the end of the run.
    assembly_started = min(r.start for r in report.records.values() if r.stage == "assembly") + report.started
    character_gone = next(e["time"] for e in shutdowns if e["shutdown"] == "character")
    assert character_gone < assembly_started


def test_missing_model_fails_its_stage_once_without_retries(ray_session, job, fakes, tmp_path):
    profile = fake_profile({"keyframe": {"missing_model": "kaipai-test/no-such-model"}}, retries=3)
    pooled(profile, "keyframe")
    _, report, observer = run(
        job, profile, tmp_path, board=make_storyboard(episodes=1, shots=3), worker_factory=fake_worker_factory
    )
    keyframes = [r for r in report.records.values() if r.stage == "keyframe"]
    assert len(keyframes) == 3 and all(r.status == "failed" for r in keyframes)
    assert all(r.error.startswith("ModelMissing: model 'kaipai-test/no-such-model'") for r in keyframes)
    assert all("hf download kaipai-test/no-such-model" in r.error for r in keyframes)
    assert all(r.attempts <= 1 for r in keyframes)
    errors = [message for level, message in observer.events if level == "error"]
    assert len(errors) == 1 and "keyframe workers could not start" in errors[0]
    assert not any("keyframe" in message for level, message in observer.events if level == "warning")
    # The rest of the DAG: what needs the keyframes is skipped, the voices are still made.
    assert {r.status for r in report.records.values() if r.stage in ("motion", "mux", "assembly")} == {"skipped"}
    assert all(r.status == "done" for r in report.records.values() if r.stage == "voice")
    summary = report.failure_summary().splitlines()
    assert summary[0].startswith("keyframe (3 tasks: ep01-s01-sh001, ep01-s01-sh002, ep01-s01-sh003): ModelMissing")
    assert len([line for line in summary if "ModelMissing" in line]) == 1


def test_ready_nodes_go_to_the_pool_in_batches(ray_session, job, fakes, tmp_path):
    log = tmp_path / "workers.jsonl"
    broken = "ep01-s01-sh004"
    profile = fake_profile({"keyframe": {"worker_log": str(log), "sleep": 0.2, "fail": [broken]}}, retries=0)
    pooled(profile, "keyframe", batch_size=3)
    dag, report, _ = run(
        job, profile, tmp_path, board=make_storyboard(episodes=1, shots=7), worker_factory=fake_worker_factory
    )
    batches = [e["batch"] for e in worker_log(log) if "batch" in e]
    shots = sorted(n.unit for n in dag.nodes.values() if n.stage == "keyframe")
    assert max(len(b) for b in batches) > 1 and all(len(b) <= 3 for b in batches)
    # Each shot was sent once (the batch with the broken shot is redone one unit at a time in the actor).
    assert sorted(unit for b in batches for unit in b) == shots
    # The failure belongs to its own shot; the shots batched with it are made.
    (failed,) = report.failed
    assert failed.id == f"keyframe:{broken}" and failed.error == f"ValueError: fake failure in keyframe {broken}"
    made = [r for r in report.records.values() if r.stage == "keyframe" and r.status == "done"]
    assert len(made) == len(shots) - 1 and all(r.attempts == 1 for r in made)
    assert all(r.status == "done" for r in report.records.values() if r.stage == "voice")
