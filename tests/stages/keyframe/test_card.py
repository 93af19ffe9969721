import numpy as np
from PIL import Image

from stages.keyframe.card import KeyframeCard
from stages.media.palette import character_colour, parse_hex_colour


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
