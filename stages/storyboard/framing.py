"""Framing: the shot size and camera move of each cut shot, and the visual prompt that describes it.

The first matching rule of :func:`frame` decides, the way a storyboard artist's habits would (scene
opener wide, flashback push-in, emotion close, exchanges in shot/reverse-shot, movement followed),
and its words become ``Shot.reason``. Apart from cutting (:mod:`stages.storyboard.grouping`) because
framing never changes what a shot holds, only how it is filmed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from stages.models import CameraMove, Character, SceneScript, ShotSize
from stages.params import JobContext
from stages.storyboard.cue_words import DETAIL_EN, DETAIL_ZH, MOTION_EN, MOTION_ZH
from stages.storyboard.grouping import Draft

_PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)

TIME_EN = {"day": "daytime", "night": "night", "dawn": "early morning", "dusk": "dusk at golden hour"}


def mentions(text: str, names: Sequence[str], language: str) -> list[str]:
    """The character names an action names (longest first in Chinese, word by word in English)."""
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
