"""The rules backend's settings and the reading-speed arithmetic (how long a line takes to say).

Apart from the cutting rules because both backends need them: ``llm`` loads the same options for its
per-scene fallback and checks a model's shot lengths with :func:`speech_seconds`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, ValidationError, model_validator

from stages.base import StageOptions
from stages.errors import InputError

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9']+")


class StoryboardOptions(StageOptions):
    """The rules backend's settings (the profile's ``stages.storyboard.options``)."""

    reading_speed_zh: float = Field(4.5, gt=0, le=50, description="Chinese characters spoken per second.")
    reading_speed_en: float = Field(2.6, gt=0, le=20, description="English words spoken per second.")
    min_shot: float = Field(1.5, gt=0, le=60, description="Shortest shot, seconds.")
    max_shot: float = Field(6.0, gt=0, le=120, description="Longest shot a group of lines may fill, seconds.")
    max_lines: int = Field(3, ge=1, le=50, description="Most spoken lines in one shot.")
    short_action_zh: int = Field(24, ge=0, description="Action up to this many characters may share a shot.")
    short_action_en: int = Field(14, ge=0, description="Action up to this many words may share a shot.")

    @model_validator(mode="after")
    def _shortest_fits_longest(self) -> StoryboardOptions:
        if self.min_shot > self.max_shot:
            raise ValueError("min_shot is longer than max_shot")
        return self

    @classmethod
    def load(
        cls, options: StoryboardOptions | dict[str, Any] | None, reading_speed: float | None = None
    ) -> StoryboardOptions:
        """Options from a profile, with the job spec's ``reading_speed`` (both languages) on top."""
        if isinstance(options, StoryboardOptions):
            opts = cls.model_validate(options.model_dump(include=set(cls.model_fields), exclude_unset=True))
        else:
            try:
                opts = cls.model_validate(dict(options or {}))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                message = first["msg"].removeprefix("Value error, ")
                raise InputError(message, field=f"stages.storyboard.options.{where}".rstrip(".")) from None
        if reading_speed:
            opts = opts.model_copy(update={"reading_speed_zh": reading_speed, "reading_speed_en": reading_speed})
        return opts

    def speed(self, language: str) -> float:
        return self.reading_speed_zh if language == "zh" else self.reading_speed_en


def text_units(text: str, language: str) -> int:
    """What a reader reads: Chinese characters (plus Latin words), or English words."""
    if language == "zh":
        return len(_CJK.findall(text)) + len(_WORD.findall(text))
    return len(_WORD.findall(text)) or len(_CJK.findall(text))


def speech_seconds(text: str, language: str, options: StoryboardOptions) -> float:
    return max(0.6, text_units(text, language) / options.speed(language))
