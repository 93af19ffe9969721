"""A frozen picture, measured where the frames already are: ``freezedetect`` inside the mux's one encode.

A moving shot whose picture stops (a motion model that returned a still, or one frame repeated) is
a broken take, often just an unlucky seed. The mux runs ``freezedetect`` on the frames of a clip a
model made (its meta names the ``model``), before any text is drawn (a cue appearing is not
motion), and reports each run that holds still for ``FROZEN_CLIP_SECONDS`` of the clip's own time or
more, in the shot's time: the mux slows a clip to fit its voices, which must not make a slow move
look frozen.

Not measured: still shots (planned still, ``stages.mux.segments``) and Ken Burns moves. Those are
computed, so never frozen by chance, and may change less than the detector's noise: measured on the
example jobs, a pan eases in and out within it for 0.3-0.7 s of the shot at each end, and a 16:9 pan
over a night sky read as frozen for its whole 8.8 s.
"""

from __future__ import annotations

import re
from typing import Any

FREEZE_NOISE = "-60dB"  # freezedetect's default: a frame this close to the run's first is the same picture
FROZEN_CLIP_SECONDS = 1.0  # of the clip's own time: longer than any ease of a planned move


def with_freezedetect(video: Any, stretch: float) -> Any:
    """``video`` passed through freezedetect, reporting runs of ``FROZEN_CLIP_SECONDS`` of a clip played
    ``stretch`` times slower (it only logs; run ffmpeg at loglevel info)."""
    return video.filter("freezedetect", n=FREEZE_NOISE, d=round(FROZEN_CLIP_SECONDS * max(stretch, 1e-3), 3))


def frozen_spans(stderr: bytes | str, frames: int, fps: int) -> list[list[float]]:
    """The [start, end] seconds of every frozen run freezedetect printed over a shot of ``frames``
    (a run still frozen at the end lasts to the shot's end)."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    starts = [float(x) for x in re.findall(r"freeze_start:\s*(-?[\d.]+)", text)]
    ends = [float(x) for x in re.findall(r"freeze_end:\s*(-?[\d.]+)", text)]
    end_of_shot = round(frames / fps, 3)
    return [[round(s, 3), round(ends[i], 3) if i < len(ends) else end_of_shot] for i, s in enumerate(starts)]
