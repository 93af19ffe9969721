"""What every motion backend shares: the length clips are rendered at."""

from __future__ import annotations

from pydantic import Field

from stages.base import StageOptions


class MotionOptions(StageOptions):
    """The planner reads ``clip_seconds`` for every motion backend (it sets the keyframe's and motion's
    shot length, so an edited line of dialogue never re-renders a picture)."""

    clip_seconds: float = Field(
        4.0, gt=0, le=60, description="Seconds each clip is rendered at; the mux retimes it to its shot."
    )
