"""The cost model: published seeds, overrides, moving-average updates, transfers and loads."""

from __future__ import annotations

import pytest

from orchestrator.placement.costmodel import CostModel


def test_overrides_by_model_and_gpu_speed():
    model = CostModel(seconds={"Lightricks/LTX-Video": 4.0}, gpu_speed={"X9": 2.0})
    params = {"shot": {"duration": 5.0}}
    assert model.estimate("motion", "diffusers", params, "H100", model="Lightricks/LTX-Video") == 20.0
    assert model.estimate("motion", "diffusers", params, "X9", model="Lightricks/LTX-Video") == 10.0


def test_observe_moves_the_estimate_towards_what_ran():
    model = CostModel(alpha=0.5)
    params = {"shot": {"duration": 5.0}}
    predicted = model.estimate("motion", "diffusers", params, "H100")
    model.observe("motion", "H100", 2 * predicted, predicted)
    assert model.estimate("motion", "diffusers", params, "H100") == pytest.approx(1.5 * predicted)
    again = model.estimate("motion", "diffusers", params, "H100")
    model.observe("motion", "H100", 2 * predicted, again)
    assert model.estimate("motion", "diffusers", params, "H100") == pytest.approx(1.75 * predicted)
    assert model.estimate("motion", "diffusers", params, "H800") == pytest.approx(predicted)


def test_transfer_and_load_times():
    assert CostModel.transfer_seconds(2e9, 0.001, 1e9) == pytest.approx(2.001)
    assert CostModel.transfer_seconds(0, 0.001, 1e9) == 0
    local = CostModel.load_seconds("Wan-AI/Wan2.1-I2V-14B-720P-Diffusers", True)
    remote = CostModel.load_seconds("Wan-AI/Wan2.1-I2V-14B-720P-Diffusers", False, link_bandwidth=0.5e9)
    assert remote > local > 0
    assert CostModel.load_seconds(None, False) == 0


def test_artifact_sizes_scale_with_shot_length():
    assert CostModel.artifact_bytes("motion", {"shot": {"duration": 4}}) == 2 * CostModel.artifact_bytes(
        "motion", {"shot": {"duration": 2}}
    )
    assert CostModel.artifact_bytes("keyframe", {}) > 0


def test_a_chat_model_translating_a_line_costs_a_share_of_a_storyboard_episode():
    cost = CostModel()
    episode = cost.estimate("storyboard", "llm", {}, "H100", "Qwen/Qwen2.5-7B-Instruct")
    line = cost.estimate("translate", "llm", {"text": "你来了。"}, "H100", "Qwen/Qwen2.5-7B-Instruct")
    assert line == pytest.approx(episode * 100 / 4000)  # ~100 tokens out of a storyboard's ~4k
