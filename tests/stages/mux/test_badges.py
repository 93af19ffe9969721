"""A badge followed through the camera move and a reverse shot's framing, as the mux draws them."""

import math

import pytest

from stages.motion.kenburns import MOVES, REVERSE_SHOT_ZOOM
from stages.mux.badges import badge_spans
from stages.mux.framing import Framing, window_size

W, H, FPS = 720, 1280, 24
BADGE = [340, 700, 380, 740]  # on a 720x1280 card, below the middle


def test_a_still_shot_shows_the_badge_where_the_card_drew_it():
    spans = badge_spans([BADGE], "static", 48, 48, FPS, (W, H))
    assert [s["start"] for s in spans] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
    assert all(s["box"] == BADGE and s["kind"] == "badge" for s in spans)


def test_a_push_in_moves_the_badge_away_from_the_middle_as_it_zooms():
    spans = badge_spans([BADGE], "push-in", 48, 48, FPS, (W, H))
    first = spans[0]["box"]  # the move starts at the card itself and eases in
    assert all(abs(a - b) <= 1 for a, b in zip(first, BADGE, strict=True))
    zoom = MOVES["push-in"][1]
    end = [W / 2 + (BADGE[0] - W / 2) * zoom, H / 2 + (BADGE[1] - H / 2) * zoom]
    end += [W / 2 + (BADGE[2] - W / 2) * zoom, H / 2 + (BADGE[3] - H / 2) * zoom]
    last = spans[-1]["box"]  # the union over the last slice's frames, rounded outward
    assert last[0] <= end[0] and last[1] <= end[1] and last[2] >= end[2] - 1 and last[3] >= end[3] - 1
    assert last[3] > BADGE[3] + 1  # below the middle: pushed down


def test_a_shot_slowed_to_its_lines_follows_the_clip_frame_under_each_shot_frame():
    slowed = badge_spans([BADGE], "push-in", 24, 48, FPS, (W, H))  # a 1 s clip over a 2 s shot
    normal = badge_spans([BADGE], "push-in", 24, 24, FPS, (W, H))
    assert len(slowed) == 2 * len(normal)
    for k, span in enumerate(slowed):  # slice k shows half the clip frames of the clip's slice k // 2
        a, b = span["box"], normal[k // 2]["box"]
        assert b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]
    assert slowed[-1]["box"][3] == normal[-1]["box"][3]  # both end on the clip's last frame


@pytest.mark.parametrize("x", [0.0, 100.0])
def test_a_reverse_shot_scales_the_badge_about_its_window(x):
    spans = badge_spans([BADGE], "static", 48, 48, FPS, (W, H), [Framing(0.0, "a", x)])
    w, h = window_size(W, H)
    top = round((H - h) / 2)
    expected = [(BADGE[0] - x) * W / w, (BADGE[1] - top) * H / h, (BADGE[2] - x) * W / w, (BADGE[3] - top) * H / h]
    outward = [math.floor(expected[0]), math.floor(expected[1]), math.ceil(expected[2]), math.ceil(expected[3])]
    assert spans[0]["box"] == outward
    assert abs((spans[0]["box"][2] - spans[0]["box"][0]) - 40 * REVERSE_SHOT_ZOOM) < 2


def test_a_badge_partly_out_of_the_frame_is_rounded_outward():
    spans = badge_spans([[-9.5, 700.2, 5.5, 739.6]], "static", 24, 24, FPS, (W, H))
    assert spans[0]["box"] == [-10, 700, 6, 740]  # never inward, even left of the frame's edge


def test_a_cut_between_speakers_moves_the_badge_at_the_cut():
    framings = [Framing(0.0, "a", 0.0), Framing(1.0, "b", 100.0)]
    spans = badge_spans([BADGE], "static", 48, 48, FPS, (W, H), framings)
    before, after = spans[3]["box"], spans[4]["box"]  # slices 0.75-1.0 s and 1.0-1.25 s
    assert after[0] < before[0] and before[1] == after[1]
