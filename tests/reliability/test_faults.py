"""Faults of the machine end cleanly: one line naming the path and cause, exit 1, nothing half-written."""

from __future__ import annotations

import errno
import pathlib

from tests.reliability.conftest import cli, manifest_of, write_fake_job


def refuse(monkeypatch, method: str, err: int, text: str, when=lambda path: True):
    """Make ``Path.<method>`` fail with ``err`` for the paths ``when`` picks (after writing half)."""
    original = getattr(pathlib.Path, method)

    def failing(self, data, *args, **kwargs):
        if when(self):
            original(self, data[: len(data) // 2], *args, **kwargs)
            raise OSError(err, text, str(self))
        return original(self, data, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, method, failing)


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_read_only_output_is_one_line_exit_1(ray_session, fake_job, monkeypatch):
    job, config, out = fake_job
    refuse(monkeypatch, "write_bytes", errno.EROFS, "Read-only file system")
    result = cli("run", job, "--config", config, "--out", out)
    assert result.exit_code == 1
    assert one_error_line(result) == f"error: {out}: read-only file system"
    assert not list(out.glob(".kaipai-write-test-*"))


def test_permission_denied_is_one_line_exit_1(ray_session, fake_job, monkeypatch):
    job, config, out = fake_job
    refuse(monkeypatch, "write_bytes", errno.EACCES, "Permission denied")
    result = cli("run", job, "--config", config, "--out", out)
    assert result.exit_code == 1 and one_error_line(result).endswith(": permission denied")


def test_full_disk_at_the_manifest_keeps_the_previous_one_and_no_temp(ray_session, fake_job, monkeypatch):
    job, config, out = fake_job
    assert cli("run", job, "--config", config, "--out", out).exit_code == 0
    before = (out / "manifest.json").read_bytes()
    refuse(monkeypatch, "write_text", errno.ENOSPC, "No space left on device", lambda p: p.name.startswith(".manifest"))
    result = cli("run", job, "--config", config, "--out", out)
    assert result.exit_code == 1
    assert one_error_line(result).endswith(": no space left on device")
    assert (out / "manifest.json").read_bytes() == before
    assert manifest_of(out)["status"] == "ok"
    assert not [p for p in out.rglob("*.tmp")]


def test_missing_program_is_named(ray_session, fake_job, monkeypatch):
    import shutil

    job, config, out = fake_job
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "ffprobe" else real_which(name))
    result = cli("run", job, "--config", config, "--out", out)
    assert result.exit_code == 1
    assert one_error_line(result) == "error: ffprobe: program not found (is it installed and on PATH?)"
    assert not (out / "manifest.json").exists()


def test_fully_cached_rerun_leaves_no_temp_files_and_delivers_copies(ray_session, fake_job):
    job, config, out = fake_job
    for _ in range(2):
        assert cli("run", job, "--config", config, "--out", out).exit_code == 0
    assert manifest_of(out)["summary"]["done"] == 0
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".tmp-")]
    delivered = out / "ep01" / "episode.mp4"
    assert delivered.stat().st_nlink == 1  # a copy, not a hard link into the store
    delivered.write_text("edited by the studio")
    assert cli("verify", out).exit_code == 1  # the delivered file no longer matches; the store is intact
    assert cli("run", job, "--config", config, "--out", out).exit_code == 0
    assert cli("verify", out).exit_code == 0 and delivered.read_text() != "edited by the studio"


def test_out_of_space_in_a_stage_is_not_retried(ray_session, fakes, tmp_path):
    job, config = write_fake_job(tmp_path, {"mux": {"disk_full": ["ep01-s01-sh001"]}})
    out = tmp_path / "out"
    result = cli("run", job, "--config", config, "--out", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    task = manifest_of(out)["tasks"]["mux:ep01-s01-sh001"]
    assert task["status"] == "failed" and task["attempts"] == 1  # the profile allows a retry; none was made
    assert "No space left on device" in task["error"]
    assert "retrying" not in result.output
