"""The service's pool registry without Ray: which models its live pools hold, per zone."""

from __future__ import annotations

from orchestrator.clustersettings import PoolLimits
from orchestrator.service.pools import PoolRegistry
from tests.conftest import ZONES


def test_warm_gpus_name_the_model_each_live_pool_loaded(monkeypatch):
    registry = PoolRegistry(PoolLimits(), metrics=None)
    monkeypatch.setattr(registry, "_start", lambda spec, name: None)
    monkeypatch.setattr(registry, "_alive", lambda name: True)
    options = {"model": "tiny:sd", "device": "cpu", "max_side": 64, "multiple": 8, "steps": 2, "guidance": 0.0}
    spec = {"stage": "keyframe", "backend": "diffusers", "options": options, "zone": ZONES[1], "max_size": 1}
    registry.actor(spec, queued=1)  # the options as a driver sends them: a plain dict
    registry.actor({**spec, "zone": ZONES[2]}, queued=1)
    registry.actors[next(k for k in registry.actors if ZONES[2] in k)] = []  # that pool was stopped
    assert registry.warm_gpus() == {(ZONES[1], "tiny:sd"): 1}  # one actor: one GPU holds it; the stopped pool none
    registry.actor({**spec, "max_size": 3}, queued=12)  # its queue grew: so did the pool
    assert registry.warm_gpus() == {(ZONES[1], "tiny:sd"): 3}


def test_a_restarted_service_adopts_the_pool_actors_still_alive_and_loads_no_model_again(monkeypatch):
    alive: set[str] = set()
    first = PoolRegistry(PoolLimits(), metrics=None)
    monkeypatch.setattr(PoolRegistry, "_start", lambda self, spec, name: (alive.add(name), setattr(self, "loads", 1)))
    monkeypatch.setattr(PoolRegistry, "_alive", staticmethod(lambda name: name in alive))
    spec = {"stage": "keyframe", "backend": "diffusers", "options": {"model": "tiny:sd"}, "zone": ZONES[0]}
    names = first.actor(spec, queued=1)
    second = PoolRegistry(PoolLimits(), metrics=None)  # the service actor restarted: an empty registry
    assert second.actor(spec, queued=1) == names and second.loads == 0


def test_a_restarted_service_shows_the_live_pools_before_any_job_asks_for_them(monkeypatch, tmp_path):
    alive: set[str] = set()
    monkeypatch.setattr(PoolRegistry, "_start", lambda self, spec, name: alive.add(name))
    monkeypatch.setattr(PoolRegistry, "_alive", staticmethod(lambda name: name in alive))
    options = {"model": "tiny:sd", "device": "cpu", "max_side": 64, "multiple": 8, "steps": 2, "guidance": 0.0}
    spec = {"stage": "keyframe", "backend": "diffusers", "options": options, "zone": ZONES[0], "max_size": 1}
    PoolRegistry(PoolLimits(), metrics=None, folder=tmp_path).actor(spec, queued=1)
    PoolRegistry(PoolLimits(), metrics=None, folder=tmp_path).actor({**spec, "zone": ZONES[1]}, queued=1)
    alive.discard(next(n for n in alive if ZONES[1] in n))  # that pool's actor died meanwhile
    restarted = PoolRegistry(PoolLimits(), metrics=None, folder=tmp_path)
    assert [(p["zone"], p["actors"]) for p in restarted.view()] == [(ZONES[0], 1)]
    assert restarted.warm_gpus() == {(ZONES[0], "tiny:sd"): 1}
    assert len(list(tmp_path.glob("*.json"))) == 1  # the dead pool's settings are gone


def test_warm_zones_are_those_with_a_live_pool_of_the_same_settings(monkeypatch):
    from orchestrator.service.pools import pool_digest

    registry = PoolRegistry(PoolLimits(), metrics=None)
    monkeypatch.setattr(registry, "_start", lambda spec, name: None)
    monkeypatch.setattr(registry, "_alive", lambda name: True)
    spec = {"stage": "keyframe", "backend": "diffusers", "options": {"model": "tiny:sd"}, "zone": ZONES[0]}
    other = {**spec, "options": {"model": "tiny:sd", "steps": 100}}  # other settings: another pool
    registry.actor(spec, queued=1)
    registry.actor({**other, "zone": ZONES[1]}, queued=1)
    assert pool_digest({**spec, "zone": ZONES[2]}) == pool_digest(spec)  # the zone is not part of it
    assert registry.warm_zones(pool_digest(spec)) == {ZONES[0]}
    assert registry.warm_zones(pool_digest(other)) == {ZONES[1]}
