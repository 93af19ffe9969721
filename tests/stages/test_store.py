"""The artifact store: stable keys, exact invalidation, atomic writes, cache hits without running."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stages import store
from tests.stages.counting import CountingStage

BASE = dict(
    stage_name="voice",
    version="1",
    backend="espeak",
    settings={"rate": 1},
    params={"line": {"id": "ep01-l001", "text": "你好"}},
    input_keys={"voices": ["a", "b"]},
    seed=3,
)


class FailingStage(CountingStage):
    def run(self, params, inputs, out):
        (out / "half.wav").write_bytes(b"half")
        raise RuntimeError("boom")


def test_key_is_stable_and_independent_of_dict_order():
    a = store.artifact_key(**BASE)
    reordered = {**BASE, "params": dict(reversed(BASE["params"].items()))}
    b = store.artifact_key(**reordered)
    assert a == b
    assert len(a) == 64 and int(a, 16) >= 0


@pytest.mark.parametrize(
    "change",
    [
        {"stage_name": "mux"},
        {"version": "2"},
        {"backend": "transformers"},
        {"settings": {"rate": 2}},
        {"params": {"line": {"id": "ep01-l001", "text": "你好!"}}},
        {"input_keys": {"voices": ["b", "a"]}},  # input order matters (voices in line order)
        {"input_keys": {"voices": ["a", "c"]}},
        {"seed": 4},
        {"seed": None},
    ],
)
def test_key_changes_with_any_input(change):
    assert store.artifact_key(**{**BASE, **change}) != store.artifact_key(**BASE)


def test_key_handles_paths_and_models():
    from stages.params import MusicParams

    music = MusicParams(path="/x/m.mp3", sha256="ab")
    key = store.artifact_key("assembly", "1", "ffmpeg", {}, {"music": music, "p": Path("/a")}, [])
    assert key == store.artifact_key("assembly", "1", "ffmpeg", {}, {"music": music.model_dump(), "p": "/a"}, [])


def test_produce_writes_then_returns_cached_without_running(tmp_path):
    stage = CountingStage()
    art = store.produce(stage, "k1", {"text": "hi"}, {}, tmp_path)
    assert art.path == tmp_path / "voice" / "k1"
    assert art.file().read_bytes() == b"RIFFhi"
    assert art.meta["duration"] == 1.5
    assert art.meta["_store"]["key"] == "k1"
    again = store.produce(stage, "k1", {"text": "hi"}, {}, tmp_path)
    assert stage.calls == 1
    assert again.meta == art.meta
    assert store.exists(tmp_path, "voice", "k1")
    assert not store.exists(tmp_path, "voice", "k2")


def test_failing_stage_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        store.produce(FailingStage(), "k1", {"text": "hi"}, {}, tmp_path)
    assert list((tmp_path / "voice").iterdir()) == []
    assert store.lookup(tmp_path, "voice", "k1") is None


def test_stage_that_forgets_its_file_is_an_error(tmp_path):
    class Forgetful(CountingStage):
        def run(self, params, inputs, out):
            return {"file": "missing.wav"}

    with pytest.raises(RuntimeError, match="did not write it"):
        store.produce(Forgetful(), "k1", {}, {}, tmp_path)
    assert list((tmp_path / "voice").iterdir()) == []


def test_non_json_metadata_is_an_error(tmp_path):
    class Weird(CountingStage):
        def run(self, params, inputs, out):
            return {"thing": object()}

    with pytest.raises(RuntimeError, match="not JSON"):
        store.produce(Weird(), "k1", {}, {}, tmp_path)
    assert store.lookup(tmp_path, "voice", "k1") is None


def test_concurrent_winner_is_kept(tmp_path):
    class Racer(CountingStage):
        def run(self, params, inputs, out):
            # Another worker finishes the same key while we run.
            other = tmp_path / "voice" / "k1"
            other.mkdir()
            (other / "meta.json").write_text(json.dumps({"winner": True, "_store": {"files": {}}}))
            return super().run(params, inputs, out)

    art = store.produce(Racer(), "k1", {"text": "x"}, {}, tmp_path)
    assert art.meta == {"winner": True, "_store": {"files": {}}}
    assert [p.name for p in (tmp_path / "voice").iterdir()] == ["k1"]


def test_sweep_removes_dead_writers_temps_only(tmp_path):
    (tmp_path / "voice").mkdir()
    host = store.temp_name("k").split("-")[2]
    dead = tmp_path / "voice" / f"{store.TEMP_PREFIX}k-{host}-999999999-abcd"
    live = tmp_path / "voice" / f"{store.TEMP_PREFIX}k-{host}-{os.getpid()}-abcd"
    old = tmp_path / "voice" / f"{store.TEMP_PREFIX}k-otherhost-1-abcd"
    for p in (dead, live, old):
        p.mkdir()
    os.utime(old, (0, 0))
    removed = store.sweep_temps(tmp_path)
    assert sorted(removed) == sorted([dead, old])
    assert live.exists()
