"""The task DAG: one node per unit of work, each with its params, its inputs and its artifact key.

Planning is a pure function of (job, storyboard, profile). Keys are computed from the node's own
params and its upstream nodes' *keys*, like a build system, so a node's key is known before
anything runs: the executor can tell cached work from new work up front, and an edit to one line of
dialogue changes exactly the keys that depend on it (its voice, its shot's mux, the episode's
subtitles and assembly) and no others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.config import Profile
from orchestrator.frontend import job_context
from stages.assembly.cover import lead_shot
from stages.base import Resources
from stages.errors import InputError
from stages.models import Character, Episode, Shot, Storyboard
from stages.params import JobContext, MusicParams
from stages.registry import stage_class
from stages.store import artifact_key

PIPELINE_STAGES = ("character", "keyframe", "motion", "voice", "subtitles", "mux", "assembly")
MAX_NODES = 200_000  # a storyboard far past any real series is refused rather than planned


@dataclass
class Node:
    """One unit of work. ``inputs``: input name -> upstream node ids, in the order the stage gets them."""

    id: str
    stage: str
    unit: str
    episode: str | None
    params: dict[str, Any]
    inputs: dict[str, list[str]]
    list_inputs: frozenset[str] = frozenset()  # inputs handed over as a list (the others as one artifact)
    backend: str = ""
    key: str = ""

    @property
    def deps(self) -> list[str]:
        return [dep for ids in self.inputs.values() for dep in ids]

    @property
    def name(self) -> str:
        """How the node reads in the Ray dashboard: ``keyframe ep01-s02-sh003``."""
        return f"{self.stage} {self.unit}"


@dataclass
class Dag:
    nodes: dict[str, Node]
    _dependents: dict[str, list[str]] | None = field(default=None, repr=False)

    def dependents(self, node_id: str) -> list[str]:
        if self._dependents is None:
            table: dict[str, list[str]] = {nid: [] for nid in self.nodes}
            for node in self.nodes.values():
                for dep in dict.fromkeys(node.deps):
                    table[dep].append(node.id)
            self._dependents = table
        return self._dependents[node_id]

    def downstream(self, node_id: str) -> set[str]:
        """Every node that needs ``node_id``, directly or not."""
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            for child in self.dependents(stack.pop()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def topo_order(self) -> list[str]:
        """Kahn's algorithm, ties kept in insertion order (so plans read in script order)."""
        indegree = {nid: len(set(node.deps)) for nid, node in self.nodes.items()}
        ready = [nid for nid, d in indegree.items() if d == 0]
        order: list[str] = []
        while ready:
            nid = ready.pop(0) if len(ready) < 64 else ready.pop()
            order.append(nid)
            for child in self.dependents(nid):
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
        if len(order) != len(self.nodes):
            raise ValueError("the task graph has a cycle")
        return order

    def by_stage(self) -> dict[str, list[Node]]:
        groups: dict[str, list[Node]] = {}
        for node in self.nodes.values():
            groups.setdefault(node.stage, []).append(node)
        return groups

    def critical_path(self, cost: Callable[[Node], float] | Mapping[str, float]) -> tuple[list[str], float]:
        """The longest chain of node costs (seconds) through the DAG: no schedule beats it."""
        cost_of = cost.__getitem__ if isinstance(cost, Mapping) else None
        finish: dict[str, float] = {}
        best_parent: dict[str, str | None] = {}
        for nid in self.topo_order():
            node = self.nodes[nid]
            parent = max(node.deps, key=lambda d: finish[d], default=None)
            start = finish[parent] if parent else 0.0
            own = cost_of(nid) if cost_of else cost(node)  # type: ignore[misc]
            finish[nid] = start + float(own)
            best_parent[nid] = parent
        if not finish:
            return [], 0.0
        end = max(finish, key=finish.__getitem__)
        path = [end]
        while best_parent[path[-1]] is not None:
            path.append(best_parent[path[-1]])  # type: ignore[arg-type]
        return path[::-1], finish[end]


# ---------------------------------------------------------------- planning


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def music_params(job: Any) -> dict[str, Any] | None:
    music = getattr(job.spec, "music", None)
    if music is None:
        return None
    path = job.resolve(music.path, "music.path")
    return MusicParams(path=str(path), sha256=file_sha256(path), volume=music.volume, duck=music.duck).model_dump()


DEFAULT_CLIP_SECONDS = 4.0


def clip_seconds(profile: Profile) -> float:
    """How long a motion clip is rendered. The mux retimes it to the shot's final length."""
    return float(profile.stage("motion").options.get("clip_seconds", DEFAULT_CLIP_SECONDS))


def _shot_picture(shot: Shot, clip: float) -> dict[str, Any]:
    """What the picture of a shot depends on: what is seen, never what is said.

    The spoken lines are left out, and so is the planned duration (it grows with the lines): the
    clip is rendered at a fixed length and the mux fits it to the length the voices decide. So an
    edited line of dialogue never re-renders a keyframe or a motion clip.
    """
    return {**shot.model_dump(mode="json", exclude={"lines"}), "duration": clip}


def _shot_timing(shot: Shot) -> dict[str, Any]:
    return {
        "id": shot.id,
        "duration": shot.duration,
        "lines": [line.model_dump(mode="json") for line in shot.lines],
    }


def _episode_header(episode: Episode) -> dict[str, Any]:
    return {"id": episode.id, "number": episode.number, "title": episode.title}


class _Builder:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.nodes: dict[str, Node] = {}
        self._identity: dict[str, tuple[str, str, dict[str, Any]]] = {}

    def identity(self, stage: str) -> tuple[str, str, dict[str, Any]]:
        """(backend, version, key settings) of a stage under this profile."""
        if stage not in self._identity:
            settings = self.profile.stage(stage)
            try:
                cls = stage_class(stage, settings.backend)
            except KeyError as exc:
                raise InputError(str(exc.args[0]), field=f"stages.{stage}.backend") from None
            except ImportError as exc:
                raise InputError(
                    f"backend {settings.backend!r} of stage {stage!r} cannot be loaded: {exc}",
                    field=f"stages.{stage}.backend",
                ) from None
            instance = cls(settings.options)
            self._identity[stage] = (settings.backend, str(cls.version), dict(instance.key_settings()))
        return self._identity[stage]

    def add(
        self,
        stage: str,
        unit: str,
        episode: str | None,
        params: dict[str, Any],
        inputs: dict[str, list[str]],
        list_inputs: tuple[str, ...] = (),
        seed: int | None = None,
    ) -> str:
        node_id = f"{stage}:{unit}"
        if node_id in self.nodes:
            raise InputError(f"two units of stage {stage} are both named {unit!r}", field="storyboard")
        if len(self.nodes) >= MAX_NODES:
            raise InputError(f"the storyboard makes more than {MAX_NODES} tasks; split the job", field="storyboard")
        backend, version, settings = self.identity(stage)
        input_keys = {name: (ids if name in list_inputs else ids[0]) for name, ids in inputs.items()}
        input_keys = {
            name: ([self.nodes[i].key for i in v] if isinstance(v, list) else self.nodes[v].key)
            for name, v in input_keys.items()
        }
        key = artifact_key(stage, version, backend, settings, params, input_keys, seed)
        self.nodes[node_id] = Node(node_id, stage, unit, episode, params, inputs, frozenset(list_inputs), backend, key)
        return node_id


def plan_dag(job: Any, storyboard: Storyboard, profile: Profile, *, context: JobContext | None = None) -> Dag:
    """Every unit of work of the job as a node, following ``stages/params.py``'s table.

    ``context`` is the job's :class:`JobContext` (``orchestrator.frontend.job_context``); when left
    out it is derived from the spec and the storyboard's language.
    """
    ctx = (context or job_context(job, storyboard)).model_dump(mode="json")
    build = _Builder(profile)
    clip = clip_seconds(profile)
    music = music_params(job)

    # Characters that appear in some shot or speak some line; a narrator without a sheet gets none.
    appearing: dict[str, None] = {}
    for episode in storyboard.episodes:
        for shot in episode.shots:
            for name in shot.characters:
                appearing.setdefault(name, None)
            for line in shot.lines:
                if line.character:
                    appearing.setdefault(line.character, None)
    sheets: dict[str, str] = {}
    for name in appearing:
        character = storyboard.character(name)
        if character is None:
            continue
        sheets[name] = build.add("character", name, None, {"job": ctx, "character": character.model_dump()}, {})

    def character_dump(name: str | None) -> dict[str, Any] | None:
        found: Character | None = storyboard.character(name) if name else None
        return found.model_dump() if found else None

    for episode in storyboard.episodes:
        header = _episode_header(episode)
        scenes = {scene.id: scene for scene in episode.scenes}
        mux_ids: list[str] = []
        all_voices: list[str] = []
        keyframes: list[str] = []
        for shot in episode.shots:
            scene = scenes.get(shot.scene)
            if scene is None:
                raise InputError(f"shot {shot.id} names unknown scene {shot.scene!r}", field="storyboard")
            cast = [name for name in shot.characters if name in sheets]
            keyframe = build.add(
                "keyframe",
                shot.id,
                episode.id,
                {
                    "job": ctx,
                    "episode": header,
                    "scene": scene.model_dump(mode="json"),
                    "shot": _shot_picture(shot, clip),
                    "characters": [character_dump(n) for n in cast],
                },
                {"characters": [sheets[n] for n in cast]},
                list_inputs=("characters",),
            )
            keyframes.append(keyframe)
            motion = build.add(
                "motion",
                shot.id,
                episode.id,
                {"job": ctx, "shot": _shot_picture(shot, clip)},
                {"keyframe": [keyframe]},
            )
            voices = [
                build.add(
                    "voice",
                    line.id,
                    episode.id,
                    {
                        "job": ctx,
                        "line": line.model_dump(mode="json"),
                        "character": character_dump(line.character),
                    },
                    {},
                )
                for line in shot.lines
            ]
            all_voices += voices
            mux_ids.append(
                build.add(
                    "mux",
                    shot.id,
                    episode.id,
                    # a whole Shot (the stage validates it) and its scene (heading, place and time for the sound)
                    {"job": ctx, "shot": shot.model_dump(mode="json"), "scene": scene.model_dump(mode="json")},
                    {"motion": [motion], "voices": voices},
                    list_inputs=("voices",),
                )
            )
        if not mux_ids:
            continue  # an episode with no shots makes no video
        shot_dumps = [s.model_dump(mode="json") for s in episode.shots]  # the cover: the lead's best shot
        subtitles = build.add(
            "subtitles",
            episode.id,
            episode.id,
            {"job": ctx, "episode": header, "shots": [_shot_timing(s) for s in episode.shots]},
            {"voices": all_voices},
            list_inputs=("voices",),
        )
        assembly = build.add(
            "assembly",
            episode.id,
            episode.id,
            {"job": ctx, "episode": header, "music": music},
            {"shots": mux_ids, "subtitles": [subtitles], "cover": [keyframes[lead_shot(shot_dumps)]]},
            list_inputs=("shots",),
        )
        if "gates" in profile.stages:  # quality gates on the finished file (stages/gates)
            build.add(
                "gates",
                episode.id,
                episode.id,
                {"job": ctx, "episode": header},
                {"episode": [assembly], "subtitles": [subtitles]},
            )
    return Dag(build.nodes)


def plan_storyboard(params: dict[str, Any], profile: Profile, unit: str = "script") -> Dag:
    """The storyboard as a one-node DAG, so it goes through the store (LLM storyboards are cached too)."""
    build = _Builder(profile)
    build.add("storyboard", unit, None, params, {})
    return Dag(build.nodes)


# ---------------------------------------------------------------- estimates


_FALLBACK_SECONDS = {"storyboard": 0.5, "character": 0.4, "keyframe": 0.4, "voice": 0.3, "subtitles": 0.1}


def _fallback_estimate(stage: str, backend: str, params: dict[str, Any], gpu_kind: str | None = None) -> float:
    """A rough CPU-animatic cost per node, used only until the placement cost model is present."""
    if stage in _FALLBACK_SECONDS:
        return _FALLBACK_SECONDS[stage]
    shot = params.get("shot") or {}
    duration = float(shot.get("duration", 3.0))
    if stage == "motion":
        return 0.25 * duration
    if stage == "mux":
        return 0.15 * duration
    return 1.0  # assembly


def estimator() -> Callable[[str, str, dict[str, Any], str | None], float]:
    """The cost model's ``estimate_seconds`` when the placement package provides it, else the fallback."""
    try:
        from orchestrator.placement.costmodel import estimate_seconds
    except ImportError:
        return _fallback_estimate
    return estimate_seconds


def node_estimates(dag: Dag) -> dict[str, float]:
    estimate = estimator()
    return {nid: float(estimate(node.stage, node.backend, node.params, None)) for nid, node in dag.nodes.items()}


def stage_resources(profile: Profile, stage: str) -> Resources:
    """A stage's per-task resources: the class defaults, overridden field by field by the profile."""
    settings = profile.stage(stage)
    base = stage_class(stage, settings.backend).resources
    over = settings.resources
    return Resources(
        num_cpus=base.num_cpus if over.num_cpus is None else over.num_cpus,
        num_gpus=base.num_gpus if over.num_gpus is None else over.num_gpus,
        memory_mb=base.memory_mb if over.memory_mb is None else over.memory_mb,
    )
