"""Shared helpers for placement tests: small graphs built in code, the example graphs on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

GRAPHS = Path(__file__).resolve().parents[3] / "examples" / "graphs"


@pytest.fixture
def graphs_dir() -> Path:
    return GRAPHS


def chain(costs: dict[str, list[float]], comm: float = 0.0) -> dict:
    """A chain t0 -> t1 -> ... with per-resource costs (one list per resource)."""
    n = len(next(iter(costs.values())))
    return {
        "resources": [{"id": r} for r in costs],
        "tasks": [{"id": f"t{i}", "cost": {r: c[i] for r, c in costs.items()}} for i in range(n)],
        "edges": [{"from": f"t{i}", "to": f"t{i + 1}", "comm": comm} for i in range(n - 1)],
    }
