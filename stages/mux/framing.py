"""Shot/reverse-shot inside a static shot: each line's part framed on its speaker.

A static shot where two or more people speak would otherwise hold one still for every line. When
the motion clip says where each person stands (``people`` in its meta: the card keyframes' blocking,
exact while the camera holds still), the mux cuts to a closer framing (``REVERSE_SHOT_ZOOM``)
centred on whoever speaks, at the start of each speaker's first voice, as an editor cuts a dialogue.
The crop moves at the cuts only (a ``crop`` whose ``x`` is a step function of time), and the frame
is scaled back to the job's size before the text is drawn, so no text is ever cropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stages.models import Shot
from stages.motion.kenburns import REVERSE_SHOT_ZOOM


@dataclass(frozen=True)
class Framing:
    """From ``start`` (seconds in the shot) the window's left edge ``x`` (pixels), centred on ``speaker``."""

    start: float
    speaker: str
    x: float


def speaker_framings(shot: Shot, offsets: list[float], people: list[list[Any]], width: int) -> list[Framing]:
    """The framings of a static shot with several speakers in view; empty when there is nothing to cut."""
    where = {str(name): float(cx) for name, cx, *_ in people}
    if shot.camera != "static":
        return []
    speakers = [(offset, line.character) for line, offset in zip(shot.lines, offsets, strict=True)]
    speakers = [(offset, name) for offset, name in speakers if name in where]
    if len({name for _, name in speakers}) < 2:
        return []
    window = width / REVERSE_SHOT_ZOOM
    framings: list[Framing] = []
    for offset, name in speakers:
        if framings and framings[-1].speaker == name:
            continue  # the same speaker again: no cut
        x = min(max(where[name] - window / 2, 0.0), width - window)
        framings.append(Framing(0.0 if not framings else round(offset, 3), name, round(x, 1)))
    return framings


def framed(video: Any, framings: list[Framing], width: int, height: int) -> Any:
    """``video`` cropped to each framing in turn (``t`` is the shot's time) and scaled back to full size."""
    if not framings:
        return video
    x = f"{framings[-1].x}"
    for f in reversed(framings[:-1]):
        nxt = framings[framings.index(f) + 1]
        x = f"if(lt(t,{nxt.start}),{f.x},{x})"
    w, h = window_size(width, height)
    y = round((height - h) / 2)
    return video.filter("crop", w=w, h=h, x=x, y=y, exact=1).filter("scale", w=width, h=height, flags="bicubic")


def window_size(width: int, height: int) -> tuple[int, int]:
    """The framing window: the frame ``REVERSE_SHOT_ZOOM`` closer, in even pixels."""
    return round(width / REVERSE_SHOT_ZOOM / 2) * 2, round(height / REVERSE_SHOT_ZOOM / 2) * 2
