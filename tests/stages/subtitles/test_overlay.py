"""The text a shot burns: internal ids only in a review cut."""

from stages.models import Scene, Shot
from stages.params import JobContext
from stages.subtitles.overlay import shot_overlay


def _texts(sample, review: bool) -> list[str]:
    job = JobContext.model_validate({**sample.JOB, "width": 720, "height": 1280, "review": review})  # room for the id
    shot, scene = Shot.model_validate(sample.SHOTS[1]), Scene.model_validate(sample.SCENE)
    subs, _placed = shot_overlay(job, shot, scene, [], shot.duration)
    return [event.plaintext for event in subs.events]


def test_shot_ids_appear_only_in_the_review_cut(sample):
    shot_id = sample.SHOTS[1]["id"]
    assert not any(shot_id in text for text in _texts(sample, review=False))
    assert any(shot_id in text for text in _texts(sample, review=True))
