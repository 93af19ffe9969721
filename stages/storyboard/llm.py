"""The ``llm`` storyboard backend: a chat model cuts each scene into shots (size, camera, prompt, duration).

The model never writes dialogue. It sees the scene with its spoken lines numbered (``L1``, ``L2`` …)
and answers with JSON that groups those numbers into shots; the lines themselves are attached from the
script by number, so no line can be lost, reordered or changed. An answer that does not parse, fails
the schema (pydantic), or does not cover the scene's lines exactly once, in order, is sent back with the
error (``retries`` times); after that, the scene falls back to the rules backend. The metadata counts
how many scenes the model cut and how many fell back, so a reviewer can see it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stages.base import Inputs, ModelFamily, Resources
from stages.model_stage import ModelOptions, ModelStage
from stages.models import (
    CameraMove,
    Character,
    Episode,
    Line,
    Scene,
    SceneScript,
    Script,
    Shot,
    ShotSize,
    Storyboard,
)
from stages.params import JobContext
from stages.parsing.cues import resolve_name
from stages.pipelines.llm import ChatModel
from stages.storyboard.characters import NARRATOR_NAMES
from stages.storyboard.numbering import episode_id, episode_lines, scene_id, scene_model, shot_id
from stages.storyboard.options import StoryboardOptions, speech_seconds
from stages.storyboard.rules import shots_for_scene, storyboard_json

MAX_SCENE_CHARS = 6000  # longer scenes are cut by the rules backend (a small model loses the thread)

SYSTEM_PROMPT = """You are a storyboard artist for vertical micro-dramas (竖屏短剧).
Cut the scene you are given into shots. Answer with JSON only, no prose, exactly in this form:
{"shots": [{"lines": ["L1", "L2"], "size": "close-up", "camera": "push-in", "duration": 3.5,
            "characters": ["NAME"], "prompt": "what the camera sees, in English", "reason": "why"}]}
Rules:
- "lines" lists the ids of the spoken lines the shot contains. Every line id of the scene appears in exactly
  one shot, in the given order. A shot may have no lines (an establishing or reaction shot).
- Never write or change dialogue: refer to lines only by their ids.
- "size" is one of: close-up, medium close-up, medium, full, wide.
- "camera" is one of: static, push-in, pull-out, pan, track, follow.
- "duration" is seconds on screen (MIN to MAX), long enough to speak its lines.
- "characters" are names from the scene's cast only.
- "prompt" describes the picture for an image model: who, where, expression, lighting."""


class LLMShot(BaseModel):
    """One shot as the model must answer it: strict, so a sloppy answer is caught and sent back."""

    model_config = ConfigDict(extra="ignore")

    lines: list[str] = Field(default_factory=list)
    size: ShotSize
    camera: CameraMove
    duration: float = Field(gt=0)
    characters: list[str] = Field(default_factory=list)
    prompt: str = Field(min_length=1, max_length=1000)
    reason: str = ""

    @field_validator("lines", mode="before")
    @classmethod
    def _line_ids(cls, value: Any) -> Any:
        # Accept ["L1"], [1] or [{"id": "L1", ...}]; text in an object is checked against the script later.
        if isinstance(value, list):
            return [f"L{v}" if isinstance(v, int) else v.get("id", "") if isinstance(v, dict) else v for v in value]
        return value


class LLMScene(BaseModel):
    model_config = ConfigDict(extra="ignore")

    shots: list[LLMShot] = Field(min_length=1, max_length=60)


class SceneInvalid(ValueError):
    """The model's answer breaks a rule; the message is fed back to it."""


def extract_json(text: str) -> Any:
    """The JSON object in a reply that may wrap it in a code fence or prose."""
    fenced = re.search(r"```(?:json)?\s*(\{.*?\})\s*```", text, re.S)
    candidate = fenced.group(1) if fenced else text[text.find("{") : text.rfind("}") + 1]
    if not candidate:
        raise SceneInvalid("the answer contains no JSON object")
    try:
        return json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise SceneInvalid(f"the JSON does not parse: {exc}") from None


def check_scene(
    answer: LLMScene, lines: list[Line], cast: list[str], min_shot: float, max_shot: float, raw: Any
) -> None:
    """Every line exactly once, in order, unaltered; known characters; durations in range."""
    wanted = [f"L{i}" for i in range(1, len(lines) + 1)]
    given = [ref for shot in answer.shots for ref in shot.lines]
    if given != wanted:
        missing = [w for w in wanted if w not in given]
        extra = [g for g in given if g not in wanted]
        problem = (
            f"missing {missing}" if missing else f"unknown ids {extra}" if extra else "lines repeated or out of order"
        )
        raise SceneInvalid(f"shots must cover lines {wanted} exactly once in order; got {given} ({problem})")
    texts = {f"L{i}": line.text for i, line in enumerate(lines, 1)}
    for shot in raw.get("shots", []) if isinstance(raw, dict) else []:
        for item in shot.get("lines", []) if isinstance(shot, dict) else []:
            if isinstance(item, dict) and "text" in item and item["text"] != texts.get(item.get("id", "")):
                raise SceneInvalid(f"line {item.get('id')} text was changed; refer to lines by id only")
    known = set(cast)
    for n, shot in enumerate(answer.shots, 1):
        # The same cast resolution as the parser: "林晚（冷笑）", "LIN WAN" or "林晚OS" is 林晚.
        shot.characters = list(dict.fromkeys(resolve_name(c, cast) or c for c in shot.characters))
        strangers = [c for c in shot.characters if c not in known]
        if strangers:
            raise SceneInvalid(f"shot {n}: characters {strangers} are not in this scene (cast: {sorted(known)})")
        if not min_shot <= shot.duration <= max_shot:
            raise SceneInvalid(f"shot {n}: duration {shot.duration} is outside {min_shot}-{max_shot} s")


def describe_scene(scene: SceneScript, lines: list[Line]) -> str:
    """The scene as the model reads it: heading, cast, action, and numbered lines (never to be rewritten)."""
    out = [f"Scene: {scene.heading}", f"Cast: {', '.join(scene.cast) or 'none listed'}", ""]
    spoken = iter(enumerate(lines, 1))
    for beat in scene.beats:
        if beat.spoken:
            n, line = next(spoken)
            who = line.character or "narrator"
            note = f" ({line.parenthetical})" if line.parenthetical else ""
            out.append(f"L{n} [{line.kind}] {who}{note}: {line.text}")
        elif beat.text:
            out.append(f"[{beat.kind}] {beat.text}")
    return "\n".join(out)


CAUSAL_LM = ModelFamily("causal-lm", "workers.families:LLMWorker", ChatModel.default_model)


class LLMStoryboardOptions(ModelOptions, StoryboardOptions):
    """The chat model's settings, plus the rules backend's (reading speeds, shot lengths) for timing and fallback."""

    retries: int = Field(2, ge=0, le=10, description="Attempts per scene after the first, with the error fed back.")
    max_new_tokens: int = Field(1024, ge=1, le=32768)
    temperature: float = Field(0.0, ge=0, le=5, description="0: greedy (the same scene gives the same cut).")


class LLMStoryboard(ModelStage):
    name: ClassVar[str] = "storyboard"
    backend: ClassVar[str] = "llm"
    version: ClassVar[str] = "1"
    resources: ClassVar[Resources] = Resources(num_cpus=1, num_gpus=0.5)
    family = CAUSAL_LM
    Options = LLMStoryboardOptions
    options: LLMStoryboardOptions

    model_class = ChatModel  # tests may swap ``self.model`` for any object with ``chat(messages)``

    def rules_options(self, reading_speed: float | None) -> StoryboardOptions:
        """The rules backend's share of our options (reading speeds, shot lengths) for timing and fallback."""
        return StoryboardOptions.load(self.options, reading_speed)

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        script = Script.model_validate(params["script"])
        characters = [Character.model_validate(c) for c in params.get("characters") or []]
        options = self.rules_options(params.get("reading_speed"))
        storyboard, report = self.storyboard(job, script, characters, options)
        temp = out / ".storyboard.json.part"
        text = json.dumps(storyboard_json(storyboard), ensure_ascii=False, indent=2)
        temp.write_text(text, encoding="utf-8")
        temp.replace(out / "storyboard.json")
        shots = [shot for ep in storyboard.episodes for shot in ep.shots]
        return {
            "file": "storyboard.json",
            "model": getattr(self.model, "model_id", "?"),
            "episodes": len(storyboard.episodes),
            "shots": len(shots),
            "duration": round(sum(s.duration for s in shots), 2),
            **report,
        }

    # ---------------------------------------------------------------- the storyboard

    def storyboard(
        self, job: JobContext, script: Script, characters: list[Character], options: StoryboardOptions
    ) -> tuple[Storyboard, dict[str, Any]]:
        """Scene by scene, with the rules backend's ids and line numbering, so the two can mix."""
        report: dict[str, Any] = {"scenes": 0, "by_model": 0, "fallback": 0, "attempts": 0, "problems": []}
        narrator = next((c.name for c in characters if c.name in NARRATOR_NAMES), None)
        episodes = []
        for ep_script in script.episodes:
            ep = episode_id(ep_script.number)
            episode = Episode(id=ep, number=ep_script.number, title=ep_script.title)
            per_scene = episode_lines(ep_script, narrator)
            for index, (scene_script, lines) in enumerate(zip(ep_script.scenes, per_scene, strict=True), 1):
                scene = scene_model(scene_script, scene_id(ep, index))
                episode.scenes.append(scene)
                shots = self.scene_shots(job, characters, scene, scene_script, lines, options, report)
                episode.shots.extend(shots)
                report["scenes"] += 1
            episodes.append(episode)
        board = Storyboard(
            title=job.title or script.title, language=job.language, characters=characters, episodes=episodes
        )
        return board, report

    def scene_shots(
        self,
        job: JobContext,
        characters: list[Character],
        scene: Scene,
        scene_script: SceneScript,
        lines: list[Line],
        options: StoryboardOptions,
        report: dict[str, Any],
    ) -> list[Shot]:
        """The model's cut of one scene, retried with the error fed back; else the rules backend's cut."""
        speakers = [line.character for line in lines if line.character]
        cast = list(dict.fromkeys([*scene_script.cast, *speakers]))
        description = describe_scene(scene_script, lines)
        error = f"scene longer than {MAX_SCENE_CHARS} characters"
        if len(description) <= MAX_SCENE_CHARS:
            system = SYSTEM_PROMPT.replace("MIN", f"{options.min_shot:g}").replace("MAX", f"{options.max_shot:g}")
            messages = [{"role": "system", "content": system}, {"role": "user", "content": description}]
            for _attempt in range(1 + self.options.retries):
                report["attempts"] += 1
                reply = self.model.chat(messages, seed=job.seed)
                try:
                    raw = extract_json(reply)
                    answer = LLMScene.model_validate(raw)
                    longest = self._longest(lines, job, options)
                    check_scene(answer, lines, cast, options.min_shot, longest, raw)
                except (SceneInvalid, ValidationError) as exc:
                    error = _short_error(exc)
                    messages += [
                        {"role": "assistant", "content": reply[:4000]},
                        {
                            "role": "user",
                            "content": f"That answer is invalid: {error}\nAnswer again with corrected JSON only.",
                        },
                    ]
                    continue
                report["by_model"] += 1
                return with_captions(self._to_shots(answer, scene, lines, job, options), scene_script)
        report["problems"].append(f"{scene.id}: {error}")
        report["fallback"] += 1
        return shots_for_scene(scene_script, scene.id, lines, characters, job, options)

    @staticmethod
    def _longest(lines: list[Line], job: JobContext, options: StoryboardOptions) -> float:
        """A shot may run to ``max_shot``, or longer when the whole scene's speech needs it."""
        speech = sum(speech_seconds(line.text, job.language, options) for line in lines)
        return max(options.max_shot, speech + options.max_shot)

    def _to_shots(
        self, answer: LLMScene, scene: Scene, lines: list[Line], job: JobContext, options: StoryboardOptions
    ) -> list[Shot]:
        by_id = {f"L{i}": line for i, line in enumerate(lines, 1)}
        shots = []
        for n, item in enumerate(answer.shots, 1):
            shot_lines = [by_id[ref] for ref in item.lines]
            speakers = [line.character for line in shot_lines if line.character and line.kind != "narration"]
            needed = sum(speech_seconds(line.text, job.language, options) for line in shot_lines)
            shots.append(
                Shot(
                    id=shot_id(scene.id, n),
                    scene=scene.id,
                    size=item.size,
                    camera=item.camera,
                    duration=round(max(item.duration, needed, options.min_shot), 1),
                    characters=list(dict.fromkeys([*item.characters, *speakers])),
                    prompt=item.prompt,
                    lines=shot_lines,
                    reason=f"llm: {item.reason}" if item.reason else "llm",
                )
            )
        return shots


def with_captions(shots: list[Shot], scene: SceneScript) -> list[Shot]:
    """The model groups lines only; the scene's on-screen text (字幕) goes over its first shot."""
    captions = [beat.text for beat in scene.beats if beat.kind == "caption"]
    if captions and shots:
        shots[0] = shots[0].model_copy(update={"captions": [*shots[0].captions, *captions]})
    return shots


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
    return str(exc)[:500]
