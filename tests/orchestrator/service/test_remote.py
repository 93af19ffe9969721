"""Connecting to the cluster's Ray Client: transient start-up faults of the head are tried again."""

import pytest

from orchestrator.service import remote
from stages.errors import RunFailed


class FlakyInit:
    """``ray.init`` that fails with ``errors`` first, then connects."""

    def __init__(self, *errors: str) -> None:
        self.errors, self.calls = list(errors), 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise ConnectionError(self.errors.pop(0))


@pytest.fixture
def fake_ray(monkeypatch):
    import ray

    monkeypatch.setattr(remote, "CONNECT_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(ray, "shutdown", lambda: None)
    return lambda init: monkeypatch.setattr(ray, "init", init)


@pytest.mark.parametrize(
    "error",
    [
        "Starting Ray client server failed. See ray_client_server_23000.err for detailed logs.",
        "psutil.ZombieProcess: PID still exists but it's a zombie (pid=15878)",  # the proxier's, seen in CI
    ],
)
def test_a_per_client_server_that_did_not_start_is_tried_again(fake_ray, error):
    init = FlakyInit(error)
    fake_ray(init)
    with remote.connected_ray("ray://127.0.0.1:10001"):
        pass
    assert init.calls == 2


def test_a_wrong_address_fails_at_once_with_one_line(fake_ray):
    init = FlakyInit("Failed to connect to ray://nowhere:1", "never reached")
    fake_ray(init)
    with (
        pytest.raises(RunFailed, match="cannot reach the cluster's Ray Client at ray://nowhere:1"),
        remote.connected_ray("ray://nowhere:1"),
    ):
        pass
    assert init.calls == 1
