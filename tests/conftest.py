"""Shared fixtures. One Ray runtime per test session, pinned small, as Ray's own tests do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def ray_session():
    """An embedded Ray shared by every test that needs one: 2 CPUs, a small object store."""
    import ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, object_store_memory=100_000_000, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


@pytest.fixture
def repo() -> Path:
    return REPO
