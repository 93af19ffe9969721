"""The embedded Ray keeps its idle workers (their imports done) for the next run of the session."""

import sys
import types

from orchestrator.config import load_profile
from orchestrator.execution import connection


def test_an_embedded_ray_keeps_its_idle_workers_warm(monkeypatch):
    calls = {}
    fake = types.SimpleNamespace(
        is_initialized=lambda: False, init=lambda **kw: calls.update(kw), shutdown=lambda: calls.update(down=True)
    )
    monkeypatch.setitem(sys.modules, "ray", fake)
    with connection.ray_connection(load_profile(None)):
        pass
    config = calls["_system_config"]
    assert config["idle_worker_killing_time_threshold_ms"] >= 60_000  # not Ray's one second
    assert config["num_workers_soft_limit"] >= 2 and calls["down"]
    assert connection.warm_workers(3)["num_workers_soft_limit"] == 6
