"""The online horizon kaipai keeps slow GPUs within: total capacity, and long tasks on fast kinds."""

from __future__ import annotations

import pytest

from orchestrator.placement.horizon import kinds_horizon

KINDS = [(0.3, 0.3 * 10), (1.0, 1.0 * 2)]  # ten 0.3x GPUs, two 1x GPUs: capacity 5 per second


def test_short_work_spreads_over_every_gpu():
    assert kinds_horizon(500.0, [], KINDS) == pytest.approx(100.0)


def test_a_long_task_needs_the_fastest_kind_and_no_less_than_its_run_there():
    assert kinds_horizon(1000.0, [1000.0], KINDS) == pytest.approx(1000.0, rel=1e-6)


def test_long_tasks_too_long_for_slow_gpus_must_fit_on_the_fast_ones():
    # Four 600 s tasks: on 0.3x GPUs they need 2,000 s, so by H < 2,000 s they share the two 1x GPUs
    # (1,200 s); the total alone (2,400 / 5 = 480 s) says far less.
    h = kinds_horizon(2400.0, [600.0] * 4, KINDS)
    assert h == pytest.approx(1200.0, rel=1e-6)
    assert h > 2400.0 / 5


def test_no_gpus_no_horizon():
    assert kinds_horizon(10.0, [5.0], []) == 0.0
