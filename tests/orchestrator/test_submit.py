"""``kaipai submit``: what is sent to the cluster's Job API, and how its refusals read (no live dashboard).

The live check (a head with token auth and a canary token, nothing of it in ``/api/jobs/``) is in
``tests/orchestrator/service/test_cluster_e2e.py``.
"""

from __future__ import annotations

import json
import shlex

import pytest

from orchestrator import submit
from orchestrator.config import REPO_ROOT
from stages.errors import InputError, RunFailed

EXAMPLE = REPO_ROOT / "examples" / "fountain-short" / "job.yaml"
CANARY = "kaipai-canary-token-0123456789abcdef"


class FakeClient:
    def __init__(self, fail: str | None = None):
        self.fail, self.sent = fail, {}

    def submit_job(self, **kwargs):
        if self.fail:
            raise RuntimeError(f"Request failed with status code 500: {self.fail}")
        self.sent = kwargs
        return kwargs["submission_id"]


def test_submit_runs_the_driver_through_the_heads_python(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(submit, "_client", lambda address: client)
    config = str(REPO_ROOT / "configs" / "datong.yaml")
    job_id = submit.submit(EXAMPLE, "http://head:8265", config=config)
    assert job_id.startswith("kaipai-") and client.sent["submission_id"] == job_id
    args = shlex.split(client.sent["entrypoint"])
    assert args[:5] == ["python", "-m", "orchestrator.cli", "driver", "job.yaml"]
    assert args[args.index("--job-id") + 1] == job_id
    assert args[args.index("--config") + 1] == "configs/datong.yaml"
    assert client.sent["runtime_env"]["working_dir"] == str(EXAMPLE.parent.resolve())
    assert client.sent["metadata"]["studio"]


def test_the_auth_token_goes_nowhere_the_job_api_shows(monkeypatch):
    client = FakeClient()
    monkeypatch.setattr(submit, "_client", lambda address: client)
    monkeypatch.setenv("RAY_AUTH_TOKEN", CANARY)
    submit.submit(EXAMPLE, "http://head:8265")
    assert CANARY not in json.dumps(client.sent, default=str)


def test_the_dashboard_client_carries_the_token_as_a_header_only(monkeypatch):
    seen = {}

    class Recorder:
        def __init__(self, address, headers=None):
            seen.update(address=address, headers=headers)

    monkeypatch.setattr("ray.job_submission.JobSubmissionClient", Recorder)
    monkeypatch.setenv("RAY_AUTH_TOKEN", CANARY)
    submit._client("http://head:8265")
    assert seen["headers"] == {"Authorization": f"Bearer {CANARY}"}


def test_a_bad_job_id_is_refused_before_sending(monkeypatch):
    monkeypatch.setattr(submit, "_client", lambda address: pytest.fail("nothing may be sent"))
    with pytest.raises(InputError, match="job id"):
        submit.submit(EXAMPLE, "http://head:8265", submission_id="../../etc")


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
