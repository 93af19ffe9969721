"""Fast fake backends for every stage, registered by tests as backend ``fake``.

They write small real files and honest metadata (a voice's duration grows with its text), and take
options (:class:`FakeOptions`) that make them slow (``sleep``), broken for some units (``fail``: unit
ids; ``disk_full``: an out-of-space error) or flaky (``flaky_dir``: fail the first attempt of each
unit, remembered by a marker file).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from stages.base import Artifact, Stage, StageOptions
from stages.registry import BACKENDS


def _unit(params: dict[str, Any]) -> str:
    for field in ("shot", "line", "episode", "character"):
        if params.get(field):
            return params[field].get("id") or params[field].get("name")
    return "storyboard"


def _input_keys(inputs: dict[str, Any]) -> dict[str, Any]:
    def key(a: Artifact) -> str:
        assert (a.path / "meta.json").is_file(), f"input {a.path} is not a finished artifact"
        return a.key

    return {name: [key(a) for a in v] if isinstance(v, list) else key(v) for name, v in inputs.items()}


class FakeOptions(StageOptions):
    sleep: float = 0.0
    fail: list[str] = Field(default_factory=list)  # units that fail (a retryable error)
    invalid: list[str] = Field(default_factory=list)  # units whose input is bad (never retried)
    disk_full: list[str] = Field(default_factory=list)  # units whose write finds the disk full (not retried)
    flaky_dir: str | None = None
    rate: float = 1.0  # changes nothing but the key: a setting that enters it
    black_seeds: list[int] = Field(default_factory=list)  # keyframe: seeds whose picture comes out black
    frozen_seeds: list[int] = Field(default_factory=list)  # keyframe: seeds whose moving picture stands still
    loud: list[str] = Field(default_factory=list)  # gates: episodes whose loudness gate fails (no re-roll fixes)
    # Read by FakeWorker only (the pool actor): a model that is not there, a file to log batches to.
    missing_model: str | None = None
    worker_log: str | None = None


class FakeStage(Stage):
    backend = "fake"
    Options = FakeOptions
    options: FakeOptions
    files: tuple[str, ...] = ("out.txt",)

    def run(self, params, inputs, out: Path) -> dict[str, Any]:
        unit = _unit(params)
        started = time.time()
        if self.options.sleep:
            time.sleep(self.options.sleep)
        if unit in self.options.fail:
            raise ValueError(f"fake failure in {self.name} {unit}")
        from stages.pipelines import interrupt

        if interrupt.requested():  # as a diffusers loop stops between two steps when its GPU is taken back
            raise interrupt.Preempted(unit)
        if unit in self.options.disk_full:
            import errno

            raise OSError(errno.ENOSPC, "No space left on device", str(out / self.files[0]))
        if unit in self.options.invalid:
            from stages.errors import InputError

            raise InputError(f"fake bad input in {self.name} {unit}")
        flaky = self.options.flaky_dir
        if flaky:
            marker = Path(flaky) / f"{self.name}-{unit}"
            if not marker.exists():
                marker.write_text("failed once")
                raise ConnectionError(f"transient failure in {self.name} {unit}")
        node_id = None
        try:
            import ray

            if ray.is_initialized():
                node_id = ray.get_runtime_context().get_node_id()
        except Exception:
            pass
        record = {"unit": unit, "inputs": _input_keys(inputs), "pid": os.getpid()}
        for name in self.files:
            (out / name).write_text(json.dumps(record, ensure_ascii=False))
        meta: dict[str, Any] = {
            "file": self.files[0],
            "unit": unit,
            "node_id": node_id,
            "ran": [started, time.time()],
        }
        meta.update(self.extra_meta(params, inputs))
        return meta

    def extra_meta(self, params, inputs) -> dict[str, Any]:
        return {}


class FakeCharacter(FakeStage):
    name = "character"
    files = ("sheet.png",)


class FakeKeyframe(FakeStage):
    """Seeded like a model's: ``params["seed"]`` (a re-roll's) or one from the shot; black for ``black_seeds``."""

    name = "keyframe"
    files = ("keyframe.png",)

    @classmethod
    def seeded(cls) -> bool:
        return True

    def extra_meta(self, params, inputs):
        seed = params["seed"] if params.get("seed") is not None else fake_seed(params["shot"]["id"])
        return {"seed": seed, "black": seed in self.options.black_seeds, "frozen": seed in self.options.frozen_seeds}


def fake_seed(shot: str) -> int:
    """The seed a fake keyframe uses for a shot no gate has re-rolled."""
    from stages.shapes import stable_seed

    return stable_seed("shot", 0, shot)


class FakeMotion(FakeStage):
    name = "motion"
    files = ("clip.mp4",)

    def extra_meta(self, params, inputs):
        keyframe = inputs["keyframe"].meta
        return {"black": bool(keyframe.get("black")), "frozen": bool(keyframe.get("frozen"))}


class FakeVoice(FakeStage):
    name = "voice"
    files = ("line.wav",)

    def extra_meta(self, params, inputs):
        return {"duration": round(0.2 + 0.1 * len(params["line"]["text"]), 3)}


class FakeSubtitles(FakeStage):
    name = "subtitles"
    files = ("episode.ass", "episode.srt")


class FakeMux(FakeStage):
    name = "mux"
    files = ("shot.mp4",)

    def extra_meta(self, params, inputs):
        duration = params["shot"]["duration"] + sum(v.meta["duration"] for v in inputs["voices"])
        motion = inputs["motion"].meta
        whole = [[0.0, duration]]
        return {
            "duration": duration,
            "black": whole if motion.get("black") else [],
            "frozen": whole if motion.get("frozen") else [],
        }


class FakeAssembly(FakeStage):
    name = "assembly"
    files = ("episode.mp4", "episode.srt", "cover.jpg")

    def extra_meta(self, params, inputs):
        from stages.assembly.episode import episode_text_and_speech

        measured = episode_text_and_speech(inputs["shots"])
        return {
            "duration": round(sum(s.meta["duration"] for s in inputs["shots"]), 3),
            "shots": len(inputs["shots"]),
            "black": measured["black"],
            "frozen": measured["frozen"],
        }


class FakeGates(FakeStage):
    """The real black-frames and frozen-picture gates on the fake muxes' runs, and a loudness gate failed on demand."""

    name = "gates"
    files = ("gates.json",)

    def run(self, params, inputs, out):
        from stages.gates.checks import GateResult, black_frames, frozen_picture
        from stages.gates.stage import write_results

        episode = params["episode"]["id"]
        results = [
            black_frames(inputs["episode"].meta["black"], int(params["job"]["fps"])),
            frozen_picture(inputs["episode"].meta["frozen"]),
            GateResult("loudness", episode not in self.options.loud, "-20.0 LUFS", "-14 ± 1 LU"),
        ]
        return write_results(results, episode, out)


class FakeStoryboard(FakeStage):
    """Storyboard from a tiny script dump: one shot per beat; enough to drive the executor."""

    name = "storyboard"
    files = ("storyboard.json",)

    def run(self, params, inputs, out):
        from tests.orchestrator.storyboards import storyboard_from_script

        board = storyboard_from_script(params["script"], params["characters"])
        (out / "storyboard.json").write_text(board.to_json())
        return {"file": "storyboard.json", "shots": sum(len(e.shots) for e in board.episodes)}


FAKES = {
    "storyboard": FakeStoryboard,
    "character": FakeCharacter,
    "keyframe": FakeKeyframe,
    "motion": FakeMotion,
    "voice": FakeVoice,
    "subtitles": FakeSubtitles,
    "mux": FakeMux,
    "assembly": FakeAssembly,
}


GATES_FAKE = {"gates": FakeGates}  # registered too, but in a profile only where a test asks for gates


def register_fakes() -> None:
    for stage, cls in {**FAKES, **GATES_FAKE}.items():
        BACKENDS[(stage, "fake")] = f"{__name__}:{cls.__name__}"


def unregister_fakes() -> None:
    for stage in {**FAKES, **GATES_FAKE}:
        BACKENDS.pop((stage, "fake"), None)


class FakeWorker:
    """A StageWorker-like pool actor for the fake backends (the real one builds from the registry).

    Options: ``missing_model`` (a model id: the constructor fails as a real worker does offline),
    ``worker_log`` (a file: one JSON line per batch and per shutdown, to see what the executor sent).
    """

    def __init__(self, stage: str, backend: str, options: FakeOptions | dict[str, Any] | None = None) -> None:
        self.stage = FAKES[stage](options)
        if self.stage.options.missing_model:
            from stages.pipelines.loading import ModelMissing

            raise ModelMissing(self.stage.options.missing_model)
        self.stage.setup()
        self.log = self.stage.options.worker_log
        self.setups = 1
        self.served = 0

    def _note(self, **event: Any) -> None:
        if self.log:
            with open(self.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"pid": os.getpid(), "time": time.time(), **event}) + "\n")

    def execute(self, key, params, inputs, store_root) -> Artifact:
        from stages.store import produce

        self.served += 1
        return produce(self.stage, key, params, inputs, store_root)

    def execute_batch(self, tasks, store_root) -> list[Artifact]:
        """Like ``StageWorker.execute_batch`` for a stage without a batched model call: one unit failing fails all."""
        self._note(batch=[_unit(params) for _, params, _ in tasks])
        return [self.execute(key, params, inputs, store_root) for key, params, inputs in tasks]

    def stats(self) -> dict[str, Any]:
        return {"loads": self.setups, "served": self.served, "model": "fake"}

    def shutdown(self) -> None:
        self._note(shutdown=self.stage.name)
        self.stage.teardown()


def worker_log(path: Path) -> list[dict[str, Any]]:
    """The events ``FakeWorker`` wrote to its ``worker_log``."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def fake_worker_factory(stage: str, backend: str) -> type:
    return FakeWorker
