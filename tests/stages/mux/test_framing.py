"""Shot/reverse-shot: a static shot with several speakers cuts to each speaker for their lines."""

import subprocess

import numpy as np

from stages.models import Shot
from stages.motion.kenburns import REVERSE_SHOT_ZOOM, KenBurnsMotion
from stages.mux.framing import speaker_framings
from stages.mux.shot_mux import ShotMux

PEOPLE = [["林晚", 60.0, 90.0], ["顾沉", 120.0, 90.0]]


def _shot(sample, camera="static", speakers=("林晚", "顾沉")):
    lines = [{**line, "character": who} for line, who in zip(sample.LINES, speakers, strict=True)]
    return Shot.model_validate({**sample.SHOTS[0], "camera": camera, "lines": lines})


def test_each_speaker_gets_a_framing_from_their_first_word(sample):
    framings = speaker_framings(_shot(sample), [0.2, 1.4], PEOPLE, 180)
    assert [(f.start, f.speaker) for f in framings] == [(0.0, "林晚"), (1.4, "顾沉")]
    window = 180 / REVERSE_SHOT_ZOOM
    assert framings[0].x == 0.0 and framings[1].x == round(180 - window, 1)  # both kept inside the frame


def test_no_cut_for_one_speaker_a_moving_camera_or_people_out_of_view(sample):
    assert speaker_framings(_shot(sample, speakers=("林晚", "林晚")), [0.2, 1.4], PEOPLE, 180) == []
    assert speaker_framings(_shot(sample, camera="push-in"), [0.2, 1.4], PEOPLE, 180) == []
    assert speaker_framings(_shot(sample), [0.2, 1.4], PEOPLE[:1], 180) == []


def _gray(path, t, w=180, h=320):
    raw = subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-ss", f"{t:.3f}", "-i", str(path)),
            *("-frames:v", "1", "-f", "rawvideo"),
            *("-pix_fmt", "gray", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(h, w).astype(float)


def test_a_static_two_hander_cuts_between_its_speakers(stage_run, keyframes, voices, sample, tmp_path):
    shot = {**sample.SHOTS[0], "camera": "static"}
    motion = stage_run(KenBurnsMotion(), {"job": sample.JOB, "shot": shot}, {"keyframe": keyframes[0]}, tmp_path / "m")
    assert [p[0] for p in motion.meta["people"]] == ["林晚", "顾沉"]
    params = {"job": sample.JOB, "shot": shot, "scene": sample.SCENE}
    mux = stage_run(ShotMux(), params, {"motion": motion, "voices": voices[:2]}, tmp_path / "mux")
    (first, who_first), (cut, who_next) = mux.meta["framings"]
    assert (first, who_first, who_next) == (0.0, "林晚", "顾沉") and cut == mux.meta["offsets"][1]
    # The picture between the header and the text bands: one framing, then another.
    band = slice(80, 180)
    before, after = _gray(mux.file(), cut - 0.3)[band], _gray(mux.file(), cut + 0.3)[band]
    assert np.abs(before - after).mean() > 5
    same = _gray(mux.file(), cut - 0.5)[band]
    assert np.abs(before - same).mean() < 1.5  # and holds still inside a framing
