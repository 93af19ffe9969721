"""``kaipai verify OUT``: every artifact hashed against its record, delivered files compared, --evict."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.manifest import publish_file, write_manifest
from stages import store
from stages.base import Stage


class EpisodeStage(Stage):
    name = "assembly"
    backend = "test"

    def run(self, params, inputs, out):
        (out / "episode.mp4").write_bytes(b"\x00\x01" * 500)
        return {"file": "episode.mp4"}


def made_run(tmp_path):
    """A store with one assembly artifact, its episode delivered to OUT, and a manifest naming both."""
    out, root = tmp_path / "out", tmp_path / "out" / ".store"
    art = store.produce(EpisodeStage(), "k1", {}, {}, root)
    publish_file(art.file(), out / "ep01" / "episode.mp4")
    manifest = {
        "store": str(root),
        "episodes": {"ep01": {"status": "ok", "video": "ep01/episode.mp4", "subtitles": None, "cover": None}},
        "tasks": {"assembly:ep01": {"stage": "assembly", "unit": "ep01", "key": "k1"}},
    }
    write_manifest(out, manifest)
    return out, art


def verify(*args):
    return CliRunner().invoke(app, ["verify", *map(str, args)])


def test_an_intact_run_verifies(tmp_path):
    out, _ = made_run(tmp_path)
    result = verify(out)
    assert result.exit_code == 0, result.output
    assert "1 artifacts checked, 0 corrupt; 1 delivered files checked, 0 bad" in result.output


def test_a_same_size_edit_in_the_store_is_found_and_evicted_on_request(tmp_path):
    out, art = made_run(tmp_path)
    art.file().write_bytes(b"\x01\x00" * 500)  # same size: only the hash can tell
    result = verify(out)
    assert result.exit_code == 1
    assert "corrupt: assembly/k1: episode.mp4 does not match its sha256" in result.output
    assert art.path.exists()
    result = verify(out, "--evict")
    assert result.exit_code == 0 and "evicted: assembly/k1" in result.output and not art.path.exists()


def test_an_edited_delivered_file_is_reported(tmp_path):
    out, art = made_run(tmp_path)
    (out / "ep01" / "episode.mp4").write_bytes(b"re-encoded")
    result = verify(out)
    assert result.exit_code == 1
    assert f"bad delivered file: {out / 'ep01' / 'episode.mp4'}: differs from what the run made" in result.output
    assert store.problem_of(art, deep=True) is None  # the store's copy is untouched


def test_no_store_is_a_usage_error(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text(json.dumps({"store": str(tmp_path / "gone")}))
    result = verify(tmp_path / "out")
    assert result.exit_code == 2 and "no artifact store at" in result.output
