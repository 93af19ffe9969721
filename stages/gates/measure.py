"""Measurements of a finished episode file, by ffprobe and two ffmpeg analysis passes side by side.

One decode of the sound feeds ``ebur128`` with true peak (loudness, BS.1770); another
``silencedetect`` (digital silence) and, piped back, 16 kHz mono samples for finding where speech
starts and ends.
The picture is not decoded again: the episode's frames are the mux's, copied bit for bit, and the
mux ran ``blackdetect`` on them as it encoded (``stages.media.black``).
"""

from __future__ import annotations

import math
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg
import numpy as np

from stages.media.ffmpeg_run import FFMPEG, MediaError, run_tool

ANALYSIS_RATE = 16_000
SILENCE_DB = -70.0  # "digital silence": below any room tone
SILENCE_MIN_SECONDS = 0.5


@dataclass
class Streams:
    video_codec: str | None
    audio_codec: str | None
    video_seconds: float
    audio_seconds: float
    fps: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Analysis:
    integrated_lufs: float
    true_peak_dbtp: float
    silence: list[tuple[float, float]]

    def to_json(self) -> dict[str, Any]:
        """As a meta holds it: no infinities (a silent file's loudness, a silence running to the end)."""
        finite = lambda x: x if math.isfinite(x) else None  # noqa: E731
        return {
            "integrated_lufs": finite(self.integrated_lufs),
            "true_peak_dbtp": finite(self.true_peak_dbtp),
            "silence": [[a, finite(b)] for a, b in self.silence],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analysis:
        lufs, peak = data.get("integrated_lufs"), data.get("true_peak_dbtp")
        return cls(
            float("-inf") if lufs is None else float(lufs),
            float("inf") if peak is None else float(peak),
            [(float(a), float("inf") if b is None else float(b)) for a, b in data.get("silence", [])],
        )


BED_PERCENTILE = 10  # the window's quietest tenth: the ambience bed between words
ABOVE_BED_DB = 15.0  # speech stands at least this far above the bed
MIN_SPEECH_FRAMES = 3  # 30 ms: shorter bursts are clicks, chirps or gusts, not words


def _stream_seconds(stream: dict) -> float:
    if stream.get("duration"):
        return float(stream["duration"])
    base = stream.get("time_base", "1/1").split("/")
    return float(stream.get("duration_ts", 0)) * float(base[0]) / float(base[1])


def probe_streams(path: Path) -> Streams:
    try:
        data = ffmpeg.probe(str(path), timeout=60)
    except (ffmpeg.Error, subprocess.TimeoutExpired) as exc:
        raise MediaError(f"ffprobe {path}: {exc}") from None
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    num, _, den = (video.get("avg_frame_rate") or "0/1").partition("/")
    return Streams(
        video.get("codec_name"),
        audio.get("codec_name"),
        _stream_seconds(video) if video else 0.0,
        _stream_seconds(audio) if audio else 0.0,
        float(num) / float(den or 1) if float(den or 1) else 0.0,
        dict(data.get("format", {}).get("tags", {})),
    )


def analyse(path: Path, what: str) -> Analysis:
    """Loudness, true peak and digital silence of the file's sound (one decode; :func:`measure`)."""
    return measure(path, what)[0]


def measure(path: Path, what: str) -> tuple[Analysis, np.ndarray]:
    """The file's sound decoded twice, side by side (a core each; the gates are the last task of a
    one-line edit, alone on the machine): ``ebur128`` with true peak (its 4x oversampling is half
    the work) in one, ``silencedetect`` and the samples at 16 kHz mono (piped back) for finding
    where speech starts and ends in the other."""
    decode = (FFMPEG, "-nostdin", "-hide_banner", "-nostats", "-vn", "-i", str(path))
    silence = f"silencedetect=n={SILENCE_DB}dB:d={SILENCE_MIN_SECONDS}"
    mono = f"aresample={ANALYSIS_RATE},aformat=sample_fmts=flt:channel_layouts=mono"
    loudness = [*decode, "-filter_complex", "[0:a]ebur128=peak=true[l]", "-map", "[l]", "-f", "null", "-"]
    graph = f"[0:a]asplit=2[a1][a2];[a1]{silence}[s];[a2]{mono}[m]"
    rest = [*decode, "-filter_complex", graph, "-map", "[s]", "-f", "null", "-", "-map", "[m]", "-f", "f32le", "pipe:1"]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="gates-analysis") as pool:
        loud_run = pool.submit(run_tool, loudness, f"{what} (loudness)")
        rest_run = pool.submit(run_tool, rest, f"{what} (analysis)")
        loud_log, done = loud_run.result().stderr.decode("utf-8", "replace"), rest_run.result()
    log = done.stderr.decode("utf-8", "replace")
    summary = loud_log[loud_log.rfind("Summary:") :] if "Summary:" in loud_log else loud_log
    loud = re.search(r"I:\s*(-?[\d.]+|-inf)\s*LUFS", summary)
    peak = re.search(r"True peak:\s*Peak:\s*(-?[\d.]+|-inf)\s*dBFS", summary, re.S)
    starts = [float(x) for x in re.findall(r"silence_start:\s*(-?[\d.]+)", log)]
    ends = [float(x) for x in re.findall(r"silence_end:\s*([\d.]+)", log)]
    silence_spans = [(s, ends[i] if i < len(ends) else float("inf")) for i, s in enumerate(starts)]
    analysis = Analysis(
        float(loud.group(1)) if loud else float("-inf"),
        float(peak.group(1)) if peak else float("inf"),
        silence_spans,
    )
    return analysis, np.frombuffer(done.stdout, dtype="<f4")


def mono_samples(path: Path, what: str) -> np.ndarray:
    """The episode's sound as 16 kHz mono float32."""
    return measure(path, what)[1]


def speech_edges(
    samples: np.ndarray, window: tuple[float, float], below_peak_db: float = 25.0
) -> tuple[float, float] | None:
    """First and last 10 ms where someone speaks inside ``window`` (seconds), by level against the window's peak."""
    found = voiced_frames(samples, window, below_peak_db)
    if found is None:
        return None
    origin, voiced = found
    indices = np.flatnonzero(voiced)
    if indices.size == 0:
        return None
    return (origin + indices[0] * 0.01, origin + (indices[-1] + 1) * 0.01)


def voiced_frames(
    samples: np.ndarray, window: tuple[float, float], below_peak_db: float = 25.0
) -> tuple[float, np.ndarray] | None:
    """(start of the first frame, one flag per 10 ms frame: speech?) inside ``window`` (seconds)."""
    size = ANALYSIS_RATE // 100
    a, b = max(0, int(window[0] * ANALYSIS_RATE)), min(len(samples), int(window[1] * ANALYSIS_RATE))
    count = (b - a) // size
    if count <= 0:
        return None
    frames = samples[a : a + count * size].reshape(count, size).astype(np.float64)
    level = 20 * np.log10(np.maximum(np.sqrt(np.mean(frames**2, axis=1)), 1e-9))
    # The ambience bed swells (wind) to within 25 dB of a quiet voice: speech must also stand well
    # above the window's floor, and last, so a gust or a cricket's chirp is not taken for a word.
    floor = np.percentile(level, BED_PERCENTILE)
    loud = level > max(level.max() - below_peak_db, floor + ABOVE_BED_DB)
    voiced = np.zeros(count, dtype=bool)
    voiced[_sustained(loud, MIN_SPEECH_FRAMES)] = True
    return a / ANALYSIS_RATE, voiced


def quiet_near(samples: np.ndarray, t: float, window: tuple[float, float], tolerance: float) -> bool:
    """Is there a 10 ms frame without speech within ``tolerance`` seconds of ``t``? (A split between
    words, not through one.) Speech is judged against the whole line's ``window``."""
    found = voiced_frames(samples, window)
    if found is None:
        return True
    origin, voiced = found
    centres = origin + (np.arange(voiced.size) + 0.5) * 0.01
    near = np.abs(centres - t) <= tolerance
    return bool(near.any() and not voiced[near].all())


def _sustained(flags: np.ndarray, run: int) -> np.ndarray:
    """Indices of the True frames that belong to runs of at least ``run`` consecutive True frames."""
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    keep = [np.arange(s0, e0) for s0, e0 in zip(starts, ends, strict=True) if e0 - s0 >= run]
    return np.concatenate(keep) if keep else np.array([], dtype=int)
