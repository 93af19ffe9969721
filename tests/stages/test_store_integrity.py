"""The store checks itself: sizes on every hit, hashes when asked, corrupt artifacts evicted and re-made."""

from __future__ import annotations

import hashlib
import json

import pytest

from stages import store
from tests.stages.counting import CountingStage


class WavStage(CountingStage):
    repeat = 100

    def write_extra(self, out) -> None:
        (out / "extra").mkdir()
        (out / "extra" / "notes.txt").write_text("n")


class MuxStage(WavStage):
    name = "mux"

    def run(self, params, inputs, out):
        (out / "shot.mp4").write_bytes(inputs["voice"].file().read_bytes())
        return {"file": "shot.mp4"}


@pytest.fixture
def made(tmp_path):
    stage = WavStage()
    return stage, store.produce(stage, "k1", {"text": "hi"}, {}, tmp_path)


def test_meta_records_size_and_sha256_of_every_file(made):
    _, art = made
    files = art.meta["_store"]["files"]
    data = art.file().read_bytes()
    assert files["line.wav"] == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert files["extra/notes.txt"]["size"] == 1
    assert "meta.json" not in files


def test_a_truncated_file_is_evicted_and_made_again(made, tmp_path):
    stage, art = made
    with art.file().open("r+b") as f:
        f.truncate(10)
    found = store.find(tmp_path, "voice", "k1")
    assert found.artifact is None and found.evicted == "line.wav is 10 bytes, its record says 204"
    assert not art.path.exists()
    again = store.produce(stage, "k1", {"text": "hi"}, {}, tmp_path)
    assert stage.calls == 2 and again.file().stat().st_size == 204


def test_same_size_edit_passes_the_cheap_check_and_fails_the_deep_one(made, tmp_path):
    _, art = made
    data = bytearray(art.file().read_bytes())
    data[-1] ^= 0xFF
    art.file().write_bytes(bytes(data))
    assert store.find(tmp_path, "voice", "k1").artifact is not None
    found = store.find(tmp_path, "voice", "k1", deep=True)
    assert found.artifact is None and "does not match its sha256" in found.evicted


def test_a_missing_file_or_bad_meta_is_corrupt(made, tmp_path):
    _, art = made
    (art.path / "extra" / "notes.txt").unlink()
    assert store.find(tmp_path, "voice", "k1").evicted == "extra/notes.txt is missing"
    stage = WavStage()
    art = store.produce(stage, "k1", {"text": "hi"}, {}, tmp_path)
    (art.path / "meta.json").write_text("{not json")
    assert "meta.json is unreadable" in store.find(tmp_path, "voice", "k1").evicted


def test_an_artifact_without_a_record_is_not_trusted(tmp_path):
    old = tmp_path / "voice" / "k1"
    old.mkdir(parents=True)
    (old / "line.wav").write_bytes(b"RIFF")
    (old / "meta.json").write_text(json.dumps({"file": "line.wav"}))
    assert store.find(tmp_path, "voice", "k1").evicted == "no size and hash record (made by an older kaipai)"


def test_evicting_leaves_no_temp_folder(made, tmp_path):
    _, art = made
    store.evict(art.path)
    assert list((tmp_path / "voice").iterdir()) == []
    store.evict(art.path)  # twice is harmless


def test_a_corrupt_input_fails_the_stage_naming_it_and_is_evicted(made, tmp_path):
    _, voice = made
    with voice.file().open("r+b") as f:
        f.truncate(4)
    mux = MuxStage()
    with pytest.raises(store.CorruptArtifact, match=r"input voice \(voice/k1\) is corrupt: line.wav is 4 bytes") as err:
        store.produce(mux, "m1", {}, {"voice": voice}, tmp_path)
    assert err.value.retryable is False
    assert not voice.path.exists()
    assert not (tmp_path / "mux" / "m1").exists()
