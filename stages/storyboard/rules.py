"""The rule-based storyboard: deterministic, offline, and every choice explained in ``Shot.reason``.

Beats become shots in two steps. Grouping (:mod:`stages.storyboard.grouping`): an action beat opens
a shot; spoken lines join the open shot while it stays one exchange. Framing
(:mod:`stages.storyboard.framing`): the first matching rule picks the shot size and camera move.
Both read the script's structure (who speaks, what kind of line, its parenthetical), never the words
of a line, so rewording a line of dialogue re-cuts nothing: only its voice, its shot's mux, the
subtitles and the assembly are made again. Durations come from speech length at a reading speed and
from action length. This module puts the steps together into shots, the storyboard and the stage
that writes its JSON.

Every spoken line lands in exactly one shot, verbatim, in script order: lines are numbered from
the script first (:func:`~stages.storyboard.numbering.episode_lines`), and shots only ever take the
next line in order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stages.base import Inputs, Stage
from stages.models import Character, Episode, Line, SceneScript, Script, Shot, Storyboard
from stages.params import JobContext
from stages.storyboard.characters import NARRATOR_NAMES
from stages.storyboard.framing import frame, mentions, shot_prompt
from stages.storyboard.grouping import Draft, group_beats
from stages.storyboard.numbering import episode_id, episode_lines, scene_id, scene_model, shot_id
from stages.storyboard.options import StoryboardOptions, speech_seconds, text_units
from stages.timing import shot_layout


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
        mentioned = mentions(" ".join(draft.action), known, language)
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
