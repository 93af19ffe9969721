"""The simulator's workload: many studios' jobs as one flat task list, generated from a scenario's seed.

Each job is kaipai's pipeline (``pipeline.py``): per episode a storyboard (LLM); per job its character
sheets (image model); per shot a keyframe (image model) -> motion clip (the studio's video model), a
voice (TTS) -> shot mux (CPU); per episode an assembly of its shots (CPU). Parallel lists indexed by
task id, no object per task: 100k shots are ~400k tasks.
"""

from __future__ import annotations

import gc
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from orchestrator.placement.costmodel import MODELS, CostModel
from orchestrator.placement.paths import upward_ranks
from orchestrator.placement.pipeline import (
    ASSEMBLY,
    CHARACTER,
    CPU_ASSEMBLY_PER_SHOT,
    CPU_MUX_PER_SECOND,
    LINES_PER_SHOT,
    SHOT_KINDS,
    STORYBOARD,
)
from orchestrator.placement.scenario import Scenario, StudioSpec


@dataclass
class Workload:
    """Parallel lists indexed by task id; children always have higher ids than their parents."""

    kind: list[int] = field(default_factory=list)
    model: list[int] = field(default_factory=list)  # index into models, -1 for CPU tasks
    work: list[float] = field(default_factory=list)  # estimated seconds at speed 1 (H100) or on one core
    out_bytes: list[float] = field(default_factory=list)
    job: list[int] = field(default_factory=list)
    episode: list[int] = field(default_factory=list)
    rank: list[float] = field(default_factory=list)  # remaining path length at speed 1
    preds: list[tuple[int, ...]] = field(default_factory=list)
    succs: list[list[int]] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    job_arrival: list[float] = field(default_factory=list)
    job_priority: list[int] = field(default_factory=list)
    job_roots: list[list[int]] = field(default_factory=list)
    job_tasks: list[int] = field(default_factory=list)  # tasks per job, to tell when a job is done
    allowed: list[int] = field(default_factory=list)  # zone bitmask per task (empty: every zone)
    shots: int = 0

    def compute_ranks(self) -> None:
        """Upward rank at speed 1 (ids are topological, so reversed ids are a reverse order)."""
        self.rank = upward_ranks(range(len(self.kind) - 1, -1, -1), self.succs, self.work)


def _model_seconds(model: str, per_unit_default: float) -> float:
    facts = MODELS.get(model)
    return facts.seconds if facts else per_unit_default


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Millions of small lists and tuples and no reference cycles: the cyclic collector would only
    rescan them again and again (a third of generation time at 100k shots)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def generate(scenario: Scenario) -> Workload:
    """The scenario's jobs as one task list, from its seed."""
    with no_cycle_collection():
        return _Generator(scenario).run()


class _Generator:
    """Draws jobs, episodes and shots from the scenario's seed and appends their tasks."""

    def __init__(self, scenario: Scenario) -> None:
        self.spec = scenario.spec.workload
        self.rng = random.Random(scenario.spec.seed)
        self.w = Workload()
        self.model_index: dict[str, int] = {}
        spec = self.spec
        self.sb_model, self.img_model = self.mid(spec.storyboard_model), self.mid(spec.image_model)
        self.tts_model = self.mid(spec.voice_model)
        self.sb_s = _model_seconds(spec.storyboard_model, 25.0)
        self.img_s = _model_seconds(spec.image_model, 2.0)
        self.tts_s = _model_seconds(spec.voice_model, 0.5) * LINES_PER_SHOT
        sizes = CostModel.artifact_bytes
        self.key_bytes, self.voice_bytes = sizes("keyframe", {}), sizes("voice", {}) * LINES_PER_SHOT
        self.clip_bytes_per_s = sizes("motion", {"shot": {"duration": 1.0}})
        self.episode_no = 0

    def mid(self, name: str) -> int:
        if name not in self.model_index:
            self.model_index[name] = len(self.w.models)
            self.w.models.append(name)
        return self.model_index[name]

    def add(self, k: int, m: int, seconds: float, nbytes: float, j: int, e: int, parents: tuple[int, ...]) -> int:
        w = self.w
        t = len(w.kind)
        w.kind.append(k)
        w.model.append(m)
        w.work.append(seconds)
        w.out_bytes.append(nbytes)
        w.job.append(j)
        w.episode.append(e)
        w.preds.append(parents)
        w.succs.append([])
        for p in parents:
            w.succs[p].append(t)
        return t

    def run(self) -> Workload:
        """1. arrival times (Poisson or a batch, plus the scenario's burst); 2. each job's tasks; 3. ranks."""
        spec, rng, w = self.spec, self.rng, self.w
        limit = spec.total_shots
        t_arrival = 0.0
        burst_left = spec.burst.jobs if spec.burst else 0
        for j in range(spec.jobs + burst_left if limit is None else 10**9):
            if limit is not None and w.shots >= limit:
                break
            studio = rng.choices(spec.studios, [s.share for s in spec.studios])[0]
            if j >= spec.jobs and spec.burst:  # the burst: extra jobs arriving at one moment
                arrival = spec.burst.at
            else:
                if spec.arrival == "poisson" and j:
                    t_arrival += rng.expovariate(spec.rate_per_hour / 3600.0)
                arrival = t_arrival
            self.add_job(j, arrival, studio)
        w.compute_ranks()
        return w

    def add_job(self, j: int, arrival: float, studio: StudioSpec) -> None:
        spec, rng, w = self.spec, self.rng, self.w
        motion_model = self.mid(studio.motion_model)
        motion_per_s = _model_seconds(studio.motion_model, 5.0)
        w.job_arrival.append(arrival)
        w.job_priority.append(studio.priority)
        first = len(w.kind)
        character = self.add(
            CHARACTER, self.img_model, 3 * self.img_s, CostModel.artifact_bytes("character", {}), j, -1, ()
        )
        roots = [character]
        limit = spec.total_shots
        for _ in range(rng.randint(*spec.episodes_per_job)):
            if limit is not None and w.shots >= limit:
                break
            n_shots = rng.randint(*spec.shots_per_episode)
            if limit is not None:
                n_shots = min(n_shots, limit - w.shots)
            roots.append(self.add_episode(j, character, motion_model, motion_per_s, n_shots))
        w.job_roots.append(roots)
        w.job_tasks.append(len(w.kind) - first)

    def add_episode(self, j: int, character: int, motion_model: int, motion_per_s: float, n_shots: int) -> int:
        """An episode's storyboard, its shots' four tasks each (in bulk), and its assembly; returns the board."""
        w, rng = self.w, self.rng
        e = self.episode_no
        self.episode_no += 1
        board = self.add(STORYBOARD, self.sb_model, self.sb_s, CostModel.artifact_bytes("storyboard", {}), j, e, ())
        lo_s, hi_s = self.spec.shot_seconds
        # Per shot only what differs between shots; the kinds, models, job and episode of all the
        # episode's shots go in with one extend each.
        first = len(w.kind)
        w.kind.extend(SHOT_KINDS * n_shots)
        w.model.extend((self.img_model, motion_model, self.tts_model, -1) * n_shots)
        w.job.extend((j,) * (4 * n_shots))
        w.episode.extend((e,) * (4 * n_shots))
        muxes = []
        board_succs, character_succs = w.succs[board], w.succs[character]
        work, out_bytes, preds, succs = w.work, w.out_bytes, w.preds, w.succs
        img_s, tts_s, key_bytes, voice_bytes = self.img_s, self.tts_s, self.key_bytes, self.voice_bytes
        board_character, board_only = (board, character), (board,)
        for key in range(first, first + 4 * n_shots, 4):  # key, clip <- key, voice, mux <- clip + voice
            seconds = rng.uniform(lo_s, hi_s)
            clip, voice, mux = key + 1, key + 2, key + 3
            clip_bytes = self.clip_bytes_per_s * seconds
            work.extend((img_s, motion_per_s * seconds, tts_s, CPU_MUX_PER_SECOND * seconds))
            out_bytes.extend((key_bytes, clip_bytes, voice_bytes, clip_bytes))
            preds.extend((board_character, (key,), board_only, (clip, voice)))
            succs.extend(([clip], [mux], [mux], []))
            board_succs.append(key)
            character_succs.append(key)
            board_succs.append(voice)
            muxes.append(mux)
        w.shots += n_shots
        sizes = CostModel.artifact_bytes
        self.add(ASSEMBLY, -1, CPU_ASSEMBLY_PER_SHOT * max(n_shots, 1), sizes("assembly", {}), j, e, tuple(muxes))
        return board
