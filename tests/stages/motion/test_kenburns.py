import numpy as np
import pytest

from stages.media.probe import probe
from stages.motion.kenburns import KenBurnsMotion, zoompan_expressions
from tests.stages.frames import grey_frame


def test_clip_has_exact_duration_resolution_and_codec(motions, sample):
    for shot, motion in zip(sample.SHOTS, motions, strict=True):
        info = probe(motion.file())
        frames = round(shot["duration"] * sample.JOB["fps"])
        assert (info.width, info.height) == (180, 320)
        assert info.video_codec == "h264" and info.pix_fmt == "yuv420p"
        assert info.frames == frames == motion.meta["frames"]
        assert abs(info.duration - shot["duration"]) <= 1 / sample.JOB["fps"]


def test_push_in_moves_the_picture(motions):
    clip = motions[0].file()
    last = motions[0].meta["frames"] - 1
    assert np.abs(grey_frame(clip, index=0) - grey_frame(clip, index=last)).mean() > 3


def test_static_shot_holds_still(stage_run, keyframes, sample, tmp_path):
    shot = {**sample.SHOTS[0], "camera": "static", "duration": 1.0}
    art = stage_run(KenBurnsMotion(), {"job": sample.JOB, "shot": shot}, {"keyframe": keyframes[0]}, tmp_path)
    assert np.abs(grey_frame(art.file(), index=0) - grey_frame(art.file(), index=11)).mean() < 1.5


@pytest.mark.parametrize("camera", ["push-in", "pull-out", "pan", "track", "follow", "static"])
def test_moves_start_and_end_inside_the_picture(camera):
    exprs = zoompan_expressions(camera, 25)
    assert set(exprs) == {"z", "x", "y"}
    for on in (0, 24):
        zoom = eval(exprs["z"].replace("on", str(on)))  # plain arithmetic: safe on our own strings
        assert 1.0 <= zoom <= 1.3


def test_static_clip_has_exact_frames_at_the_job_rate(stage_run, keyframes, sample, tmp_path):
    shot = {**sample.SHOTS[0], "camera": "static", "duration": 2.0}
    art = stage_run(KenBurnsMotion(), {"job": sample.JOB, "shot": shot}, {"keyframe": keyframes[0]}, tmp_path)
    info = probe(art.file())
    assert info.frames == art.meta["frames"] == 2 * sample.JOB["fps"] and info.fps == sample.JOB["fps"]
