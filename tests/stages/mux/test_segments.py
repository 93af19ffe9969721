"""A still shot's picture in segments: an edited line re-encodes its own segment, the others are reused."""

import subprocess

import numpy as np
import pysubs2
import pytest

from stages.models import Character
from stages.motion.kenburns import KenBurnsMotion
from stages.mux import segments
from stages.mux.framing import Framing
from stages.mux.segments import (
    Segment,
    StillShot,
    chunk_bounds,
    describe,
    held_runs,
    piece_bounds,
    render,
    segment_bounds,
)
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


def _cues(*spans):
    """A label over the whole shot and a cue per (start ms, end ms, text)."""
    subs = pysubs2.SSAFile()
    subs.append(pysubs2.SSAEvent(start=0, end=9000, text="label", style="Label"))
    for start, end, text in spans:
        subs.append(pysubs2.SSAEvent(start=start, end=end, text=text, style="Default"))
    return subs


def test_a_line_is_cut_again_where_each_cue_starts():
    subs = _cues((250, 2000, "one"), (2000, 3000, "two"), (3000, 3100, "three"), (3300, 5000, "next"))
    bounds = segment_bounds([0.25, 3.25], 72, 12)
    assert bounds == [(0, 39, 0.25), (39, 72, 3.25)]
    # The lead-in (3 frames) stays with the first cue, and a cue starting under half a second (6
    # frames) before its segment's end with the one before it.
    assert piece_bounds(bounds, subs, 12) == [(0, 24, 0.25), (24, 39, 0.25), (39, 72, 3.25)]
    subs = _cues((250, 2000, "one"), (2000, 2900, "two"), (3000, 4100, "three"), (4200, 5000, "four"))
    assert piece_bounds([(0, 72, 0.25)], subs, 12) == [(0, 24, 0.25), (24, 36, 0.25), (36, 51, 0.25), (51, 72, 0.25)]


def test_a_cue_an_edit_left_alone_keeps_its_piece():
    framings = [Framing(0.0, "a", 0.0)]
    before = _cues((250, 2000, "first cue"), (2000, 3000, "second"))
    after = _cues((250, 2000, "first cue"), (2000, 3500, "second, rewritten"), (3500, 5000, "and longer"))
    old = [describe(b, before, framings, 12) for b in piece_bounds(segment_bounds([0.25], 42, 12), before, 12)]
    new = [describe(b, after, framings, 12) for b in piece_bounds(segment_bounds([0.25], 66, 12), after, 12)]
    assert len(old) == 2 and len(new) == 3
    assert old[0] == new[0]  # the lead-in and the first cue: the same frames, so the same key
    assert old[1] != new[1]


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


def test_a_held_picture_is_cut_into_units_all_but_the_last_alike():
    held = Segment(0, 100, ((0, 10.0),), ((0, 100, "Default", "line"),))
    assert held.held
    bounds = chunk_bounds(held, 12)  # units of 12 frames, the last longer by the remainder
    assert bounds == [(x, x + 12) for x in range(0, 84, 12)] + [(84, 100)]
    units = {(p.frames, p.crops, p.events) for p in (held.part(a, b) for a, b in bounds[:-1])}  # what a key hashes
    assert units == {(12, ((0, 10.0),), ((0, 12, "Default", "line"),))}


def test_a_segment_is_cut_where_its_picture_changes_and_a_short_run_joins_the_chunk_before():
    segment = Segment(0, 60, ((0, 0.0), (50, 40.0)), ((10, 40, "Default", "cue"),))
    assert not segment.held
    assert chunk_bounds(segment, 12) == [(0, 10), (10, 22), (22, 40), (40, 50), (50, 60)]
    brief = Segment(0, 60, ((0, 0.0), (50, 40.0)), ((10, 46, "Default", "cue"),))  # 4 frames bare
    assert chunk_bounds(brief, 12) == [(0, 10), (10, 22), (22, 34), (34, 50), (50, 60)]
    after_step = segment.part(50, 60)
    assert (after_step.start, after_step.crops, after_step.events, after_step.held) == (50, ((0, 40.0),), (), True)
    mixed = brief.part(34, 50)  # the cue's end inside: drawn frame by frame
    assert mixed.events == ((0, 12, "Default", "cue"),) and mixed.crops == ((0, 0.0),) and not mixed.held


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
    # Two lines of one cue each: two segments, each cut into chunks where its picture changes.
    assert (before.meta["segments"], before.meta["chunks"], before.meta["chunks_made"]) == (2, 5, 5)
    # The rewritten line is two cues now, two pieces; only chunks that show its new words are made:
    # the lead-in, the cue it kept and the second line's segment are reused.
    assert (after.meta["segments"], after.meta["chunks"], after.meta["chunks_made"]) == (3, 8, 3)
    assert len([p for p in (store / f"mux{PARTS_SUFFIX}").iterdir() if not p.name.startswith(".")]) == 8
    assert after.meta["frames"] > before.meta["frames"]  # the rewritten line is longer
    assert before.meta["badges"] and {b["kind"] for b in before.meta["badges"]} == {"badge"}  # followed for the gates


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


def test_a_chunk_of_several_pictures_draws_each_once_and_shows_the_frames_drawn_one_by_one(
    sample, stage_run, keyframes, tmp_path, monkeypatch
):
    shot = {**sample.SHOTS[0], "camera": "static"}
    motion = stage_run(KenBurnsMotion(), {"job": sample.JOB, "shot": shot}, {"keyframe": keyframes[0]}, tmp_path / "m")
    overlay = _cues((0, 1000, "cue"))
    overlay.styles["Label"] = overlay.styles["Default"].copy()
    overlay.styles["Label"].fontsize = 12
    overlay.styles["Label"].alignment = pysubs2.Alignment.TOP_CENTER  # apart from the cue, as the mux places them
    still = StillShot(motion, 180, 320, 12, 23, "veryfast", overlay)
    mixed = Segment(34, 52, ((0, 0.0), (14, 40.0)), ((0, 12, "Default", "cue"), (0, 18, "Label", "label")))
    assert held_runs(mixed) == [(0, 12), (12, 14), (14, 18)] and not mixed.held
    render(still, mixed, tmp_path / "runs.mp4", "test", tmp_path)
    monkeypatch.setattr(segments, "MAX_HELD_RUNS", 0)  # the old way: every frame drawn
    render(still, mixed, tmp_path / "frames.mp4", "test", tmp_path)
    runs, frames = _frames(tmp_path / "runs.mp4", 0, 30), _frames(tmp_path / "frames.mp4", 0, 30)
    assert len(runs) == len(frames) == 18
    assert np.array_equal(runs, frames)
    assert not np.array_equal(runs[11], runs[12]) and not np.array_equal(
        runs[13], runs[14]
    )  # the cue goes, the crop steps
