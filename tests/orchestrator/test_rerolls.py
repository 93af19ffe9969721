"""Re-rolls after a failed picture gate, on the in-process backend with fake stages.

The fake keyframe is black for one seed (the first take of one shot) and fine for every other, so
the first attempt fails its black-frames gate and a re-roll with a new seed passes.
"""

from __future__ import annotations

import contextlib
import functools
import json

import pytest
import yaml
from typer.testing import CliRunner

from orchestrator import jobrun
from orchestrator.cli import app
from orchestrator.config import Profile
from orchestrator.dag import plan_dag
from orchestrator.execution.executor import Executor
from orchestrator.progress import QuietProgress
from orchestrator.rerolls import Reroll, new_seed, run_with_rerolls, shots_under
from tests.orchestrator.execution.inprocess import InProcessBackend
from tests.orchestrator.fakes import FAKES, fake_seed, register_fakes
from tests.orchestrator.storyboards import make_storyboard

BLACK_SHOT = "ep01-s01-sh002"


def gated_profile(*, rerolls: int = 1, black: list[str] = (BLACK_SHOT,), loud: list[str] = ()) -> Profile:
    """Fake stages and the fake gates; the keyframe of each shot in ``black`` is black at its first seed."""
    register_fakes()
    stages = {name: {"backend": "fake"} for name in (*FAKES, "gates")}
    stages["keyframe"]["options"] = {"black_seeds": [fake_seed(shot) for shot in black]}
    stages["gates"]["options"] = {"loud": list(loud)}
    return Profile(name="fake", stages=stages, gate_rerolls=rerolls)


def run_board(job, profile, store, board):
    observer = QuietProgress()
    executor = Executor(profile, store, observer=observer, backend=InProcessBackend())

    def run(seeds):
        dag = plan_dag(job, board, profile, seeds=seeds)
        return dag, executor.run(dag)

    return run_with_rerolls(run, profile, observer), observer


def gates_of(outcome, episode="ep01"):
    return outcome.report.artifacts[f"gates:{episode}"].meta


def test_a_black_shot_is_rerolled_once_and_the_episode_passes(fakes, job, tmp_path):
    board = make_storyboard(episodes=2, shots=2)
    outcome, observer = run_board(job, gated_profile(), tmp_path / "store", board)
    old = fake_seed(BLACK_SHOT)
    assert outcome.rerolls == [Reroll("ep01", "black frames", BLACK_SHOT, old, new_seed(old, 1, BLACK_SHOT), 1)]
    assert gates_of(outcome)["passed"] and gates_of(outcome, "ep02")["passed"]
    assert outcome.report.artifacts[f"keyframe:{BLACK_SHOT}"].meta["seed"] == new_seed(old, 1, BLACK_SHOT)
    # The second attempt made only that shot's picture again and what joins it; the rest was stored.
    done = {nid for nid, r in outcome.report.records.items() if r.status == "done"}
    assert done == {f"{s}:{BLACK_SHOT}" for s in ("keyframe", "motion", "mux")} | {"assembly:ep01", "gates:ep01"}
    assert any("re-rolling it with seed" in message for _, message in observer.events)


def test_a_frozen_shot_is_rerolled_like_a_black_one(fakes, job, tmp_path):
    profile = gated_profile(black=[])
    profile.stages["keyframe"].options.frozen_seeds.append(fake_seed(BLACK_SHOT))
    outcome, _ = run_board(job, profile, tmp_path / "store", make_storyboard(episodes=1, shots=2))
    old = fake_seed(BLACK_SHOT)
    assert outcome.rerolls == [Reroll("ep01", "frozen picture", BLACK_SHOT, old, new_seed(old, 1, BLACK_SHOT), 1)]
    assert gates_of(outcome)["passed"] and len(outcome.earlier) == 1


def test_the_new_seed_is_deterministic_and_differs_per_attempt():
    assert new_seed(7, 1, "s") == new_seed(7, 1, "s") != new_seed(7, 2, "s")
    assert new_seed(None, 1, "a") != new_seed(None, 1, "b")  # a seed never recorded: from the shot


def test_a_shot_black_at_every_seed_stops_at_the_limit(fakes, job, tmp_path):
    profile = gated_profile(rerolls=2)
    old = fake_seed(BLACK_SHOT)
    first, second = new_seed(old, 1, BLACK_SHOT), new_seed(new_seed(old, 1, BLACK_SHOT), 2, BLACK_SHOT)
    profile.stages["keyframe"].options.black_seeds += [first, second]
    outcome, _ = run_board(job, profile, tmp_path / "store", make_storyboard(episodes=1, shots=2))
    assert [(r.attempt, r.old_seed, r.new_seed) for r in outcome.rerolls] == [(1, old, first), (2, first, second)]
    assert not gates_of(outcome)["passed"] and len(outcome.earlier) == 2


def test_no_reroll_when_a_gate_no_seed_fixes_also_failed(fakes, job, tmp_path):
    profile = gated_profile(loud=["ep01"])
    outcome, _ = run_board(job, profile, tmp_path / "store", make_storyboard(episodes=1, shots=2))
    assert outcome.rerolls == [] and outcome.earlier == []
    assert [g["gate"] for g in gates_of(outcome)["gates"] if not g["passed"]] == ["black frames", "loudness"]


def test_no_reroll_of_a_shot_no_model_made(fakes, job, tmp_path, monkeypatch):
    from tests.orchestrator import fakes as fake_stages

    monkeypatch.setattr(fake_stages.FakeKeyframe, "seeded", classmethod(lambda cls: False))
    outcome, _ = run_board(job, gated_profile(), tmp_path / "store", make_storyboard(episodes=1, shots=2))
    assert outcome.rerolls == [] and not gates_of(outcome)["passed"]


def test_spans_name_every_shot_they_touch():
    timeline = [("a", 0.0, 2.0), ("b", 2.0, 5.0), ("c", 5.0, 6.0)]
    assert shots_under(timeline, [[1.5, 2.5]]) == ["a", "b"]
    assert shots_under(timeline, [[5.0, 6.0]]) == ["c"]


# ---------------------------------------------------------------- through `kaipai run`

SCRIPT = "第1集\n1-1 日 内 办公室\n人物：林晚、顾沉\n林晚：你来了。\n顾沉：我来了。\n旁白：那天下着雨。\n"


@pytest.fixture
def in_process(monkeypatch):
    """``kaipai run`` on the in-process backend: the re-roll loop is the same whatever runs the tasks."""
    monkeypatch.setattr(jobrun, "ray_connection", lambda profile, address=None: contextlib.nullcontext())
    monkeypatch.setattr(jobrun, "Executor", functools.partial(Executor, backend=InProcessBackend()))


def write_job(tmp_path, rerolls: int):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "script.txt").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "job" / "job.yaml").write_text("studio: 测试\ntitle: 测试剧\nscript: script.txt\n", encoding="utf-8")
    stages = {name: {"backend": "fake"} for name in (*FAKES, "gates")}
    stages["keyframe"]["options"] = {"black_seeds": [fake_seed(BLACK_SHOT)]}
    config = tmp_path / "fake.yaml"
    config.write_text(yaml.safe_dump({"name": "fake", "gate_rerolls": rerolls, "stages": stages}, allow_unicode=True))
    return tmp_path / "job" / "job.yaml", config


def test_run_rerolls_and_records_it_in_the_manifest_and_report(fakes, in_process, tmp_path):
    job, config = write_job(tmp_path, rerolls=1)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    old = fake_seed(BLACK_SHOT)
    record = {
        "episode": "ep01",
        "gate": "black frames",
        "shot": BLACK_SHOT,
        "old_seed": old,
        "new_seed": new_seed(old, 1, BLACK_SHOT),
        "attempt": 1,
    }
    assert manifest["status"] == "ok" and manifest["rerolls"] == [record]
    assert manifest["episodes"]["ep01"]["rerolls"] == [record]
    assert f"re-rolled {BLACK_SHOT} (black frames, attempt 1)" in result.output
    assert "shots planned" not in result.output and "failed quality gates" not in result.output
    # Work the first attempt made counts as made by this run, not as found in the store.
    assert manifest["tasks"]["voice:ep01-l001"]["status"] == "done"
    assert "Re-rolled:" in (out / "report.html").read_text(encoding="utf-8")


def test_with_no_rerolls_the_gate_fails_the_run_naming_it(fakes, in_process, tmp_path):
    job, config = write_job(tmp_path, rerolls=0)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(job), "--config", str(config), "--out", str(out)])
    assert result.exit_code == 1
    assert "ep01  failed quality gates: black frames: 1 spans" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "failed" and manifest["rerolls"] == []
    assert manifest["episodes"]["ep01"]["failed_gates"][0].startswith("black frames: 1 spans")
