"""Where each character's badge shows in the finished shot, so the gates can check no text covers one.

A card keyframe draws each person's badge (their initial, and in wider shots their name) on the
chest, kept above the text bands by construction (``stages.keyframe.card.badge_floor``). The
camera move and a reverse shot's framing then move it: a push-in brings it down and out, a pan
across. This module follows each badge box through the same geometry the pictures are made with,

1. the clip's frame under each shot frame (the mux retimes a clip to the shot's length),
2. the Ken Burns window at that clip frame (``stages.motion.kenburns.zoompan_expressions``: zoom
   about the middle, the window sliding by ``pos``),
3. the framing window at that time (``stages.mux.framing``), scaled back to the frame,

and reports, per badge and per slice of ``SLICE_SECONDS``, the union of where it shows: a text that
overlaps a slice's box is drawn over that badge, or near enough to count. A keyframe that a model
made has no badges to follow: the list is empty and the gate says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from stages.motion.kenburns import MOVES
from stages.mux.framing import Framing, window_size

SLICE_SECONDS = 0.25  # a badge's box is reported per slice this long (the union over its frames)
Box = tuple[float, float, float, float]


def kenburns_window(camera: str, clip_frame: int, clip_frames: int, width: int, height: int) -> Box:
    """The part of the keyframe clip frame ``clip_frame`` shows (zoompan's window, in keyframe pixels)."""
    z0, z1, p0, p1 = MOVES.get(camera, MOVES["static"])
    t = clip_frame / max(1, clip_frames - 1)
    ease = t * t * (3 - 2 * t)
    zoom, pos = z0 + (z1 - z0) * ease, p0 + (p1 - p0) * ease
    left, top = (width - width / zoom) * pos, (height - height / zoom) / 2
    return left, top, left + width / zoom, top + height / zoom


def framing_window(framings: Sequence[Framing], seconds: float, width: int, height: int) -> Box | None:
    """The reverse-shot window shown at ``seconds`` (in frame pixels), or None for the whole frame."""
    if not framings:
        return None
    active = [f for f in framings if f.start <= seconds + 1e-9] or [framings[0]]
    w, h = window_size(width, height)
    y = round((height - h) / 2)
    return active[-1].x, y, active[-1].x + w, y + h


def seen_through(box: Box, window: Box, width: int, height: int) -> Box:
    """``box`` as it shows once ``window`` is scaled to the whole ``width`` x ``height`` frame."""
    sx, sy = width / (window[2] - window[0]), height / (window[3] - window[1])
    return (box[0] - window[0]) * sx, (box[1] - window[1]) * sy, (box[2] - window[0]) * sx, (box[3] - window[1]) * sy


def badge_spans(
    badges: Sequence[Sequence[float]],
    camera: str,
    clip_frames: int,
    frames: int,
    fps: int,
    size: tuple[int, int],
    framings: Sequence[Framing] = (),
) -> list[dict]:
    """Each badge's place in the shot: ``{"kind": "badge", "start", "end", "box"}`` per slice, seconds
    from the shot's start, the box the union over the slice's frames (whole pixels, outward)."""
    width, height = size
    step = max(1, round(SLICE_SECONDS * fps))
    spans = []
    for badge in badges:
        box: Box = (float(badge[0]), float(badge[1]), float(badge[2]), float(badge[3]))
        for first in range(0, frames, step):
            last = min(frames, first + step)
            seen = [
                _at_frame(box, n, camera, clip_frames, frames, fps, width, height, framings) for n in range(first, last)
            ]
            union = (min(b[0] for b in seen), min(b[1] for b in seen), max(b[2] for b in seen), max(b[3] for b in seen))
            spans.append(
                {
                    "kind": "badge",
                    "start": round(first / fps, 3),
                    "end": round(last / fps, 3),
                    "box": [math.floor(union[0]), math.floor(union[1]), math.ceil(union[2]), math.ceil(union[3])],
                }
            )
    return spans


def _at_frame(
    box: Box,
    frame: int,
    camera: str,
    clip_frames: int,
    frames: int,
    fps: int,
    width: int,
    height: int,
    framings: Sequence[Framing],
) -> Box:
    """Steps 1-3 for one shot frame."""
    clip_frame = min(clip_frames - 1, frame * clip_frames // max(1, frames))
    moved = seen_through(box, kenburns_window(camera, clip_frame, clip_frames, width, height), width, height)
    window = framing_window(framings, frame / fps, width, height)
    return moved if window is None else seen_through(moved, window, width, height)
