"""Where the speech is inside a voice clip, measured from its samples.

TTS engines pad their output: espeak-ng ends every WAV in 200-500 ms of silence. A subtitle timed
from the file's length would end that much late, so each voice clip is trimmed to its speech (plus a
few milliseconds of breath) and its meta says where the speech is and where it pauses. The mux
places the samples and the subtitles take their times from the same numbers: in sync by construction.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SAMPLE_RATE = 48_000
WINDOW_SECONDS = 0.01  # the envelope's resolution
TRIM_BELOW_PEAK_DB = 40.0  # audio this far under the loudest window is cut off the clip's ends
AUDIBLE_BELOW_PEAK_DB = 25.0  # a cue shows while the speech is within this of its loudest window
SPEECH_FLOOR_DBFS = -60.0  # and anything quieter than this always does
KEEP_EDGE_SECONDS = 0.03  # breath kept before and after the speech
MIN_PAUSE_SECONDS = 0.12  # a silence inside speech at least this long is a pause (a comma, a full stop)


@dataclass(frozen=True)
class Speech:
    """Speech found in a clip: its span and its internal pauses, in seconds from the clip's start."""

    start: float
    end: float
    pauses: tuple[tuple[float, float], ...] = ()


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as float32 samples in [-1, 1], mono (channels averaged), and its rate."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: {8 * width}-bit WAV; 16-bit PCM expected")
    data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return (data.reshape(-1, channels).mean(axis=1) if channels > 1 else data), rate


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Float samples (frames x channels, or mono) as 16-bit PCM, clipped rather than wrapped."""
    data = np.asarray(samples, dtype=np.float32)
    channels = 1 if data.ndim == 1 else data.shape[1]
    pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def voiced_windows(samples: np.ndarray, rate: int, below_peak_db: float = TRIM_BELOW_PEAK_DB) -> np.ndarray:
    """One boolean per 10 ms window: is someone speaking there (within ``below_peak_db`` of the peak)?"""
    size = max(1, round(rate * WINDOW_SECONDS))
    count = len(samples) // size
    if count == 0:
        return np.zeros(0, dtype=bool)
    frames = samples[: count * size].reshape(count, size)
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    level = 20 * np.log10(np.maximum(rms, 1e-9))
    threshold = max(SPEECH_FLOOR_DBFS, float(level.max()) - below_peak_db)
    return level > threshold


def find_speech(samples: np.ndarray, rate: int, below_peak_db: float = TRIM_BELOW_PEAK_DB) -> Speech | None:
    """The span from the first to the last voiced window and the pauses between; None if all silent."""
    voiced = voiced_windows(samples, rate, below_peak_db)
    if not voiced.any():
        return None
    indices = np.flatnonzero(voiced)
    first, last = int(indices[0]), int(indices[-1])
    pauses = []
    gaps = np.flatnonzero(np.diff(indices) > 1)
    for g in gaps:
        start, end = (int(indices[g]) + 1) * WINDOW_SECONDS, int(indices[g + 1]) * WINDOW_SECONDS
        if end - start >= MIN_PAUSE_SECONDS:
            pauses.append((round(start, 3), round(end, 3)))
    return Speech(round(first * WINDOW_SECONDS, 3), round((last + 1) * WINDOW_SECONDS, 3), tuple(pauses))


def trim_to_speech(samples: np.ndarray, rate: int, min_seconds: float) -> tuple[np.ndarray, Speech]:
    """The clip cut to its speech plus a short edge, at least ``min_seconds`` long; speech re-measured.

    The clip is cut where the sound fades into silence (``TRIM_BELOW_PEAK_DB``), so soft word endings
    stay; the reported span, which times the cues, is where the speech is clearly audible
    (``AUDIBLE_BELOW_PEAK_DB``). A clip with no speech at all (a line of only punctuation) is kept as
    ``min_seconds`` of silence and reports its whole length, so it still gets a cue of sensible length.
    """
    found = find_speech(samples, rate)
    if found is None:
        length = max(1, round(min_seconds * rate))
        return np.zeros(length, dtype=np.float32), Speech(0.0, round(length / rate, 3))
    edge = round(KEEP_EDGE_SECONDS * rate)
    begin = max(0, round(found.start * rate) - edge)
    end = min(len(samples), round(found.end * rate) + edge)
    trimmed = samples[begin:end]
    shortfall = round(min_seconds * rate) - len(trimmed)
    if shortfall > 0:
        trimmed = np.concatenate([trimmed, np.zeros(shortfall, dtype=np.float32)])
    audible = find_speech(trimmed, rate, AUDIBLE_BELOW_PEAK_DB) or found
    return trimmed, audible


def finish_voice(raw: Path, target: Path, min_seconds: float) -> dict:
    """Trim ``raw`` (48 kHz mono PCM) into ``target``; the meta fields every voice backend returns."""
    samples, rate = read_wav(raw)
    trimmed, speech = trim_to_speech(samples, rate, min_seconds)
    write_wav(target, trimmed, rate)
    return {
        "duration": round(len(trimmed) / rate, 6),
        "samples": len(trimmed),
        "sample_rate": rate,
        "speech": [speech.start, speech.end],
        "pauses": [list(p) for p in speech.pauses],
    }
