"""An episode's true peaks from its shots' kept peaks, so an edit oversamples only what it changed.

The loudness limiter needs every sample's true peak (4x oversampled, ``stages.media.loudness``):
about a second of CPU for a 47 s episode, the largest part of a one-line edit's assembly, though
the edit changed one shot. The oversampling filter reaches only ten samples either side, so:

1. Each shot's stretch of the episode's sound (music mixed in, if any) is keyed by its samples'
   hash; its peaks, computed on that stretch alone, are kept as a part (``stages.parts``) and read
   back by any later episode with the same samples there.
2. Around each cut, where the filter sees both shots, the peaks are computed again from the joined
   sound, with context either side: the result is exactly (bit for bit) the whole episode's.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from stages.media.loudness import OVERSAMPLE, sample_peaks
from stages.parts import Parts

PEAKS_VERSION = "1"  # bump when stages.media.loudness.sample_peaks measures differently
EDGE = 32  # samples either side of a cut taken from the joined sound (the filter reaches 10)
CONTEXT = 32  # more samples beyond those, so the filter there sees what it sees in the whole


def episode_peaks(audio: np.ndarray, lengths: list[int], parts: Parts) -> tuple[np.ndarray, int]:
    """``sample_peaks(audio)`` for ``audio`` made of stretches of ``lengths`` samples (the shots).

    Returns the peaks and how many stretches had to be oversampled (the others were kept)."""
    if sum(lengths) != len(audio):
        return sample_peaks(audio), len(lengths)  # not cut as the shots are: measure it whole
    peaks, made, start = [], 0, 0
    with tempfile.TemporaryDirectory(prefix="kaipai-peaks-") as scratch:
        for length in lengths:
            stretch = np.ascontiguousarray(audio[start : start + length], dtype=np.float32)
            found, fresh = _stretch_peaks(stretch, parts, Path(scratch))
            peaks.append(found)
            made, start = made + fresh, start + length
    joined = np.concatenate(peaks) if peaks else np.zeros(0, dtype=np.float32)
    _redo_cuts(audio, joined, np.cumsum(lengths)[:-1])
    return joined, made


def _stretch_peaks(stretch: np.ndarray, parts: Parts, scratch: Path) -> tuple[np.ndarray, int]:
    """Step 1: the stretch's peaks, from its part or computed and kept; 1 when computed."""
    digest = hashlib.sha256(stretch.tobytes()).hexdigest()
    key = hashlib.sha256(f"peaks {PEAKS_VERSION} x{OVERSAMPLE} {stretch.shape} {digest}".encode()).hexdigest()
    part = parts.find(key)
    if part is not None:
        return np.load(part.file("peaks.npy")), 0
    peaks = sample_peaks(stretch)
    folder = parts.new_folder(key, scratch)
    np.save(folder / "peaks.npy", peaks)
    parts.keep(key, folder, {"file": "peaks.npy", "samples": len(stretch)})
    return peaks, 1


def _redo_cuts(audio: np.ndarray, peaks: np.ndarray, cuts: np.ndarray) -> None:
    """Step 2: the peaks ``EDGE`` samples either side of each cut, from the joined sound (in place)."""
    for cut in (int(c) for c in cuts):
        lo, hi = max(0, cut - EDGE), min(len(audio), cut + EDGE)
        a, b = max(0, lo - CONTEXT), min(len(audio), hi + CONTEXT)
        peaks[lo:hi] = sample_peaks(audio[a:b])[lo - a : hi - a]
