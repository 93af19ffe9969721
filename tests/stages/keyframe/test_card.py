import numpy as np
import pytest
from PIL import Image

from stages.keyframe.card import KeyframeCard
from stages.media.palette import character_colour, parse_hex_colour
from stages.params import JobContext


def test_character_sheet_at_job_resolution_with_stable_colour(sheets, sample):
    JOB, CHARACTERS = sample.JOB, sample.CHARACTERS
    sheet = sheets[0]
    assert Image.open(sheet.file()).size == (JOB["width"], JOB["height"])
    assert parse_hex_colour(sheet.meta["colour"]) == character_colour("林晚", CHARACTERS[0]["seed"])
    assert sheet.meta["badge"] == "林"


def test_keyframe_is_deterministic_and_sized(keyframes, sheets, stage_run, tmp_path, sample):
    JOB, EPISODE, SCENE = sample.JOB, sample.EPISODE, sample.SCENE
    SHOTS, CHARACTERS = sample.SHOTS, sample.CHARACTERS
    first = keyframes[0]
    assert Image.open(first.file()).size == (180, 320)
    again = stage_run(
        KeyframeCard(),
        {"job": JOB, "episode": EPISODE, "scene": SCENE, "shot": SHOTS[0], "characters": CHARACTERS},
        {"characters": sheets},
        tmp_path / "again",
    )
    assert np.array_equal(np.asarray(Image.open(first.file())), np.asarray(Image.open(again.file())))


def test_people_wear_their_sheet_colour(keyframes, sheets):
    pixels = np.asarray(Image.open(keyframes[0].file()).convert("RGB")).reshape(-1, 3)
    for sheet in sheets:
        colour = np.array(parse_hex_colour(sheet.meta["colour"]))
        assert (np.abs(pixels - colour).sum(axis=1) < 6).sum() > 200, sheet.meta["name"]


def test_shot_size_changes_the_framing(stage_run, sheets, tmp_path, sample):
    JOB, EPISODE, SCENE = sample.JOB, sample.EPISODE, sample.SCENE
    SHOTS, CHARACTERS = sample.SHOTS, sample.CHARACTERS

    def coverage(size: str) -> int:
        shot = {**SHOTS[0], "size": size, "characters": ["林晚"], "lines": [], "action": ""}
        art = stage_run(
            KeyframeCard(),
            {"job": JOB, "episode": EPISODE, "scene": SCENE, "shot": shot, "characters": CHARACTERS},
            {"characters": sheets},
            tmp_path / size,
        )
        pixels = np.asarray(Image.open(art.file()).convert("RGB")).reshape(-1, 3)
        colour = np.array(parse_hex_colour(sheets[0].meta["colour"]))
        return int((np.abs(pixels - colour).sum(axis=1) < 6).sum())

    assert coverage("close-up") > coverage("medium") > 3 * coverage("wide") > 0


def test_horizontal_job_gets_horizontal_panel(stage_run, sheets, tmp_path, sample):
    JOB, EPISODE, SCENE = sample.JOB, sample.EPISODE, sample.SCENE
    SHOTS, CHARACTERS = sample.SHOTS, sample.CHARACTERS
    job = {**JOB, "width": 320, "height": 180, "aspect": "16:9", "language": "en"}
    art = stage_run(
        KeyframeCard(),
        {"job": job, "episode": EPISODE, "scene": SCENE, "shot": SHOTS[0], "characters": CHARACTERS},
        {"characters": sheets},
        tmp_path / "wide",
    )
    assert Image.open(art.file()).size == (320, 180)


@pytest.mark.parametrize("size", ["close-up", "medium close-up", "medium", "full"])
@pytest.mark.parametrize(("width", "height", "aspect"), [(180, 320, "9:16"), (360, 640, "9:16"), (640, 360, "16:9")])
def test_no_badge_lies_where_the_caption_or_subtitles_go(
    stage_run, sheets, tmp_path, sample, size, width, height, aspect
):
    """A badge stays above the caption's top in every frame of the deepest zoom (about the middle),
    and of every move and reverse shot the mux makes of the card."""
    from stages.motion.kenburns import MOVES, REVERSE_SHOT_ZOOM
    from stages.mux.badges import badge_spans
    from stages.mux.framing import Framing
    from stages.subtitles.layout import CAPTION_ROWS, text_layout

    job = {**sample.JOB, "width": width, "height": height, "aspect": aspect, "platform": "douyin"}
    shot = {**sample.SHOTS[0], "size": size, "characters": ["林晚", "顾沉"]}
    params = {
        "job": job,
        "episode": sample.EPISODE,
        "scene": sample.SCENE,
        "shot": shot,
        "characters": sample.CHARACTERS,
    }
    art = stage_run(KeyframeCard(), params, {"characters": sheets}, tmp_path / f"{size}-{aspect}")
    layout = text_layout(JobContext.model_validate(job))
    text_top = layout.caption_bottom - layout.box_height(layout.caption_size, CAPTION_ROWS)  # the box as drawn
    deepest = max(max(z0, z1) for z0, z1, _, _ in MOVES.values())
    assert art.meta["badges"]
    for _x0, _y0, _x1, y1 in art.meta["badges"]:
        assert height / 2 + (y1 - height / 2) * deepest <= text_top + 1
    # Followed as the mux follows them: through every move, and every reverse shot's window.
    window = width / REVERSE_SHOT_ZOOM
    reverse_shots = [[], [Framing(0.0, "a", 0.0)], [Framing(0.0, "b", round(width - window, 1))]]
    for camera in MOVES:
        for framings in reverse_shots if camera == "static" else [[]]:
            spans = badge_spans(art.meta["badges"], camera, 24, 24, 24, (width, height), framings)
            assert max(span["box"][3] for span in spans) <= text_top, (camera, framings)
