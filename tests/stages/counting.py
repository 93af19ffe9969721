"""A voice stage that counts its runs, for the store's tests (was a run a cache hit, or did it run?)."""

from __future__ import annotations

from stages.base import Stage


class CountingStage(Stage):
    name = "voice"
    backend = "test"
    repeat = 1  # times the text is written into the WAV (a bigger file for the integrity tests)

    def __init__(self, options=None):
        super().__init__(options)
        self.calls = 0

    def run(self, params, inputs, out):
        self.calls += 1
        (out / "line.wav").write_bytes(b"RIFF" + params["text"].encode() * self.repeat)
        self.write_extra(out)
        return {"file": "line.wav", "duration": 1.5}

    def write_extra(self, out) -> None:
        """Subclasses add files beside the declared one."""
