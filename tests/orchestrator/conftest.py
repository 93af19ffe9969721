"""Fixtures for the orchestrator's tests: fake stage backends and a profile that uses them."""

from __future__ import annotations

import pytest

from orchestrator.config import Profile
from tests.orchestrator.fakes import FAKES, register_fakes, unregister_fakes


@pytest.fixture
def fakes():
    register_fakes()
    yield
    unregister_fakes()


def fake_profile(options: dict[str, dict] | None = None, **extra) -> Profile:
    """A profile of fake backends; ``options`` per stage are checked against ``FakeOptions``."""
    register_fakes()  # the profile types each stage's options through the registry
    options = options or {}
    stages = {name: {"backend": "fake", "options": options.get(name, {})} for name in FAKES}
    return Profile(name="fake", stages=stages, **extra)


@pytest.fixture
def profile(fakes) -> Profile:
    return fake_profile()


def make_job(folder, **spec_fields):
    """A loaded ``Job`` without a file on disk (the spec's folder is ``folder``)."""
    from orchestrator.jobspec import Job, JobSpec

    spec = JobSpec(studio="测试工作室", title="测试", script="第1集\n林晚：你好", **spec_fields)
    return Job(spec=spec, spec_path=folder / "job.yaml", folder=folder, script_text=spec.script, script_path=None)


@pytest.fixture
def job(tmp_path):
    return make_job(tmp_path)
