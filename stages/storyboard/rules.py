"""The rule-based storyboard: deterministic, offline, and every choice explained in ``Shot.reason``.

Beats become shots in two steps. Grouping: an action beat opens a shot; spoken lines join the
open shot while it stays one exchange (at most two speakers, ``max_lines`` lines, no emotional
line sharing a shot). Grouping and framing read the script's structure (who speaks, what kind of
line, its parenthetical), never the words of a line, so rewording a line of dialogue re-cuts nothing:
only its voice, its shot's mux, the subtitles and the assembly are made again. Framing: the first matching rule of
:func:`frame` picks the shot size and camera move, the way a storyboard artist's habits would
(scene opener wide, flashback push-in, emotion close, exchanges in shot/reverse-shot, movement
followed). Durations come from speech length at a reading speed and from action length.

Every spoken line lands in exactly one shot, verbatim, in script order: lines are numbered from
the script first (:func:`episode_lines`), and shots only ever take the next line in order.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from stages.base import Inputs, Stage, StageOptions
from stages.errors import InputError
from stages.models import (
    Beat,
    CameraMove,
    Character,
    Episode,
    EpisodeScript,
    Line,
    Scene,
    SceneScript,
    Script,
    Shot,
    ShotSize,
    Storyboard,
)
from stages.params import JobContext
from stages.storyboard.characters import NARRATOR_NAMES
from stages.timing import shot_layout


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


# Cue words, matched as substrings (so "angr" catches angry and angrily).
EMOTIONS_ZH = _words("冷笑|哭|泣|哽咽|怒|喊|吼|尖叫|颤抖|激动|愣|咬牙|崩溃|惊|含泪|绝望|狞笑|嘶|失声|震|愤|急")
EMOTIONS_EN = _words(
    "angr|cry|sob|tear|shout|scream|yell|furious|shock|trembl|whisper|desperate|rage|gasp|stunned|breaking|shak"
)
MOTION_ZH = _words("走|跑|奔|追|冲|登上|爬|跳|闯|穿过|离开|来到|赶|逃|骑|开车|踱|迈|跟着|飞过|掠过")
MOTION_EN = _words(
    "walk|run|chase|rush|climb|jump|enter|exit|steps|step |leave|cross|drive|hurr|glide|follow|race|storm|wander"
)
DETAIL_ZH = _words("手|眼|泪|指尖|字|特写|握|抚摸|盯着|照片|信|凿子|戒指|伤口")
DETAIL_EN = _words("hand|eyes|tear|finger|close on|photo|letter|ring|phone|clock|ticket")
_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z0-9']+")

TIME_EN = {"day": "daytime", "night": "night", "dawn": "early morning", "dusk": "dusk at golden hour"}


class StoryboardOptions(StageOptions):
    """The rules backend's settings (the profile's ``stages.storyboard.options``)."""

    reading_speed_zh: float = Field(4.5, gt=0, le=50, description="Chinese characters spoken per second.")
    reading_speed_en: float = Field(2.6, gt=0, le=20, description="English words spoken per second.")
    min_shot: float = Field(1.5, gt=0, le=60, description="Shortest shot, seconds.")
    max_shot: float = Field(6.0, gt=0, le=120, description="Longest shot a group of lines may fill, seconds.")
    max_lines: int = Field(3, ge=1, le=50, description="Most spoken lines in one shot.")
    short_action_zh: int = Field(24, ge=0, description="Action up to this many characters may share a shot.")
    short_action_en: int = Field(14, ge=0, description="Action up to this many words may share a shot.")

    @model_validator(mode="after")
    def _shortest_fits_longest(self) -> StoryboardOptions:
        if self.min_shot > self.max_shot:
            raise ValueError("min_shot is longer than max_shot")
        return self

    @classmethod
    def load(
        cls, options: StoryboardOptions | dict[str, Any] | None, reading_speed: float | None = None
    ) -> StoryboardOptions:
        """Options from a profile, with the job spec's ``reading_speed`` (both languages) on top."""
        if isinstance(options, StoryboardOptions):
            opts = cls.model_validate(options.model_dump(include=set(cls.model_fields), exclude_unset=True))
        else:
            try:
                opts = cls.model_validate(dict(options or {}))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                message = first["msg"].removeprefix("Value error, ")
                raise InputError(message, field=f"stages.storyboard.options.{where}".rstrip(".")) from None
        if reading_speed:
            opts = opts.model_copy(update={"reading_speed_zh": reading_speed, "reading_speed_en": reading_speed})
        return opts

    def speed(self, language: str) -> float:
        return self.reading_speed_zh if language == "zh" else self.reading_speed_en


def text_units(text: str, language: str) -> int:
    """What a reader reads: Chinese characters (plus Latin words), or English words."""
    if language == "zh":
        return len(_CJK.findall(text)) + len(_WORD.findall(text))
    return len(_WORD.findall(text)) or len(_CJK.findall(text))


def speech_seconds(text: str, language: str, options: StoryboardOptions) -> float:
    return max(0.6, text_units(text, language) / options.speed(language))


# ------------------------------------------------------------------ ids and lines


def episode_id(number: int) -> str:
    return f"ep{number:02d}"


def scene_id(episode: str, index: int) -> str:
    return f"{episode}-s{index:02d}"


def shot_id(scene: str, index: int) -> str:
    return f"{scene}-sh{index:03d}"


def episode_lines(episode: EpisodeScript, narrator: str | None = None) -> list[list[Line]]:
    """The spoken lines of each scene, numbered per episode (``ep01-l001``), in script order."""
    ep = episode_id(episode.number)
    counter = 0
    per_scene: list[list[Line]] = []
    for scene in episode.scenes:
        lines = []
        for beat in scene.beats:
            if not beat.spoken:
                continue
            counter += 1
            character = narrator if beat.kind == "narration" and not beat.character else beat.character
            lines.append(
                Line(
                    id=f"{ep}-l{counter:03d}",
                    kind=beat.kind,
                    character=character,
                    parenthetical=beat.parenthetical,
                    text=beat.text,
                    source_line=beat.line,
                )
            )
        per_scene.append(lines)
    return per_scene


def scene_model(scene: SceneScript, sid: str) -> Scene:
    return Scene(
        id=sid,
        heading=scene.heading,
        location=scene.location,
        time=scene.time,
        interior=scene.interior,
        flashback=scene.flashback,
    )


# ------------------------------------------------------------------ grouping


@dataclass
class Draft:
    """A shot being assembled: its action and lines, before size and camera are chosen."""

    action: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    flashback: bool = False
    emphatic: str | None = None  # why a line here must stand alone
    transition: str = ""  # a transition written after this shot
    captions: list[str] = field(default_factory=list)  # on-screen text (字幕：…) shown over this shot

    @property
    def speakers(self) -> list[str]:
        return list(dict.fromkeys(line.character for line in self.lines if line.kind == "dialogue" and line.character))


def emphasis(line: Line, language: str) -> str | None:
    """Why a line deserves its own close shot: an emotional parenthetical (a stage direction, not the words)."""
    if line.kind != "dialogue":
        return None
    paren = (line.parenthetical or "").lower()
    words = EMOTIONS_ZH if language == "zh" else EMOTIONS_EN
    if paren and any(w in paren for w in words):
        return f"emotional line ({line.parenthetical})"
    return None


def _accepts(draft: Draft, line: Line, beat: Beat, language: str, options: StoryboardOptions) -> bool:
    if draft.flashback != beat.flashback or draft.emphatic or emphasis(line, language):
        return False
    if len(draft.lines) >= options.max_lines:
        return False
    kinds = {existing.kind for existing in draft.lines}
    if kinds and kinds != {line.kind}:
        return False
    if line.kind == "dialogue":
        if len(set(draft.speakers) | {line.character}) > 2:
            return False
        limit = options.short_action_zh if language == "zh" else options.short_action_en
        if draft.action and not draft.lines and text_units(" ".join(draft.action), language) > limit:
            return False  # a long action is its own shot; a short one can carry the next lines
    return True


def group_beats(scene: SceneScript, lines: Sequence[Line], language: str, options: StoryboardOptions) -> list[Draft]:
    """Beats into drafts; spoken beats take ``lines`` one by one, so order and text are kept."""
    queue = list(lines)
    drafts: list[Draft] = []
    current: Draft | None = None
    for beat in scene.beats:
        if beat.kind == "transition":
            if current:
                current.transition = beat.text
            current = None
            continue
        if beat.kind == "action":
            current = Draft(action=[beat.text], flashback=beat.flashback)
            drafts.append(current)
            continue
        if beat.kind == "caption":
            # On-screen text goes over the open shot; with none open it gets a shot of its own.
            if current is None:
                current = Draft(flashback=beat.flashback)
                drafts.append(current)
            current.captions.append(beat.text)
            continue
        line = queue.pop(0)
        if current is None or not _accepts(current, line, beat, language, options):
            current = Draft(flashback=beat.flashback)
            drafts.append(current)
        current.lines.append(line)
        current.emphatic = current.emphatic or emphasis(line, language)
    if queue:  # the beats and the numbered lines disagree: a bug, never a user error
        raise ValueError(f"{len(queue)} lines of scene {scene.heading!r} were not placed in a shot")
    return drafts


# ------------------------------------------------------------------ framing


def _mentions(text: str, names: Sequence[str], language: str) -> list[str]:
    if language == "zh":
        return [n for n in sorted(names, key=len, reverse=True) if n in text]
    lowered = f" {_PUNCT.sub(' ', text.lower())} "
    return [n for n in names if f" {_PUNCT.sub(' ', n.lower()).strip()} " in lowered]


def _has(text: str, words: Sequence[str]) -> bool:
    lowered = text.lower()
    return any(w in lowered for w in words)


@dataclass
class Framing:
    size: ShotSize
    camera: CameraMove
    reason: str
    focus: str | None = None  # who a shot/reverse-shot frames first


def frame(
    draft: Draft, index: int, scene: SceneScript, language: str, last_focus: str | None, people: Sequence[str]
) -> Framing:
    """The first rule that matches picks size and camera; its words become ``Shot.reason``."""
    action = " ".join(draft.action)
    zh = language == "zh"
    kinds = {line.kind for line in draft.lines}
    place = scene.location or scene.heading
    if index == 0:
        size: ShotSize = "wide" if scene.interior is False else "full"
        if draft.flashback:
            return Framing(
                size,
                "push-in",
                f"scene opener in a flashback: {size} establishing shot of {place}, slow push-in into the memory",
            )
        camera: CameraMove = "pan" if scene.interior is False and not draft.lines else "static"
        return Framing(size, camera, f"scene opener: {size} establishing shot of {place}")
    if draft.flashback:
        return Framing("medium", "push-in", "flashback: medium shot, slow push-in (memory)")
    if draft.emphatic:
        focus = draft.lines[0].character if draft.lines else None
        return Framing("close-up", "push-in", f"{draft.emphatic}: close-up, push-in on {focus}", focus)
    if kinds == {"narration"}:
        return Framing("wide", "pan", "narration over the place: wide shot, slow pan")
    if kinds == {"voiceover"}:
        return Framing("medium", "static", "voice-over (inner voice / off screen): medium shot, static")
    speakers = draft.speakers
    if len(speakers) == 2:
        focus = speakers[1] if last_focus == speakers[0] else speakers[0]
        return Framing(
            "medium close-up",
            "static",
            f"two-person exchange: medium close-up, shot/reverse-shot on {focus}",
            focus,
        )
    if len(speakers) == 1:
        return Framing(
            "medium close-up", "static", f"one speaker ({speakers[0]}): medium close-up, static", speakers[0]
        )
    if draft.lines:
        return Framing("full", "static", "group scene: full shot, static")
    mover = _has(action, MOTION_ZH if zh else MOTION_EN)
    if mover:
        camera = "follow" if people else "track"
        who = f" {people[0]}" if people else ""
        return Framing("full", camera, f"movement in the action: full shot, camera {camera}s{who}")
    if _has(action, DETAIL_ZH if zh else DETAIL_EN):
        return Framing("close-up", "static", "detail in the action (hands, eyes, an object): close-up, static")
    return Framing("medium", "static", "action: medium shot, static")


def shot_prompt(
    draft: Draft, framing: Framing, scene: SceneScript, people: Sequence[Character], job: JobContext
) -> str:
    """A visual prompt: style, framing, place and time, who is in it and what they do."""
    parts = []
    if job.style:
        parts.append(job.style)
    parts.append(f"{framing.size} shot, {framing.camera} camera, {job.aspect} frame")
    where = scene.location or scene.heading
    setting = ", ".join(
        p
        for p in (
            where,
            TIME_EN.get(scene.time, ""),
            {True: "interior", False: "exterior"}.get(scene.interior, ""),
        )
        if p
    )
    parts.append(setting)
    if draft.flashback:
        parts.append("flashback, soft faded warm colours")
    parts.extend(c.appearance or c.name for c in people)
    if draft.action:
        parts.append(" ".join(draft.action))
    elif draft.lines:
        first = draft.lines[0]
        who = first.character or ("narrator" if job.language == "en" else "旁白")
        mood = f" ({first.parenthetical})" if first.parenthetical else ""
        verb = {"dialogue": "speaking", "voiceover": "thinking, lips still", "narration": "the place itself"}
        parts.append(f"{who}{mood}, {verb[first.kind]}" if first.kind != "narration" else verb["narration"])
    return ". ".join(p for p in parts if p)[:1000]


def duration(draft: Draft, language: str, options: StoryboardOptions) -> float:
    """Speech time (with the lead-in, gaps and tail of :mod:`stages.timing`) or action time."""
    speech = [speech_seconds(line.text, language, options) for line in draft.lines]
    needed = shot_layout(0, speech)[0] if speech else 0.0
    action_units = text_units(" ".join(draft.action), language)
    action = options.min_shot + action_units / (2 * options.speed(language)) if draft.action else 0.0
    captions = sum(speech_seconds(text, language, options) for text in draft.captions)
    planned = min(options.max_shot, max(options.min_shot, action, needed, captions))
    return round(max(planned, needed) + 0.049, 1)  # round up to 0.1 s: never shorter than the speech


def shots_for_scene(
    scene: SceneScript,
    sid: str,
    lines: Sequence[Line],
    characters: Sequence[Character],
    job: JobContext,
    options: StoryboardOptions,
    last_focus: str | None = None,
) -> list[Shot]:
    """The shots of one scene. ``lines`` are this scene's numbered lines (see :func:`episode_lines`)."""
    language = job.language
    known = [c.name for c in characters]
    by_name = {c.name: c for c in characters}
    shots = []
    for index, draft in enumerate(group_beats(scene, lines, language, options)):
        mentioned = _mentions(" ".join(draft.action), known, language)
        speakers = [line.character for line in draft.lines if line.character and line.kind != "narration"]
        people = list(dict.fromkeys([*speakers, *mentioned]))
        framing = frame(draft, index, scene, language, last_focus, people)
        if framing.focus and framing.focus in people:
            people.remove(framing.focus)
            people.insert(0, framing.focus)
        if framing.focus and len(draft.speakers) == 2:
            last_focus = framing.focus
        reason = framing.reason + (f"; then {draft.transition}" if draft.transition else "")
        in_shot = [by_name[name] for name in people if name in by_name]
        shots.append(
            Shot(
                id=shot_id(sid, index + 1),
                scene=sid,
                size=framing.size,
                camera=framing.camera,
                duration=duration(draft, language, options),
                characters=[c.name for c in in_shot],
                prompt=shot_prompt(draft, framing, scene, in_shot, job),
                action=" ".join(draft.action),
                captions=list(draft.captions),
                lines=list(draft.lines),
                reason=reason,
            )
        )
    return shots


def build_storyboard(
    script: Script, characters: Sequence[Character], job: JobContext, options: StoryboardOptions
) -> Storyboard:
    """The whole storyboard: one episode per script episode, shots scene by scene."""
    narrator = next((c.name for c in characters if c.name in NARRATOR_NAMES), None)
    episodes = []
    for ep_script in script.episodes:
        ep = episode_id(ep_script.number)
        episode = Episode(id=ep, number=ep_script.number, title=ep_script.title)
        for index, (scene, lines) in enumerate(
            zip(ep_script.scenes, episode_lines(ep_script, narrator), strict=True), start=1
        ):
            sid = scene_id(ep, index)
            episode.scenes.append(scene_model(scene, sid))
            episode.shots.extend(shots_for_scene(scene, sid, lines, characters, job, options))
        episodes.append(episode)
    return Storyboard(
        title=job.title or script.title, language=job.language, characters=list(characters), episodes=episodes
    )


def storyboard_json(storyboard: Storyboard) -> dict[str, Any]:
    """DESIGN.md's storyboard JSON: the storyboard without internal bookkeeping fields."""
    return storyboard.model_dump(mode="json")


class RulesStoryboard(Stage):
    """Stage ``storyboard``, backend ``rules``: params ``job``, ``script``, ``characters``
    (and optionally ``reading_speed`` from the job spec); writes ``storyboard.json``."""

    name = "storyboard"
    backend = "rules"
    version = "2"
    Options = StoryboardOptions
    options: StoryboardOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        script = Script.model_validate(params["script"])
        characters = [Character.model_validate(c) for c in params.get("characters", [])]
        options = StoryboardOptions.load(self.options, params.get("reading_speed"))
        storyboard = build_storyboard(script, characters, job, options)
        (out / "storyboard.json").write_text(
            json.dumps(storyboard_json(storyboard), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        shots = [shot for ep in storyboard.episodes for shot in ep.shots]
        return {
            "file": "storyboard.json",
            "episodes": len(storyboard.episodes),
            "shots": len(shots),
            "duration": round(sum(s.duration for s in shots), 2),
        }
