"""``kaipai submit``: what is sent to the cluster's Job API, and how its refusals read (no live dashboard)."""

from __future__ import annotations

import shlex

import pytest

from orchestrator import submit
from orchestrator.config import REPO_ROOT
from stages.errors import InputError, RunFailed

EXAMPLE = REPO_ROOT / "examples" / "fountain-short" / "job.yaml"


class FakeClient:
    def __init__(self, fail: str | None = None):
        self.fail, self.sent = fail, {}

    def submit_job(self, **kwargs):
        if self.fail:
            raise RuntimeError(f"Request failed with status code 500: {self.fail}")
        self.sent = kwargs
        return "raysubmit_123"


def test_submit_sends_the_job_folder_and_a_quoted_entrypoint(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(submit, "_client", lambda address: client)
    monkeypatch.setenv("RAY_AUTH_TOKEN", "secret")
    config = str(REPO_ROOT / "configs" / "datong.yaml")
    assert submit.submit(EXAMPLE, "http://head:8265", config=config, out="/shared/out dir") == "raysubmit_123"
    args = shlex.split(client.sent["entrypoint"])
    assert args[:5] == ["kaipai", "run", "job.yaml", "--address", "auto"]
    assert args[args.index("--config") + 1] == "configs/datong.yaml"
    assert args[args.index("--out") + 1] == "/shared/out dir"
    env = client.sent["runtime_env"]
    assert env["working_dir"] == str(EXAMPLE.parent.resolve())
    assert env["env_vars"]["RAY_AUTH_TOKEN"] == "secret"
    assert client.sent["metadata"]["studio"]


def test_a_config_the_cluster_cannot_see_is_refused_before_sending(monkeypatch, tmp_path):
    monkeypatch.setattr(submit, "_client", lambda address: pytest.fail("nothing may be sent"))
    elsewhere = tmp_path / "mine.yaml"
    elsewhere.write_text("name: x\n")
    with pytest.raises(InputError, match="would not exist on the cluster"):
        submit.submit(EXAMPLE, "http://head:8265", config=str(elsewhere))


def test_dashboard_refusal_is_one_clear_line(monkeypatch):
    monkeypatch.setattr(submit, "_client", lambda address: FakeClient(fail="No available agent to submit job"))
    with pytest.raises(RunFailed, match=r"^Ray dashboard at http://head:8265: .*No available agent"):
        submit.submit(EXAMPLE, "http://head:8265")
