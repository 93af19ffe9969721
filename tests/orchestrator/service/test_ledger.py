"""The share ledger: GPU-seconds held against the weighted max-min share owed, while studios contend."""

from __future__ import annotations

import pytest

from orchestrator.service.fairshare import FairShare, Policy, Request
from orchestrator.service.ledger import water_fill


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def gpu(studio: str, i: int) -> Request:
    return Request(f"{studio}-job", studio, f"{studio}-{i}", "gpu", None, 10.0)


def service(weights: dict[str, float], gpus: int) -> tuple[FairShare, Clock]:
    clock = Clock()
    fair = FairShare(Policy(weights=weights), clock)
    fair.capacity["gpu"] = gpus
    return fair, clock


def test_water_filling_owes_nobody_more_than_its_demand():
    shares = water_fill({"a": 10, "b": 1, "c": 100}, {"a": 1, "b": 1, "c": 2}, 31)
    assert shares["b"] == 1  # it wants one GPU: the other 30 go to a and c by weight
    assert shares["a"] == pytest.approx(10) and shares["c"] == pytest.approx(20)


def test_water_filling_keeps_what_a_studio_holds_and_cannot_give_back():
    shares = water_fill({"a": 10, "b": 10}, {"a": 1, "b": 1}, 10, {"a": 8})
    assert shares == pytest.approx({"a": 8, "b": 2})  # a keeps its 8; b gets what is left
    shares = water_fill({"a": 10, "b": 10, "c": 10}, {"a": 1, "b": 1, "c": 2}, 12, {"a": 1})
    assert shares == pytest.approx({"a": 3, "b": 3, "c": 6})  # a floor below the share changes nothing
    assert sum(water_fill({"a": 3, "b": 50}, {"a": 1, "b": 1}, 20, {"b": 12}).values()) == pytest.approx(20)


def test_nothing_is_counted_while_one_studio_waits_alone():
    fair, clock = service({"a": 1, "b": 1}, gpus=2)
    for i in range(4):
        fair.submit(gpu("a", i))
    fair.grant(lambda r: True)
    clock.now = 10.0
    fair.ledger.advance(clock())
    assert fair.ledger.contended_seconds == 0 and fair.ledger.jain() is None


def test_a_studio_holding_every_gpu_while_another_waits_got_more_than_it_was_owed():
    fair, clock = service({"a": 1, "b": 1}, gpus=2)
    for i in range(3):
        fair.submit(gpu("a", i))
    fair.grant(lambda r: True), fair.grant(lambda r: True)  # a holds both, one more queued
    fair.submit(gpu("b", 0))
    clock.now = 10.0
    fair.settle("a-job", "a-0", 10.0)  # the interval [0, 10] is counted as it was
    ledger = fair.ledger
    assert ledger.contended_seconds == pytest.approx(10.0)
    assert ledger.got == {"a": pytest.approx(20.0), "b": 0.0}
    assert ledger.owed == {"a": pytest.approx(10.0), "b": pytest.approx(10.0)}
    assert ledger.ratio("a") == pytest.approx(2.0) and ledger.ratio("b") == 0.0
    assert ledger.jain() == pytest.approx(0.5)


def test_a_studio_wanting_less_than_its_weight_is_owed_only_what_it_wants():
    fair, clock = service({"a": 1, "b": 3}, gpus=4)
    fair.submit(gpu("a", 0)), fair.submit(gpu("a", 1))  # a wants 2 of 4 (weight share 1)
    for i in range(10):
        fair.submit(gpu("b", i))
    granted = [fair.grant(lambda r: True) for _ in range(4)]
    assert sum(r.studio == "a" for r in granted) == 1  # weight 1 of 4: one GPU
    clock.now = 5.0
    fair.ledger.advance(clock())
    assert fair.ledger.owed["a"] == pytest.approx(5.0) and fair.ledger.owed["b"] == pytest.approx(15.0)
    assert fair.ledger.jain() == pytest.approx(1.0)


def test_the_view_rounds_and_names_every_contended_studio():
    fair, clock = service({"a": 2, "b": 1}, gpus=3)
    for studio in "ab":
        for i in range(5):
            fair.submit(gpu(studio, i))
    for _ in range(3):
        fair.grant(lambda r: True)
    clock.now = 3.0
    fair.ledger.advance(clock())
    view = fair.ledger.view()
    assert view["kind"] == "gpu" and view["contended_seconds"] == 3.0
    assert set(view["studios"]) == {"a", "b"}
    assert view["studios"]["a"]["got"] == 6.0 and view["studios"]["a"]["owed"] == 6.0
    assert view["jain"] == pytest.approx(1.0)
