"""Re-rolls: a picture gate that failed on a model-generated shot makes that shot again with another seed.

A black or frozen (or otherwise broken) picture from a diffusion model is often just an unlucky seed; loudness,
sync or text in the wrong place are not, and another seed would make the same episode again. So only
the gates in ``REROLLABLE_GATES`` re-roll, and only when every failed gate of the episode is one of
them (otherwise the episode fails anyway, at once, with its gates named as before).

One round of re-rolls:

1. read each episode's gate results (the gates node's meta) and skip the ones that passed;
2. find the shots under the spans a re-rollable gate failed on (the muxes' durations, in the
   assembly's order, are the episode's timeline);
3. keep the shots whose keyframe or motion comes from a model (``Stage.seeded``: a model family's);
4. give each a new seed, derived from its current one and the attempt number (``new_seed``);
5. plan again with those seeds: the shots' keyframe and motion get new keys (content addressing keeps
   the old artifacts), and so do their mux, the assembly and the gates; everything else is cached.

``run_with_rerolls`` repeats this up to ``profile.gate_rerolls`` times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.config import Profile
from orchestrator.dag import Dag
from orchestrator.execution.observer import RunObserver
from orchestrator.execution.report import RunReport
from stages.registry import stage_class
from stages.shapes import stable_seed

REROLLABLE_GATES = frozenset({"black frames", "frozen picture"})  # failures a picture's seed can cause
PICTURE_STAGES = ("keyframe", "motion")  # the stages a re-roll re-seeds, in the order their seed is read


@dataclass(frozen=True)
class Reroll:
    """One shot made again: which episode's gate failed on it, its seed before and after, which attempt."""

    episode: str
    gate: str
    shot: str
    old_seed: int | None  # None: the artifact did not record its seed (made before seeds were recorded)
    new_seed: int
    attempt: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RerolledRun:
    """The last plan and its report, the re-rolls made on the way, and the reports of earlier attempts."""

    dag: Dag
    report: RunReport
    rerolls: list[Reroll] = field(default_factory=list)
    earlier: list[RunReport] = field(default_factory=list)


def new_seed(old: int | None, attempt: int, shot: str) -> int:
    """Deterministic: the same shot, seed and attempt give the same re-roll on every machine."""
    return stable_seed("reroll", shot if old is None else old, attempt)


def run_with_rerolls(
    run: Callable[[dict[str, int]], tuple[Dag, RunReport]], profile: Profile, observer: RunObserver
) -> RerolledRun:
    """``run(seeds)`` plans and executes the job with those shot seeds; re-run it while a gate failure
    a re-roll can fix remains and attempts are left."""
    seeds: dict[str, int] = {}
    dag, report = run(seeds)
    outcome = RerolledRun(dag, report)
    for attempt in range(1, profile.gate_rerolls + 1):
        wanted = plan_rerolls(dag, report, profile, attempt, seeds)
        if not wanted:
            break
        for reroll in wanted:
            observer.event(
                f"{reroll.episode}: {reroll.gate} failed in shot {reroll.shot}; re-rolling it with seed "
                f"{reroll.new_seed} (attempt {attempt} of {profile.gate_rerolls})",
                "warning",
            )
            seeds[reroll.shot] = reroll.new_seed
        outcome.rerolls += wanted
        outcome.earlier.append(report)
        dag, report = run(dict(seeds))
        outcome.dag, outcome.report = dag, report
    return outcome


def plan_rerolls(dag: Dag, report: RunReport, profile: Profile, attempt: int, seeds: dict[str, int]) -> list[Reroll]:
    """The shots to make again after this run's gates (steps 1-4 above); empty when none can help."""
    wanted: list[Reroll] = []
    for node in dag.nodes.values():
        if node.stage != "gates" or node.id not in report.artifacts:
            continue
        meta = report.artifacts[node.id].meta
        failed = [g for g in meta.get("gates", []) if not g["passed"]]
        if not failed or any(g["gate"] not in REROLLABLE_GATES for g in failed):
            continue  # passed, or fails for a reason no seed changes
        timeline = shot_timeline(dag, report, node.inputs["episode"][0])
        for gate in failed:
            for shot in shots_under(timeline, gate.get("at") or []):
                if shot in {w.shot for w in wanted} or not model_generated(dag, profile, shot):
                    continue
                old = seeds.get(shot, recorded_seed(report, shot))
                wanted.append(Reroll(node.unit, gate["gate"], shot, old, new_seed(old, attempt, shot), attempt))
    return wanted


def shot_timeline(dag: Dag, report: RunReport, assembly_id: str) -> list[tuple[str, float, float]]:
    """(shot id, start, end) in episode time: the muxes' durations in the assembly's order, as the
    assembly lays them end to end (``stages/assembly/episode.episode_text_and_speech``)."""
    timeline, start = [], 0.0
    for mux_id in dag.nodes[assembly_id].inputs["shots"]:
        artifact = report.artifacts.get(mux_id)
        if artifact is None:
            return []
        end = start + float(artifact.meta["duration"])
        motion = dag.nodes[mux_id].inputs["motion"][0]  # its unit is the shot id (a release's mux has a suffix)
        timeline.append((dag.nodes[motion].unit, start, end))
        start = end
    return timeline


def shots_under(timeline: list[tuple[str, float, float]], spans: list[list[float]]) -> list[str]:
    """The shots a span overlaps (a run across a cut names both)."""
    return [shot for shot, start, end in timeline if any(a < end and b > start for a, b in spans)]


def model_generated(dag: Dag, profile: Profile, shot: str) -> bool:
    """Whether another seed changes the shot's picture: its keyframe's or motion's backend is a model's."""
    for stage in PICTURE_STAGES:
        node = dag.nodes.get(f"{stage}:{shot}")
        if node is not None and stage_class(stage, node.backend).seeded():
            return True
    return False


def recorded_seed(report: RunReport, shot: str) -> int | None:
    """The seed the shot's picture was made with, as its keyframe (else its motion) recorded it."""
    for stage in PICTURE_STAGES:
        artifact = report.artifacts.get(f"{stage}:{shot}")
        if artifact is not None and artifact.meta.get("seed") is not None:
            return int(artifact.meta["seed"])
    return None
