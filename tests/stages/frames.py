"""One frame of a video as a grey numpy image, for the tests that look at pixels."""

from __future__ import annotations

import subprocess

import numpy as np


def grey_frame(path, *, at: float | None = None, index: int | None = None, size=(180, 320)) -> np.ndarray:
    """The frame shown ``at`` seconds in, or the one numbered ``index``, as float grey levels (h, w)."""
    args = ["ffmpeg", "-v", "error"]
    if at is not None:
        args += ["-ss", f"{at}"]
    args += ["-i", str(path)]
    if index is not None:
        args += ["-vf", f"select=eq(n\\,{index})"]
    args += ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    raw = subprocess.run(args, capture_output=True, check=True).stdout
    w, h = size
    return np.frombuffer(raw, dtype=np.uint8).reshape(h, w).astype(float)
