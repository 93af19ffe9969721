"""A still shot's picture in segments: an edited line re-encodes its own segment, the others are reused."""

import subprocess

import numpy as np
import pysubs2
import pytest

from stages.models import Character
from stages.motion.kenburns import KenBurnsMotion
from stages.mux.framing import Framing
from stages.mux.segments import describe, segment_bounds
from stages.mux.shot_mux import ShotMux
from stages.params import Speaker
from stages.parts import PARTS_SUFFIX
from stages.voice.espeak import EspeakVoice


def _frames(path, first, count, w=180, h=320):
    """``count`` decoded grey frames of ``path`` from frame ``first``."""
    raw = subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-i", str(path), "-vf", f"select=gte(n\\,{first})", "-vsync", "0"),
            *("-frames:v", str(count), "-f", "rawvideo", "-pix_fmt", "gray", "-"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w)


def test_lines_start_segments_on_their_first_frame():
    assert segment_bounds([0.25, 2.0, 3.5], 60, 12) == [(0, 24, 0.25), (24, 42, 2.0), (42, 60, 3.5)]
    assert segment_bounds([0.25], 30, 12) == [(0, 30, 0.25)]  # one line: one segment
    assert segment_bounds([], 30, 12) == [(0, 30, 0.0)]


def test_a_segment_is_described_from_its_own_first_frame():
    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=0, end=5000, text="label", style="Label"))
    subs.append(pysubs2.SSAEvent(start=2100, end=3300, text="line two", style="Default"))
    framings = [Framing(0.0, "a", 0.0), Framing(2.0, "b", 40.0)]
    moved = [Framing(0.0, "a", 0.0), Framing(3.0, "b", 40.0)]
    later = pysubs2.SSAFile()
    later.events = [pysubs2.SSAEvent(start=0, end=6000, text="label", style="Label")]
    later.append(pysubs2.SSAEvent(start=3100, end=4300, text="line two", style="Default"))
    here, there = describe((24, 60, 2.0), subs, framings, 12), describe((36, 72, 3.0), later, moved, 12)
    assert here.crops == ((0, 40.0),) and here.events == ((0, 36, "Label", "label"), (2, 16, "Default", "line two"))
    assert (here.crops, here.events) == (there.crops, there.events)  # the same line one second later
    lead_in = describe((0, 24, 0.25), subs, framings, 12)  # the first segment: 3 frames before its line
    assert lead_in.events == ((0, 24, "Label", "label"),) and lead_in.crops == ((0, 0.0),)
    subs.append(pysubs2.SSAEvent(start=250, end=1000, text="line one", style="Default"))
    assert describe((0, 24, 0.25), subs, framings, 12).events[-1] == (3, 12, "Default", "line one")


def _mux(stage_run, store, params, inputs, out):
    """The mux run as a worker runs it inside a store (its segments kept there as parts)."""
    stage = ShotMux()
    stage.store_root = store
    return stage_run(stage, params, inputs, out)


@pytest.fixture
def edit(sample, stage_run, keyframes, voices, tmp_path):
    """A static two-hander muxed into a store, then again with its first line rewritten and longer."""
    store = tmp_path / "store"
    shot = {**sample.SHOTS[0], "camera": "static"}
    motion = stage_run(KenBurnsMotion(), {"job": sample.JOB, "shot": shot}, {"keyframe": keyframes[0]}, tmp_path / "m")
    params = {"job": sample.JOB, "shot": shot, "scene": sample.SCENE}
    before = _mux(stage_run, store, params, {"motion": motion, "voices": voices[:2]}, tmp_path / "before")
    line = {**sample.LINES[0], "text": sample.LINES[0]["text"] + "这句台词改写过，长了不少。"}
    speaker = Speaker.of(Character.model_validate(sample.CHARACTERS[0])).model_dump()
    voice = stage_run(EspeakVoice(), {"job": sample.JOB, "line": line, "character": speaker}, {}, tmp_path / "voice")
    edited = {**params, "shot": {**shot, "lines": [line, sample.LINES[1]]}}
    after = _mux(stage_run, store, edited, {"motion": motion, "voices": [voice, voices[1]]}, tmp_path / "after")
    return before, after, store


def test_an_edited_line_re_encodes_only_its_own_segment(edit):
    before, after, store = edit
    assert (before.meta["segments"], before.meta["segments_made"]) == (2, 2)
    assert (after.meta["segments"], after.meta["segments_made"]) == (2, 1)  # the second line's segment reused
    assert len([p for p in (store / f"mux{PARTS_SUFFIX}").iterdir() if not p.name.startswith(".")]) == 3
    assert after.meta["frames"] > before.meta["frames"]  # the rewritten line is longer


def test_the_reused_segment_shows_the_same_frames_later_in_the_shot(edit):
    before, after, _ = edit
    fps = 12
    cut_before, cut_after = (round(m.meta["offsets"][1] * fps + 0.4999) for m in (before, after))
    count = before.meta["frames"] - cut_before
    old, new = _frames(before.file(), cut_before, count), _frames(after.file(), cut_after, count)
    assert len(old) == len(new) == count
    assert np.array_equal(old, new)  # bit for bit: the very same encoded segment


def test_a_joined_shot_decodes_whole_at_its_frame_count(edit):
    _, after, _ = edit
    done = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(after.file()), "-f", "null", "-"], capture_output=True, check=True
    )
    assert done.stderr == b""
    assert len(_frames(after.file(), 0, after.meta["frames"] + 5)) == after.meta["frames"]
