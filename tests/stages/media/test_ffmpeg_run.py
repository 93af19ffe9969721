"""ffmpeg failures say which input is bad and why, and whether a retry could help."""

from __future__ import annotations

import subprocess

import ffmpeg
import pytest

from stages.media.ffmpeg_run import MediaError, MediaInputError, ToolMissing, file_inputs, run_ffmpeg, run_tool


@pytest.fixture
def tone(tmp_path):
    path = tmp_path / "tone.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=d=0.5", str(path)], check=True, capture_output=True
    )
    return path


def mixed(inputs, out):
    streams = [ffmpeg.input(str(p)).audio for p in inputs]
    return ffmpeg.output(ffmpeg.filter(streams, "amix", inputs=len(streams)), str(out))


def test_a_bad_input_is_named_with_its_cause(tmp_path, tone):
    fake = tmp_path / "music.mp3"
    fake.write_text("this is not audio")
    with pytest.raises(MediaInputError) as err:
        run_ffmpeg(mixed([tone, fake], tmp_path / "o.wav"), "assembly ep01")
    first = str(err.value).splitlines()[0]
    assert first == f"assembly ep01: input {fake} cannot be decoded: Invalid argument"
    assert err.value.retryable is False


def test_an_empty_input_is_named(tmp_path, tone):
    empty = tmp_path / "line.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaInputError, match=rf"mux sh1: input {empty} is empty"):
        run_ffmpeg(mixed([tone, empty], tmp_path / "o.wav"), "mux sh1")


def test_a_failure_not_caused_by_an_input_keeps_ffmpegs_own_reason(tmp_path, tone):
    stream = ffmpeg.input(str(tone)).audio.filter("volume", "not-a-number").output(str(tmp_path / "o.wav"))
    with pytest.raises(MediaError) as err:
        run_ffmpeg(stream, "voice l1")
    assert type(err.value) is MediaError and err.value.retryable
    assert str(err.value).splitlines()[0].startswith("voice l1: ffmpeg exited ")
    assert len(str(err.value).splitlines()[0]) > len("voice l1: ffmpeg exited 1")  # the cause is on line 1


def test_lavfi_sources_and_concat_lists_are_looked_through(tmp_path, tone):
    listing = tmp_path / "shots.txt"
    listing.write_text(f"file '{tone}'\nfile '/x/it'\\''s.mp4'\n")
    args = ["ffmpeg", "-f", "lavfi", "-i", "anullsrc", "-f", "concat", "-safe", "0", "-i", str(listing), "-i", "b.wav"]
    assert file_inputs(args) == [str(tone), "/x/it's.mp4", "b.wav"]


def test_a_missing_tool_is_not_retryable():
    with pytest.raises(ToolMissing, match="no-such-tool-kaipai is not installed") as err:
        run_tool(["no-such-tool-kaipai", "-v"], "voice setup")
    assert err.value.retryable is False
