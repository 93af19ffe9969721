"""The task DAG: one node per unit of work, each with its params, its inputs and its artifact key.

Planning is a pure function of (job, storyboard, profile). Keys are computed from the node's own
params and its upstream nodes' *keys*, like a build system, so a node's key is known before
anything runs: the executor can tell cached work from new work up front, and an edit to one line of
dialogue changes exactly the keys that depend on it (its voice, its shot's mux, the episode's
subtitles and assembly) and no others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.config import Profile
from orchestrator.frontend import job_context
from orchestrator.releases import (
    EpisodeNodes,
    Releases,
    ShotNodes,
    context_lines,
    dubbing,
    given_translations,
    glossary_of,
    mux_ambience,
    release_languages,
    spoken_texts,
)
from stages.assembly.cover import lead_shot
from stages.base import Resources
from stages.errors import InputError
from stages.hashing import file_digest
from stages.models import Episode, Line, Scene, Shot, Storyboard
from stages.motion.options import MotionOptions
from stages.params import (
    AssemblyParams,
    CharacterLook,
    CharacterParams,
    EpisodeHeader,
    GatesParams,
    JobContext,
    KeyframeParams,
    MotionParams,
    MusicParams,
    MuxParams,
    ShotPicture,
    ShotTiming,
    SoundParams,
    SoundShot,
    Speaker,
    StageParams,
    SubtitlesParams,
    VoiceParams,
)
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
        """The longest chain of node costs (seconds) through the DAG: no schedule beats it. The same
        helper as the scheduler's and the simulator's ranks (``placement.paths.longest_path``)."""
        from orchestrator.placement.paths import longest_path

        ids = self.topo_order()
        index = {nid: i for i, nid in enumerate(ids)}
        succs: list[list[int]] = [[] for _ in ids]
        for nid in ids:
            for dep in dict.fromkeys(self.nodes[nid].deps):  # a dependency named twice is one edge
                succs[index[dep]].append(index[nid])
        cost_of = cost.__getitem__ if isinstance(cost, Mapping) else lambda nid: cost(self.nodes[nid])
        costs = [float(cost_of(nid)) for nid in ids]
        path, length = longest_path(range(len(ids) - 1, -1, -1), succs, costs)
        return [ids[i] for i in path], length


# ---------------------------------------------------------------- planning


def music_params(job: Any) -> MusicParams | None:
    music = getattr(job.spec, "music", None)
    if music is None:
        return None
    path = job.resolve(music.path, "music.path")
    return MusicParams(path=str(path), sha256=file_digest(path), volume=music.volume, duck=music.duck)


def clip_seconds(profile: Profile) -> float:
    """How long a motion clip is rendered (every motion backend's ``clip_seconds``). The mux retimes
    it to the shot's final length."""
    options = profile.stage("motion").options
    return options.clip_seconds if isinstance(options, MotionOptions) else MotionOptions().clip_seconds


def _episode_header(episode: Episode) -> EpisodeHeader:
    return EpisodeHeader(id=episode.id, number=episode.number, title=episode.title)


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
            self._identity[stage] = (settings.backend, str(cls.version), instance.key_settings())
        return self._identity[stage]

    def add(
        self,
        stage: str,
        unit: str,
        episode: str | None,
        typed: StageParams | dict[str, Any],
        inputs: dict[str, list[str]],
        list_inputs: tuple[str, ...] = (),
        seed: int | None = None,
    ) -> str:
        """A node whose params are the dump of ``typed`` (the stage's model in ``stages/params.py``)."""
        params = typed.dump() if isinstance(typed, StageParams) else typed
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


def plan_dag(
    job: Any,
    storyboard: Storyboard,
    profile: Profile,
    *,
    context: JobContext | None = None,
    review: bool = False,
    seeds: Mapping[str, int] | None = None,
) -> Dag:
    """Every unit of work of the job as a node, each with its stage's params model (``stages/params.py``).

    ``context`` is the job's :class:`JobContext` (``orchestrator.frontend.job_context``); when left
    out it is derived from the spec and the storyboard's language. ``review``: a review cut, whose
    muxes draw the internal shot ids and camera notes; only they (and what joins them) differ from
    the release's nodes, so a review cut reuses every picture and voice. ``seeds``: shot id -> the seed
    of its re-roll (``orchestrator/rerolls.py``), given to its keyframe and motion; only those shots'
    pictures (and what joins them) get new keys.
    """
    plan = _Planner(_Builder(profile), storyboard, context or job_context(job, storyboard), clip_seconds(profile))
    plan.review = review
    plan.seeds = dict(seeds or {})
    given = given_translations(job)
    languages = release_languages(job, plan.job.language, profile, given, spoken_texts(storyboard))
    glossary = glossary_of(storyboard, dict(getattr(job.spec, "glossary", {}))) if languages else {}
    plan.releases = Releases(
        plan.build.add,
        plan.job,
        storyboard,
        languages,
        dubbing(job, profile),
        glossary,
        context_lines(profile),
        bool(getattr(job.spec, "burn_subtitles", True)),
        mux_ambience(profile),
        given,
    )
    # 1. A sheet per character that appears in a shot or speaks a line (a narrator without one gets none).
    plan.add_sheets()
    # 2. Per episode: per shot its keyframe, motion, voices and mux; then the subtitles and the assembly.
    music = music_params(job)
    for episode in storyboard.episodes:
        plan.add_episode(episode, music)
    return Dag(plan.build.nodes)


class _Planner:
    """The nodes of one job, stage by stage: what each sees is its params model and nothing more."""

    def __init__(self, build: _Builder, storyboard: Storyboard, job: JobContext, clip: float) -> None:
        self.build, self.storyboard, self.job, self.clip = build, storyboard, job, clip
        self.sheets: dict[str, str] = {}  # character name -> its sheet's node id
        self.releases: Releases | None = None  # the other languages' nodes (orchestrator/releases.py)
        self.review = False  # a review cut: the muxes draw internal ids (JobContext.review)
        self.seeds: dict[str, int] = {}  # shot id -> its re-roll's seed (a failed gate's)

    def add_sheets(self) -> None:
        appearing: dict[str, None] = {}
        for episode in self.storyboard.episodes:
            for shot in episode.shots:
                appearing.update(dict.fromkeys(shot.characters))
                appearing.update(dict.fromkeys(line.character for line in shot.lines if line.character))
        for name in appearing:
            character = self.storyboard.character(name)
            if character is not None:
                params = CharacterParams(job=self.job, character=CharacterLook.of(character))
                self.sheets[name] = self.build.add("character", name, None, params, {})

    def add_episode(self, episode: Episode, music: MusicParams | None) -> None:
        header = _episode_header(episode)
        scenes = {scene.id: scene for scene in episode.scenes}
        shots = [self.add_shot(episode, header, scenes, shot) for shot in episode.shots]
        if not shots:
            return  # an episode with no shots makes no video
        voices = [voice for _, _, shot_voices in shots for voice in shot_voices]
        # Before the subtitles: on a machine with fewer cores than ready tasks, Ray starts them in
        # the order they are sent, and the sound is on the edit's longest path, the subtitles not.
        sound = self.add_sound(episode, header, scenes, voices, music)
        timing = [ShotTiming(id=s.id, duration=s.duration, lines=s.lines) for s in episode.shots]
        subtitles = self.build.add(
            "subtitles",
            episode.id,
            episode.id,
            SubtitlesParams(job=self.job, episode=header, shots=timing),
            {"voices": voices},
            list_inputs=("voices",),
        )
        cover = shots[lead_shot([s.model_dump(mode="json") for s in episode.shots])][0]  # the lead's best shot
        assembly = self.build.add(
            "assembly",
            episode.id,
            episode.id,
            AssemblyParams(job=self.job, episode=header, music=music),
            {"shots": [mux for _, mux, _ in shots], "subtitles": [subtitles], "cover": [cover], **sound},
            list_inputs=("shots",),
        )
        if "gates" in self.build.profile.stages:  # quality gates on the finished file (stages/gates)
            self.build.add(
                "gates",
                episode.id,
                episode.id,
                GatesParams(job=self.job, episode=header),
                {"episode": [assembly], "subtitles": [subtitles], **sound},
            )
        if self.releases is not None:
            master = [
                ShotNodes(shot, f"motion:{shot.id}", mux, voices, scenes[shot.scene])
                for shot, (_, mux, voices) in zip(episode.shots, shots, strict=True)
            ]
            self.releases.plan_episode(EpisodeNodes(episode, header, master, cover, assembly), music)

    def add_sound(
        self,
        episode: Episode,
        header: EpisodeHeader,
        scenes: dict[str, Scene],
        voices: list[str],
        music: MusicParams | None,
    ) -> dict[str, list[str]]:
        """The episode's sound from its voices alone (``stages.sound``), beside the muxes, when the
        profile has the stage: ``{"sound": [its node]}`` for the assembly and the gates, else ``{}``
        (the assembly then makes the sound from the muxes' own)."""
        if "sound" not in self.build.profile.stages:
            return {}
        shots = [
            SoundShot(id=s.id, duration=s.duration, lines=len(s.lines), scene=scenes[s.scene]) for s in episode.shots
        ]
        params = SoundParams(
            job=self.job, episode=header, music=music, shots=shots, ambience=mux_ambience(self.build.profile)
        )
        return {"sound": [self.build.add("sound", episode.id, episode.id, params, {"voices": voices}, ("voices",))]}

    def add_shot(
        self, episode: Episode, header: EpisodeHeader, scenes: dict[str, Scene], shot: Shot
    ) -> tuple[str, str, list[str]]:
        """(keyframe, mux, voices) node ids of one shot."""
        scene = scenes.get(shot.scene)
        if scene is None:
            raise InputError(f"shot {shot.id} names unknown scene {shot.scene!r}", field="storyboard")
        cast = [name for name in shot.characters if name in self.sheets]
        looks = [CharacterLook.of(self.storyboard.character(name)) for name in cast]  # type: ignore[arg-type]
        picture = ShotPicture.of(shot, self.clip)
        keyframe = self.build.add(
            "keyframe",
            shot.id,
            episode.id,
            KeyframeParams(
                job=self.job, episode=header, scene=scene, shot=picture, characters=looks, seed=self.seeds.get(shot.id)
            ),
            {"characters": [self.sheets[n] for n in cast]},
            list_inputs=("characters",),
        )
        motion = self.build.add(
            "motion",
            shot.id,
            episode.id,
            MotionParams(job=self.job, shot=picture, seed=self.seeds.get(shot.id)),
            {"keyframe": [keyframe]},
        )
        voices = [self.add_voice(episode, line) for line in shot.lines]
        mux = self.build.add(
            "mux",
            shot.id,
            episode.id,
            MuxParams(job=self.mux_job, shot=shot, scene=scene),  # the scene: heading, place and time
            {"motion": [motion], "voices": voices},
            list_inputs=("voices",),
        )
        return keyframe, mux, voices

    @property
    def mux_job(self) -> JobContext:
        """The job as the muxes see it: the one place a review cut differs."""
        return self.job.model_copy(update={"review": True}) if self.review else self.job

    def add_voice(self, episode: Episode, line: Line) -> str:
        character = self.storyboard.character(line.character) if line.character else None
        speaker = Speaker.of(character) if character else None
        return self.build.add("voice", line.id, episode.id, VoiceParams(job=self.job, line=line, character=speaker), {})


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
    """A stage's per-task resources: its backend's declared ones, overridden field by field by the profile."""
    return profile.stage_resources(stage)
