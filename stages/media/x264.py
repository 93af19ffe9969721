"""The x264 settings backends expose as options, typed so a profile can only name real ones."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"]
Crf = Annotated[int, Field(ge=0, le=51, description="x264 constant rate factor: lower is better and larger.")]
