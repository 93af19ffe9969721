"""Sizes and seeds shared by the image and video families."""

from __future__ import annotations

import math

from stages.hashing import stable_int


def generation_size(width: int, height: int, max_side: int, multiple: int) -> tuple[int, int]:
    """The size to generate at: the job's aspect, longest side at most ``max_side``, both sides a
    multiple of what the pipeline needs (8 for SD's VAE, 16 for FLUX/Wan, 32 for LTX). The result is
    resized to the job's exact size afterwards, so rounding never distorts the final frame much.
    """
    scale = min(1.0, max_side / max(width, height))
    w = max(multiple, math.floor(width * scale / multiple + 0.5) * multiple)  # halves round up
    h = max(multiple, math.floor(height * scale / multiple + 0.5) * multiple)
    return int(w), int(h)


def stable_seed(*parts: object) -> int:
    """A seed from names and numbers that is the same in every process (``hash()`` is not)."""
    return stable_int(*parts, nbytes=4)
