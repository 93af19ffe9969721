"""Where each spoken line sits in its shot. Mux and subtitles both use this, so they always agree."""

from __future__ import annotations

import math

LEAD_IN = 0.3  # seconds of picture before the first line of a shot
LINE_GAP = 0.25  # pause between two lines in one shot
TAIL = 0.35  # seconds after the last line before the cut


def shot_layout(planned: float, voice_durations: list[float], fps: int | None = None) -> tuple[float, list[float]]:
    """The shot's final duration and the start offset of each line within it.

    A shot keeps its planned duration unless its voices need longer; then it stretches to fit them.
    With ``fps`` the duration is whole frames, as the video really is, so that subtitle times summed
    over an episode never drift from the picture; and every line starts on a frame, each line taking
    whole frames that depend on its own voice alone, so an edit that lengthens one line moves the
    lines after it by whole frames and leaves them otherwise as they were (``stages.mux.segments``).
    """
    if fps:
        return _frame_layout(planned, voice_durations, fps)
    offsets: list[float] = []
    t = LEAD_IN if voice_durations else 0.0
    for i, d in enumerate(voice_durations):
        if i:
            t += LINE_GAP
        offsets.append(round(t, 3))
        t += d
    needed = t + TAIL if voice_durations else 0.0
    return round(max(planned, needed), 3), offsets


def _frame_layout(planned: float, voice_durations: list[float], fps: int) -> tuple[float, list[float]]:
    """``shot_layout`` in whole frames: a line and the pause after it last ``ceil((d + LINE_GAP) * fps)`` frames."""
    starts, frame = [], round(LEAD_IN * fps) if voice_durations else 0
    for i, d in enumerate(voice_durations):
        starts.append(frame)
        if i < len(voice_durations) - 1:
            frame += _frames_at_least(d + LINE_GAP, fps)
    needed = starts[-1] + _frames_at_least(voice_durations[-1] + TAIL, fps) if voice_durations else 0
    frames = max(1, round(planned * fps), needed)
    return round(frames / fps, 6), [round(f / fps, 3) for f in starts]


def _frames_at_least(seconds: float, fps: int) -> int:
    return math.ceil(seconds * fps - 1e-6)


def episode_layout(
    shots: list[tuple[float, list[float]]], fps: int | None = None
) -> list[tuple[float, float, list[float]]]:
    """For each shot (planned duration, voice durations): (start in episode, final duration, line offsets)."""
    out = []
    t = 0.0
    for planned, durations in shots:
        duration, offsets = shot_layout(planned, durations, fps)
        out.append((round(t, 6), duration, offsets))
        t += duration
    return out
