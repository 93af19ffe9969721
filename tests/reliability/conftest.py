"""Fixtures for the reliability suite: a small job on fake stages, and the CLI run in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from orchestrator.cli import app
from tests.orchestrator.fakes import FAKES, register_fakes, unregister_fakes

SCRIPT = "第1集\n1-1 日 内 办公室\n人物：林晚、顾沉\n林晚：你来了。\n顾沉：我来了。\n旁白：那天下着雨。\n"


def write_fake_job(root: Path, options: dict[str, dict] | None = None) -> tuple[Path, Path]:
    """A one-episode job and a profile whose stages are all fakes (``options`` per stage)."""
    (root / "job").mkdir(parents=True, exist_ok=True)
    (root / "job" / "script.txt").write_text(SCRIPT, encoding="utf-8")
    (root / "job" / "job.yaml").write_text("studio: 测试\ntitle: 测试剧\nscript: script.txt\n", encoding="utf-8")
    stages = {name: {"backend": "fake", "options": (options or {}).get(name, {})} for name in FAKES}
    config = root / "fake.yaml"
    config.write_text(yaml.safe_dump({"name": "fake", "retries": 1, "stages": stages}, allow_unicode=True))
    return root / "job" / "job.yaml", config


def cli(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def manifest_of(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def fakes():
    register_fakes()
    yield
    unregister_fakes()


@pytest.fixture
def fake_job(tmp_path, fakes):
    job, config = write_fake_job(tmp_path)
    return job, config, tmp_path / "out"
