"""Shared fixtures: cluster settings for three zones and a service object without Ray."""

from __future__ import annotations

import pytest

from tests.conftest import ZONES


@pytest.fixture
def settings(tmp_path) -> dict:
    return {
        "store": str(tmp_path / "store"),
        "slots": {zone: {"gpu": 1, "cpu": 1} for zone in ZONES},
        "fair_share": {"studios": {"a": 2, "b": 1}, "jump_per_priority": 5, "max_jump": 20},
    }


@pytest.fixture
def service(settings):
    from orchestrator.service.service import KaipaiService

    return KaipaiService(settings)
