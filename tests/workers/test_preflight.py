"""Checking a profile's models before a run, without loading them."""

from __future__ import annotations

from orchestrator.config import load_profile
from workers.preflight import is_available, missing_models, models_of


def test_tiny_profile_needs_nothing_from_disk(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    profile = load_profile("configs/tiny.yaml")
    assert {stage for stage, _ in models_of(profile)} == {
        "storyboard",
        "character",
        "keyframe",
        "motion",
        "voice",
        "translate",
        "dub",
    }
    assert missing_models(profile) == []


def test_workstation_models_are_named_with_the_fetch_command_when_offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    missing = missing_models(load_profile("configs/workstation.yaml"))
    stages = {stage for stage, _ in missing}
    assert {"keyframe", "motion", "storyboard", "voice"} <= stages
    message = str(dict(missing)["motion"])
    assert "Lightricks/LTX-Video" in message and "hf download Lightricks/LTX-Video" in message


def test_online_runs_are_not_blocked(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    assert missing_models(load_profile("configs/workstation.yaml")) == []


def test_local_folders_and_unknown_tiny_names(tmp_path):
    assert is_available(str(tmp_path))
    assert not is_available(str(tmp_path / "missing"))
    assert not is_available("tiny:nonexistent")
