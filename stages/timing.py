"""Where each spoken line sits in its shot. Mux and subtitles both use this, so they always agree."""

from __future__ import annotations

LEAD_IN = 0.3  # seconds of picture before the first line of a shot
LINE_GAP = 0.25  # pause between two lines in one shot
TAIL = 0.35  # seconds after the last line before the cut


def shot_layout(planned: float, voice_durations: list[float], fps: int | None = None) -> tuple[float, list[float]]:
    """The shot's final duration and the start offset of each line within it.

    A shot keeps its planned duration unless its voices need longer; then it stretches to fit them.
    With ``fps`` the duration is whole frames, as the video really is, so that subtitle times summed
    over an episode never drift from the picture.
    """
    offsets: list[float] = []
    t = LEAD_IN if voice_durations else 0.0
    for i, d in enumerate(voice_durations):
        if i:
            t += LINE_GAP
        offsets.append(round(t, 3))
        t += d
    needed = t + TAIL if voice_durations else 0.0
    duration = max(planned, needed)
    if fps:
        duration = max(1, round(duration * fps)) / fps
    return round(duration, 6 if fps else 3), offsets


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
