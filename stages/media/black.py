"""Black picture, measured where the frames already are: ``blackdetect`` inside the mux's one encode.

Every run of black frames is reported, however short (``d=0``), in the shot's own time, so that the
gates can join the runs of neighbouring shots across a cut and judge the episode as a whole without
decoding its picture again.
"""

from __future__ import annotations

import re
from typing import Any

PIXEL_THRESHOLD = 0.10  # a pixel darker than 10% of the range counts as black
PICTURE_RATIO = 0.98  # a frame with 98% of its pixels black is a black frame
BLACKDETECT = {"d": 0, "pix_th": PIXEL_THRESHOLD, "pic_th": PICTURE_RATIO}


def with_blackdetect(video: Any) -> Any:
    """``video`` passed through ffmpeg's blackdetect (it only logs; run ffmpeg at loglevel info)."""
    return video.filter("blackdetect", **BLACKDETECT)


def black_spans(stderr: bytes | str, frames: int, fps: int) -> list[list[float]]:
    """The [start, end] seconds of every black run blackdetect printed over a clip of ``frames``.

    A run still black at the end is closed at its last frame's start; it lasts to the clip's end.
    """
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    found = re.findall(r"black_start:\s*(-?[\d.]+)\s+black_end:\s*(-?[\d.]+)", text)
    end_of_clip = frames / fps
    spans = []
    for a, b in found:
        start, end = float(a), float(b)
        if end >= end_of_clip - 1.5 / fps:
            end = end_of_clip
        spans.append([round(start, 3), round(end, 3)])
    return spans


def joined_spans(spans: list[list[float]], gap: float) -> list[tuple[float, float]]:
    """Spans in one timeline, those that touch (within ``gap`` seconds) merged: black across a cut is one run."""
    merged: list[list[float]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1] + gap:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [(a, b) for a, b in merged]
