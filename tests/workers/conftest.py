"""Fixtures for the model worker tests: a job, characters and shots as the planner hands them.

``heroine`` is a look (``stages.params.CharacterLook``), as pictures see a character; the voice tests
turn characters into ``Speaker`` params."""

from __future__ import annotations

import pytest

TINY_IMAGE = {"model": "tiny:sd", "device": "cpu", "max_side": 64, "multiple": 8, "steps": 2}
TINY_VIDEO = {"model": "tiny:ltx", "device": "cpu", "max_side": 64, "frames": 9, "steps": 2, "preset": "ultrafast"}
TINY_VOICE = {"model": "tiny:vits", "device": "cpu"}


@pytest.fixture
def job() -> dict:
    return {
        "title": "城墙",
        "width": 96,
        "height": 160,
        "fps": 12,
        "aspect": "9:16",
        "style": "cinematic",
        "language": "zh",
        "seed": 7,
    }


@pytest.fixture
def heroine() -> dict:
    return {"name": "林晚", "appearance": "young woman, red coat", "seed": 3}


@pytest.fixture
def hero() -> dict:
    return {"name": "陆沉", "appearance": "男, 黑色西装", "voice": "", "seed": 0, "pitch": 30}


def make_shot(number: int, characters: list[str], duration: float = 1.5) -> dict:
    return {
        "id": f"ep01-s01-sh{number:03d}",
        "scene": "ep01-s01",
        "size": "close-up",
        "camera": "push-in",
        "duration": duration,
        "characters": characters,
        "prompt": f"shot {number} on the city wall",
        "action": "",
        "lines": [],
        "reason": "",
    }


@pytest.fixture
def shots(heroine: dict) -> list[dict]:
    return [make_shot(n, [heroine["name"]]) for n in range(1, 5)]
