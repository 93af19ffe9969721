"""A dubbed line fitted to the slot of the original line it replaces, so the release keeps the cut.

The slot is the original voice's measured length (``stages.voice.speech``): the master's shot was
laid out around it. A dub that is longer is sped up with ffmpeg ``atempo`` (pitch kept) up to
``max_tempo``; one that is shorter is padded with silence to the slot. Either way the release's shot
is exactly as long as the master's and the M&E stem lines up. Only a dub still too long at
``max_tempo`` overruns: its shot is that much longer (the mux lays the voices out as always), and
the meta says by how much (``overrun``, ``warning``), so a studio sees which line to shorten.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import ffmpeg

from stages.base import Artifact, Inputs
from stages.media.ffmpeg_run import run_ffmpeg
from stages.voice.speech import finish_voice

TOLERANCE = 0.02  # within 2 % of the slot a dub is left at its own tempo
ATEMPO_MAX = 2.0  # one atempo filter's range (chained past it in ffmpeg; never needed here)


def slot_of(inputs: Inputs) -> float | None:
    """The original voice's length, from the ``original`` input (None when there is none)."""
    original = inputs.get("original")
    original = original[0] if isinstance(original, list) and original else original
    if not isinstance(original, Artifact):
        return None
    return float(original.meta["duration"])


def fit_to_slot(wav: Path, meta: dict[str, Any], slot: float, max_tempo: float, what: str) -> dict[str, Any]:
    """``wav`` (a finished voice, 48 kHz mono) sped up and/or padded to ``slot``; the meta re-measured."""
    duration = float(meta["duration"])
    tempo = 1.0
    if duration > slot * (1 + TOLERANCE):
        tempo = round(min(max_tempo, ATEMPO_MAX, duration / slot), 4)
    with tempfile.TemporaryDirectory(prefix="kaipai-dubfit-") as work:
        source = Path(work) / "dub.wav"
        shutil.copyfile(wav, source)
        if tempo > 1.0:
            faster = Path(work) / "faster.wav"
            stream = ffmpeg.input(str(source)).filter("atempo", tempo)
            run_ffmpeg(stream.output(str(faster), ar=48_000, ac=1, acodec="pcm_s16le"), f"{what} (tempo)")
            source = faster
        measured = finish_voice(source, wav, slot)  # padded with silence up to the slot
    overrun = round(max(0.0, measured["duration"] - slot), 3)
    fitted = {**meta, **measured, "slot": round(slot, 6), "tempo": tempo, "overrun": overrun}
    if overrun > 0.05:
        fitted["warning"] = (
            f"{what}: {overrun:.2f} s longer than the original line even at {tempo:g}x; its shot is that much "
            "longer in this release (shorten the translation or raise dub.options.max_tempo)"
        )
    return fitted
