"""A pool call stopped between two denoising steps when its GPU is taken back (tiny random models)."""

from __future__ import annotations

import pytest

from stages.errors import StageFailed
from stages.pipelines import interrupt
from stages.store import lookup
from tests.workers.conftest import TINY_IMAGE, TINY_VIDEO, make_shot
from workers.pool import StageWorker, worker_class_for
from workers.task import pooled_worker_class

STEPS = 4


def stop_at_step(store, token: str, pipe, at: int) -> list[int]:
    """Count the pipeline's denoising steps; at step ``at`` the driver writes the stop marker."""
    scheduler = pipe.scheduler
    step = scheduler.step
    steps: list[int] = []
    asked: list[bool] = []

    def counting(*args, **kwargs):
        steps.append(len(steps) + 1)
        if len(steps) == at and not asked:  # once: the node granted again runs to its end
            asked.append(True)
            interrupt.request_stop(store, token)
        return step(*args, **kwargs)

    scheduler.step = counting
    return steps


@pytest.mark.parametrize(("stage", "options"), [("keyframe", TINY_IMAGE), ("motion", TINY_VIDEO)])
def test_a_pool_call_stops_between_two_steps_when_asked_and_writes_nothing(tmp_path, job, heroine, stage, options):
    worker = pooled_worker_class(worker_class_for(stage, "diffusers"))(stage, "diffusers", {**options, "steps": STEPS})
    shot = make_shot(1, [heroine["name"]])
    params = {"job": job, "episode": {}, "scene": {}, "shot": shot, "characters": [heroine]}
    inputs = {"characters": []}
    if stage == "motion":  # its keyframe first, made through the store as a run makes it
        frame = StageWorker("keyframe", "diffusers", TINY_IMAGE).execute("kf", params, inputs, tmp_path)
        params, inputs = {"job": job, "shot": shot}, {"keyframe": frame}
    worker.stage.setup()
    token = interrupt.new_token()
    steps = stop_at_step(tmp_path, token, worker.stage.model.pipe, at=2)
    with pytest.raises(StageFailed) as caught:
        worker.run_node("k1", params, inputs, str(tmp_path), token)
    assert caught.value.preempted and caught.value.retryable
    assert steps == [1, 2]  # the loop ended after the step the marker appeared in, not after all four
    assert lookup(tmp_path, stage, "k1") is None  # nothing half-made in the store
    assert not interrupt.marker(tmp_path, token).exists()  # the worker cleared the marker it obeyed
    steps.clear()
    result = worker.run_node("k1", params, inputs, str(tmp_path), interrupt.new_token())  # granted again
    assert len(steps) == STEPS and lookup(tmp_path, stage, "k1") is not None and "artifact" in result


def test_a_preempted_batch_gives_every_unit_back_and_makes_none_one_by_one(tmp_path, job, heroine):
    worker = pooled_worker_class(worker_class_for("keyframe", "diffusers"))("keyframe", "diffusers", TINY_IMAGE)
    shots = [make_shot(n, [heroine["name"]]) for n in (1, 2)]
    tasks = [
        (f"kf-{i}", {"job": job, "episode": {}, "scene": {}, "shot": s, "characters": [heroine]}, {"characters": []})
        for i, s in enumerate(shots)
    ]
    worker.stage.setup()
    token = interrupt.new_token()
    steps = stop_at_step(tmp_path, token, worker.stage.model.pipe, at=1)
    outcomes = worker.run_batch(tasks, str(tmp_path), token)
    assert [o["error"].preempted for o in outcomes] == [True, True] and steps == [1]
    assert all(lookup(tmp_path, "keyframe", key) is None for key, _, _ in tasks)


def test_a_marker_left_for_another_call_stops_nothing(tmp_path, job, heroine):
    """A driver that died after asking a call to stop leaves its marker behind; the store is shared, so
    a later call making the same artifact (or another job's call right now) must not obey it."""
    worker = pooled_worker_class(worker_class_for("keyframe", "diffusers"))("keyframe", "diffusers", TINY_IMAGE)
    shot = make_shot(1, [heroine["name"]])
    params = {"job": job, "episode": {}, "scene": {}, "shot": shot, "characters": [heroine]}
    stale = interrupt.new_token()
    interrupt.request_stop(tmp_path, stale)
    result = worker.run_node("kf", params, {"characters": []}, str(tmp_path), interrupt.new_token())
    assert "artifact" in result and lookup(tmp_path, "keyframe", "kf") is not None
    assert interrupt.marker(tmp_path, stale).exists()  # not this call's to clear


def test_a_stop_token_is_a_plain_name_not_a_path(tmp_path):
    for bad in ("../escape", "k1", "", "A" * 32):
        with pytest.raises(ValueError, match="not a stop token"):
            interrupt.marker(tmp_path, bad)


def test_stopping_pickles_across_processes():
    import pickle

    again = pickle.loads(pickle.dumps(StageFailed("x", retryable=True, preempted=True)))
    assert again.preempted and again.retryable
    assert pickle.loads(pickle.dumps(interrupt.Preempted("sh1"))).unit == "sh1"
