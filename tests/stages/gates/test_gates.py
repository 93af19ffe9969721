"""Quality gates: each check against made-up numbers, and the stage on the shared tiny episode."""

import numpy as np
import pytest

from stages.gates import checks
from stages.gates.measure import Analysis, Streams
from stages.gates.stage import QualityGates
from stages.params import JobContext
from stages.platforms import PLATFORM_PRESETS
from stages.subtitles.layout import text_layout

DOUYIN = PLATFORM_PRESETS["douyin"]


def _streams(video=10.0, audio=10.0, tags=None):
    return Streams("h264", "aac", video, audio, 30.0, tags or {})


def test_duration_and_drift_allow_one_frame_and_no_more():
    assert checks.streams_and_duration(_streams(10.03), 10.0, 30).passed
    assert not checks.streams_and_duration(_streams(10.05), 10.0, 30).passed
    assert checks.av_drift(_streams(10.0, 10.02), 30).passed
    failed = checks.av_drift(_streams(10.0, 10.108), 30)
    assert not failed.passed and "+108.0 ms" in failed.value


def test_loudness_window_and_true_peak_ceiling():
    ok, peak_ok = checks.loudness(Analysis(-14.6, -1.2, []), DOUYIN)
    assert ok.passed and peak_ok.passed
    quiet, hot = checks.loudness(Analysis(-19.1, -0.4, []), DOUYIN)
    assert not quiet.passed and "-19.1 LUFS" in quiet.value
    assert not hot.passed and "-0.4 dBTP" in hot.value


def test_black_and_silent_spans_fail_with_their_times():
    result = checks.digital_silence(Analysis(-14, -2, [(3.0, 10.2)]))
    assert not result.passed and "3.0-10.2 s" in result.detail
    assert checks.black_frames([], 30).passed
    assert checks.black_frames([[1.0, 1.4]], 30).passed  # under half a second


def test_black_runs_are_joined_across_a_cut():
    # 0.3 s at the end of one shot and 0.3 s at the start of the next: 0.6 s of black on screen.
    result = checks.black_frames([[4.7, 5.0], [5.0, 5.3], [9.0, 9.2]], 30)
    assert not result.passed and "4.7-5.3 s" in result.detail and result.value == "1 spans"
    assert result.at == [[4.7, 5.3]]  # where it failed, for a re-roll to find the shots


def test_cues_on_speech_measures_the_sound_itself():
    rate = 16_000
    sound = np.full(rate * 4, 1e-3, dtype=np.float32)  # a quiet bed
    sound[rate : int(rate * 2.5)] = 0.3 * np.sin(np.arange(int(rate * 1.5)) / 3)  # speech 1.0-2.5 s
    assert checks.cues_on_speech(sound, [["l1", 1.02, 2.48]], [[1.0, 2.5]]).passed
    late = checks.cues_on_speech(sound, [["l1", 1.0, 2.8]], [[1.0, 2.5]])
    assert not late.passed and "l1" in late.detail


def test_a_split_inside_a_line_must_fall_between_words():
    rate = 16_000
    sound = np.full(rate * 4, 1e-3, dtype=np.float32)
    t = np.arange(rate * 4) / rate
    words = ((t >= 1.0) & (t < 2.0)) | ((t >= 2.3) & (t < 3.0))  # two phrases, a 300 ms pause between
    sound[words] = 0.3 * np.sin(t[words] * 900)
    line = [["l1", 1.0, 3.0]]
    in_the_pause = [["l1", 1.0, 2.15], ["l1", 2.15, 3.0]]
    result = checks.cues_on_speech(sound, line, [[1.0, 3.0]], in_the_pause)
    assert result.passed and "1 splits checked" in result.value
    mid_word = [["l1", 1.0, 1.6], ["l1", 1.6, 3.0]]
    failed = checks.cues_on_speech(sound, line, [[1.0, 3.0]], mid_word)
    assert not failed.passed and "l1 split at 1.60 s inside a word" in failed.detail
    noise = checks.cues_on_speech(sound, line, [[1.0, 3.0]], mid_word, word_gaps=False)  # voices that are not speech
    assert noise.passed and "splits not checked" in noise.value
    late = checks.cues_on_speech(sound, [["l1", 1.0, 3.4]], [[1.0, 3.0]], mid_word, word_gaps=False)
    assert not late.passed  # the line's first start and last end are still measured


def test_text_outside_the_safe_area_or_over_other_text_fails():
    layout = text_layout(JobContext(title="t", width=720, height=1280, fps=30, aspect="9:16", platform="douyin"))
    x0, _y0, x1, y1 = layout.safe
    inside = {"kind": "subtitle", "start": 0, "end": 2, "box": (x0 + 10, y1 - 60, x1 - 10, y1)}
    assert checks.text_in_safe_area([inside], layout).passed
    over_buttons = {**inside, "box": (x0 + 10, y1 - 60, x1 + 40, y1)}
    assert not checks.text_in_safe_area([over_buttons], layout).passed
    caption = {"kind": "caption", "start": 1, "end": 3, "box": (x0 + 10, y1 - 90, x1 - 10, y1 - 40)}
    assert not checks.text_in_safe_area([inside, caption], layout).passed
    later = {**caption, "start": 2, "end": 3}  # touching in time at a cut is not together
    assert checks.text_in_safe_area([inside, later], layout).passed
    assert "no badges known" in checks.text_in_safe_area([inside], layout).value


def test_text_over_a_characters_badge_fails_while_both_show():
    layout = text_layout(JobContext(title="t", width=720, height=1280, fps=30, aspect="9:16", platform="douyin"))
    x0, _y0, x1, y1 = layout.safe
    subtitle = {"kind": "subtitle", "start": 1, "end": 3, "box": (x0 + 10, y1 - 60, x1 - 10, y1)}
    clear = {"kind": "badge", "start": 0, "end": 4, "box": (300, y1 - 200, 360, y1 - 140)}
    covered = {**clear, "box": (300, y1 - 80, 360, y1 - 20), "start": 2.5}
    passed = checks.text_in_safe_area([subtitle], layout, [clear])
    assert passed.passed and "1 badge places checked" in passed.value
    failed = checks.text_in_safe_area([subtitle], layout, [clear, covered])
    assert not failed.passed and "subtitle/badge at 2.5 s" in failed.detail
    gone = {**covered, "start": 3, "end": 4}  # the badge comes into the text's place after the cue
    assert checks.text_in_safe_area([subtitle], layout, [gone]).passed


def test_ai_label_needs_the_mark_throughout_and_the_metadata():
    layout = text_layout(JobContext(title="t", width=720, height=1280, fps=30, aspect="9:16"))
    mark = {"kind": "label", "start": 0.0, "end": 10.0, "box": (50, 130, 150, 170)}
    tags = {"AIGC": '{"Label":"1","ContentProducer":"kaipai"}'}
    assert checks.ai_label([mark], tags, 10.0, layout).passed
    assert not checks.ai_label([mark], {}, 10.0, layout).passed
    assert not checks.ai_label([{**mark, "end": 6.0}], tags, 10.0, layout).passed
    assert not checks.ai_label([{**mark, "box": (50, 130, 150, 150)}], tags, 10.0, layout).passed


@pytest.fixture(scope="module")
def gated(stage_run, muxes, subtitles, keyframes, sample, tmp_path_factory):
    from stages.assembly.episode import EpisodeAssembly

    root = tmp_path_factory.mktemp("gates")
    episode = stage_run(
        EpisodeAssembly(),
        {"job": sample.JOB, "episode": sample.EPISODE, "music": None},
        {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]},
        root / "episode",
    )
    params = {"job": sample.JOB, "episode": sample.EPISODE}
    return stage_run(QualityGates(), params, {"episode": episode, "subtitles": subtitles}, root / "gates")


def test_the_tiny_episode_passes_every_gate(gated):
    assert gated.meta["passed"], gated.meta["failed"]
    names = {g["gate"] for g in gated.meta["gates"]}
    assert {"a/v drift", "loudness", "true peak", "subtitles on speech", "text in safe area"} <= names
    assert gated.file().is_file()


def test_the_mux_reports_black_frames_it_encodes(stage_run, motions, voices, sample, tmp_path):
    """A shot whose picture is black from start to end is seen by the mux's blackdetect, and fails the gate."""
    import subprocess

    from stages.base import Artifact
    from stages.mux.shot_mux import ShotMux

    clip = tmp_path / "black" / "clip.mp4"
    clip.parent.mkdir()
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=black:s=180x320:r=12:d=1.5", "-pix_fmt", "yuv420p"),
            *("-c:v", "libx264", "-qp", "0", str(clip)),
        ],
        check=True,
    )
    black = Artifact("black", clip.parent, {**motions[0].meta, "file": "clip.mp4"})
    shot = {**sample.SHOTS[1], "duration": 1.5}  # no lines: nothing but the small AI mark on the black
    params = {"job": sample.JOB, "shot": shot}
    mux = stage_run(ShotMux(), params, {"motion": black, "voices": []}, tmp_path / "mux")
    assert mux.meta["black"] == [[0.0, 1.5]]
    assert not checks.black_frames(mux.meta["black"], sample.JOB["fps"]).passed


def test_frozen_runs_fail_with_their_times_and_are_not_joined_across_cuts():
    assert checks.frozen_picture([]).passed
    failed = checks.frozen_picture([[3.0, 5.5], [5.5, 7.0]])
    assert not failed.passed and failed.value == "2 spans" and failed.at == [[3.0, 5.5], [5.5, 7.0]]
    assert "3.0-5.5 s" in failed.detail


def test_the_mux_reports_a_moving_shot_whose_picture_stands_still(stage_run, motions, voices, sample, tmp_path):
    """A moving shot whose clip, made by a model, is one picture repeated (a bad take) is seen by the
    mux's freezedetect and fails the gate; a Ken Burns move (planned, not measured) never does."""
    import subprocess

    from stages.base import Artifact
    from stages.mux.shot_mux import ShotMux

    clip = tmp_path / "still" / "clip.mp4"
    clip.parent.mkdir()
    subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=s=180x320:r=12:d=0.1", "-vf", "loop=35:1"),
            *("-frames:v", "36", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-qp", "0", str(clip)),
        ],
        check=True,
    )
    made = {"file": "clip.mp4", "duration": 3.0, "model": "a motion model", "seed": 5}  # as a model's clip says
    still = Artifact("still", clip.parent, {**motions[0].meta, **made})
    shot = {**sample.SHOTS[1], "duration": 3.0}  # a pan, as planned: it should move
    mux = stage_run(ShotMux(), {"job": sample.JOB, "shot": shot}, {"motion": still, "voices": []}, tmp_path / "mux")
    assert mux.meta["frozen"] and mux.meta["frozen"][0][0] == 0.0 and mux.meta["frozen"][-1][1] == 3.0
    assert not checks.frozen_picture(mux.meta["frozen"]).passed
    planned = Artifact("planned", clip.parent, {**motions[0].meta, "file": "clip.mp4", "duration": 3.0})
    mux = stage_run(ShotMux(), {"job": sample.JOB, "shot": shot}, {"motion": planned, "voices": []}, tmp_path / "m2")
    assert mux.meta["frozen"] == []


def test_planned_moves_are_not_frozen(gated):
    frozen = next(g for g in gated.meta["gates"] if g["gate"] == "frozen picture")
    assert frozen["passed"], frozen
