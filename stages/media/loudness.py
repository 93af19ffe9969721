"""Loudness normalisation to a target (EBU R128 / ITU-R BS.1770) with ffmpeg's ``loudnorm``, two passes.

The first pass measures the programme; the second applies one gain for the whole programme
(``linear=true``, so speech keeps its dynamics) with the true-peak limit. We aim the peak a little
under the platform's ceiling because the AAC encode that follows can overshoot by a few tenths of a dB.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from stages.media.ffmpeg_run import FFMPEG, MediaError, run_tool

LRA_TARGET = 11.0
ENCODER_HEADROOM_DB = 0.5


@dataclass(frozen=True)
class LoudnessTarget:
    integrated_lufs: float = -14.0
    true_peak_dbtp: float = -1.0

    def filter_args(self) -> str:
        tp = self.true_peak_dbtp - ENCODER_HEADROOM_DB
        return f"I={self.integrated_lufs}:TP={tp}:LRA={LRA_TARGET}"


def _last_json(stderr: bytes) -> dict:
    text = stderr.decode("utf-8", "replace")
    found = re.findall(r"\{[^{}]*\}", text, re.S)
    if not found:
        raise MediaError(f"loudnorm printed no measurement:\n{text[-400:]}")
    return json.loads(found[-1])


def normalise(source: Path, target_path: Path, target: LoudnessTarget, what: str) -> dict:
    """Write ``source`` normalised to ``target`` as 48 kHz stereo PCM; return the first pass's figures."""
    base = [FFMPEG, "-nostdin", "-hide_banner", "-nostats", "-i", str(source)]
    measure = run_tool(
        [*base, "-af", f"loudnorm={target.filter_args()}:print_format=json", "-f", "null", "-"],
        f"{what} (loudness measurement)",
    )
    m = _last_json(measure.stderr)
    if float(m["input_i"]) == float("-inf") or m["input_i"] in ("-inf", "inf"):
        raise MediaError(f"{what}: the audio is silent; nothing to normalise")
    applied = (
        f"loudnorm={target.filter_args()}:measured_I={m['input_i']}:measured_TP={m['input_tp']}"
        f":measured_LRA={m['input_lra']}:measured_thresh={m['input_thresh']}:offset={m['target_offset']}"
        ":linear=true:print_format=json,aresample=48000"
    )
    run_tool(
        [*base, "-af", applied, "-ar", "48000", "-ac", "2", "-c:a", "pcm_s16le", "-y", str(target_path)],
        f"{what} (loudness normalisation)",
    )
    return {"input_lufs": float(m["input_i"]), "input_true_peak": float(m["input_tp"])}
