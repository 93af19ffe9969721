"""Every model backend with tiny random models, through the same Ray actor code path a GPU pool uses."""

from __future__ import annotations

import pytest

from stages.media.probe import probe
from stages.models import Character
from stages.params import Speaker
from stages.store import lookup
from tests.workers.conftest import TINY_IMAGE, TINY_VIDEO, TINY_VOICE, make_shot
from workers.pool import StageWorker, startup_failure, worker_class_for


def actor(ray, stage: str, backend: str, options: dict):
    """A pool actor exactly as the executor makes one (plain class wrapped by ``ray.remote``)."""
    handle = ray.remote(num_cpus=1)(worker_class_for(stage, backend)).remote(stage, backend, options)
    assert ray.get(handle.ready.remote(), timeout=120)
    return handle


def test_worker_class_per_model_family():
    from workers.families import ImageToVideoWorker, LLMWorker, TextToImageWorker, TTSWorker

    assert worker_class_for("keyframe", "diffusers") is TextToImageWorker
    assert worker_class_for("character", "diffusers") is TextToImageWorker
    assert worker_class_for("motion", "diffusers") is ImageToVideoWorker
    assert worker_class_for("storyboard", "llm") is LLMWorker
    assert worker_class_for("voice", "transformers") is TTSWorker
    assert worker_class_for("mux", "ffmpeg") is StageWorker


@pytest.mark.slow
def test_image_and_video_actors_load_once_and_serve_many_shots(ray_session, tmp_path, job, heroine, shots):
    ray = ray_session
    store = str(tmp_path / "store")
    sheets = actor(ray, "character", "diffusers", TINY_IMAGE)
    sheet = ray.get(sheets.execute.remote("sheet-1", {"job": job, "character": heroine}, {}, store))
    assert sheet.file().name == "sheet.png" and sheet.meta["character"] == "林晚"

    keyframes = actor(ray, "keyframe", "diffusers", TINY_IMAGE)
    refs = [
        keyframes.execute.remote(
            f"kf-{i}",
            {"job": job, "episode": {"id": "ep01"}, "scene": {}, "shot": shot, "characters": [heroine]},
            {"characters": [sheet]},
            store,
        )
        for i, shot in enumerate(shots)
    ]
    frames = ray.get(refs)
    stats = ray.get(keyframes.stats.remote())
    assert stats["loads"] == 1 and stats["served"] == len(shots) and stats["model"] == "tiny:sd"
    from PIL import Image

    with Image.open(frames[0].file()) as image:
        assert image.size == (job["width"], job["height"])  # resized to the job's exact size

    clips = actor(ray, "motion", "diffusers", TINY_VIDEO)
    made = ray.get(
        [
            clips.execute.remote(f"clip-{i}", {"job": job, "shot": shot}, {"keyframe": frame}, store)
            for i, (shot, frame) in enumerate(zip(shots[:3], frames, strict=False))
        ]
    )
    assert ray.get(clips.stats.remote())["loads"] == 1
    info = probe(made[0].file())
    assert (info.width, info.height) == (job["width"], job["height"])
    assert info.frames == round(shots[0]["duration"] * job["fps"])  # retimed to the shot, not the model
    assert abs(info.duration - shots[0]["duration"]) < 0.1
    assert made[0].meta["generated_frames"] == 9

    # A repeated key is served from the store, not generated again.
    again = ray.get(keyframes.execute.remote("kf-0", {}, {}, store))
    assert again.path == frames[0].path
    assert ray.get(keyframes.stats.remote())["cached"] == 1


@pytest.mark.slow
def test_voice_actor_speaks_lines_per_character(ray_session, tmp_path, job, heroine, hero):
    ray = ray_session
    store = str(tmp_path / "store")
    voices = actor(ray, "voice", "transformers", TINY_VOICE)
    heroine, hero = (Speaker.of(Character(**c)).model_dump() for c in (heroine, hero))  # as voices see them
    lines = [("林晚", heroine, "你好，陆沉。"), ("陆沉", hero, "走吧！"), (None, None, "那一年，城墙下。")]
    made = ray.get(
        [
            voices.execute.remote(
                f"v{i}",
                {
                    "job": job,
                    "character": who,
                    "line": {
                        "id": f"ep01-l{i + 1:03d}",
                        "kind": "narration" if who is None else "dialogue",
                        "character": name,
                        "text": text,
                    },
                },
                {},
                store,
            )
            for i, (name, who, text) in enumerate(lines)
        ]
    )
    assert ray.get(voices.stats.remote())["loads"] == 1
    for artifact in made:
        info = probe(artifact.file())
        assert (info.sample_rate, info.channels) == (48_000, 1)
        assert abs(info.duration - artifact.meta["duration"]) < 0.05
    speakers = [a.meta["speaker"] for a in made]
    assert speakers[2] == 0 and speakers[0] != 0 and speakers[1] != 0  # narrator vs characters
    assert made[1].meta["pitch_factor"] < 1.0  # the spec's low pitch (30) is honoured


def test_batch_runs_one_pipeline_call_and_writes_each_through_the_store(tmp_path, job, heroine, shots):
    worker = worker_class_for("keyframe", "diffusers")("keyframe", "diffusers", TINY_IMAGE)
    pipe = worker.stage.model.pipe
    calls: list[int] = []

    def counting(**kwargs):
        calls.append(len(kwargs["prompt"]))
        return pipe(**kwargs)

    worker.stage.model.pipe = counting
    tasks = [
        (f"kf-{i}", {"job": job, "episode": {}, "scene": {}, "shot": s, "characters": [heroine]}, {"characters": []})
        for i, s in enumerate(shots)
    ]
    made = worker.execute_batch(tasks, tmp_path)
    assert calls == [len(shots)]
    assert [a.key for a in made] == [t[0] for t in tasks]
    assert all(lookup(tmp_path, "keyframe", t[0]) is not None for t in tasks)
    assert worker.execute_batch(tasks[:2], tmp_path)[1].key == "kf-1"
    assert calls == [len(shots)]  # cached: no second call
    assert worker.stats()["loads"] == 1


def test_batch_out_of_memory_retries_smaller_then_names_the_shot(tmp_path, job, heroine):
    import torch

    worker = worker_class_for("keyframe", "diffusers")("keyframe", "diffusers", TINY_IMAGE)
    pipe = worker.stage.model.pipe
    sizes: list[int] = []

    def small_gpu(**kwargs):
        sizes.append(len(kwargs["prompt"]))
        if len(kwargs["prompt"]) > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory")
        return pipe(**kwargs)

    worker.stage.model.pipe = small_gpu
    shots = [make_shot(n, []) for n in range(1, 4)]
    tasks = [
        (f"k{n}", {"job": job, "episode": {}, "scene": {}, "shot": s, "characters": []}, {})
        for n, s in enumerate(shots)
    ]
    made = worker.execute_batch(tasks, tmp_path)
    assert len(made) == 3 and sizes[:2] == [3, 1] and sizes.count(1) == 3

    def no_gpu(**kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    worker.stage.model.pipe = no_gpu
    from stages.pipelines.loading import ShotOutOfMemory

    with pytest.raises(ShotOutOfMemory, match="ep01-s01-sh009"):
        worker.execute_batch(
            [("k9", {"job": job, "episode": {}, "scene": {}, "shot": make_shot(9, []), "characters": []}, {})], tmp_path
        )
    assert lookup(tmp_path, "keyframe", "k9") is None  # nothing half-written under the key


def test_same_inputs_same_pixels(tmp_path, job, heroine, shots):
    import numpy as np
    from PIL import Image

    worker = StageWorker("keyframe", "diffusers", TINY_IMAGE)
    params = {"job": job, "episode": {}, "scene": {}, "shot": shots[0], "characters": [heroine]}
    a = worker.execute("a", params, {}, tmp_path / "one")
    b = worker.execute("b", params, {}, tmp_path / "two")
    assert np.array_equal(np.asarray(Image.open(a.file())), np.asarray(Image.open(b.file())))


@pytest.mark.slow
def test_missing_model_fails_the_actor_at_start_up_with_the_fetch_hint(ray_session, monkeypatch):
    ray = ray_session
    handle = (
        ray.remote(num_cpus=1)(worker_class_for("keyframe", "diffusers"))
        .options(runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1"}})
        .remote("keyframe", "diffusers", {"model": "kaipai-test/no-such-model"})
    )
    with pytest.raises(Exception) as err:
        ray.get(handle.ready.remote(), timeout=120)
    cause = startup_failure(err.value)
    assert cause is not None and cause.startswith("ModelMissing: model 'kaipai-test/no-such-model'")
    assert "hf download kaipai-test/no-such-model" in cause
    assert startup_failure(RuntimeError("not an actor error")) is None
