"""Shared model plumbing: sizes, seeds, missing-model messages, out-of-memory back-off."""

from __future__ import annotations

import pytest
import torch

from stages.model_stage import ModelOptions
from stages.pipelines.loading import ModelMissing, ModelSettings, ShotOutOfMemory, run_batched
from stages.shapes import generation_size, stable_seed


def test_generation_size_keeps_aspect_within_max_side_on_the_pipeline_grid():
    assert generation_size(720, 1280, 1024, 16) == (576, 1024)
    assert generation_size(1280, 720, 512, 8) == (512, 288)
    w, h = generation_size(96, 160, 64, 8)
    assert (w % 8, h % 8, max(w, h)) == (0, 0, 64)
    assert generation_size(64, 64, 1024, 32) == (64, 64)  # never upscaled


def test_stable_seed_is_fixed_across_processes():
    assert stable_seed("character", 0, 3, "林晚") == stable_seed("character", 0, 3, "林晚")
    assert stable_seed("character", 0, 3, "林晚") != stable_seed("character", 0, 4, "林晚")
    assert stable_seed("a") == 3398926610  # sha256-derived, so the same on every machine


def test_options_reject_unknown_device_and_dtype():
    with pytest.raises(ValueError, match="device"):
        ModelOptions(device="tpu")
    with pytest.raises(ValueError, match="dtype"):
        ModelOptions(dtype="int4")
    settings = ModelSettings.from_options(ModelOptions(dtype="bfloat16", device="cpu"), "m")
    assert settings.torch_dtype() == torch.float32  # half precision is for GPUs
    assert settings.model == "m"  # no model named: the family's default


@pytest.mark.parametrize(
    ("stage", "backend"),
    [("keyframe", "diffusers"), ("motion", "diffusers"), ("storyboard", "llm"), ("voice", "transformers")],
)
def test_missing_model_names_the_id_and_how_to_fetch_it(stage, backend, monkeypatch):
    from stages.registry import stage_class

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelMissing) as err:
        stage_class(stage, backend)({"model": "kaipai-test/no-such-model"}).setup()
    message = str(err.value)
    assert "kaipai-test/no-such-model" in message
    assert "hf download kaipai-test/no-such-model" in message
    assert "HF_HOME" in message


def test_missing_local_folder_says_so():
    from stages.keyframe.diffusion import KeyframeDiffusion

    with pytest.raises(ModelMissing, match="does not exist"):
        KeyframeDiffusion({"model": "./no/such/folder"}).setup()


def test_model_missing_survives_pickling_across_processes():
    import pickle

    err = pickle.loads(pickle.dumps(ModelMissing("org/model", "gone")))
    assert "org/model" in str(err) and err.reason == "gone"


class _FlakyGPU:
    """Runs out of memory for any batch above ``fits`` items."""

    def __init__(self, fits: int) -> None:
        self.fits = fits
        self.calls: list[int] = []

    def __call__(self, batch: list[str]) -> list[str]:
        self.calls.append(len(batch))
        if len(batch) > self.fits:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return [item.upper() for item in batch]


def test_out_of_memory_halves_the_batch_and_keeps_order():
    gpu = _FlakyGPU(fits=1)
    items = ["sh1", "sh2", "sh3", "sh4", "sh5"]
    assert run_batched(items, 4, gpu, str) == ["SH1", "SH2", "SH3", "SH4", "SH5"]
    assert gpu.calls[:3] == [4, 2, 1]  # 4 fails, 2 fails, then one at a time
    assert max(gpu.calls[3:]) == 1


def test_out_of_memory_at_batch_one_names_the_shot():
    gpu = _FlakyGPU(fits=0)
    with pytest.raises(ShotOutOfMemory, match="ep01-s02-sh003"):
        run_batched(["ep01-s02-sh003"], 1, gpu, str)


def test_cpu_memory_error_is_treated_like_gpu_oom():
    calls: list[int] = []

    def call(batch: list[int]) -> list[int]:
        calls.append(len(batch))
        if len(batch) > 2:
            raise MemoryError
        return batch

    assert run_batched([1, 2, 3, 4], 4, call, str) == [1, 2, 3, 4]
    assert calls == [4, 2, 2]
