"""The one strict base model of the repo: job specs, profiles, options, params and storyboards.

A key nobody declared is an error, never silently ignored, so a typo in a spec or a profile is
reported with its file and line instead of quietly meaning "use the default".
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys."""

    model_config = ConfigDict(extra="forbid")
