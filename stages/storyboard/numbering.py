"""Episode, scene and shot ids, and the numbering of spoken lines (``ep01-l001``) from the script.

Apart from the cutting rules because both backends number the same way: lines are numbered from the
script before any shot is cut, so ``rules`` and ``llm`` give every line the same id, and a shot can
only take the next line in order.
"""

from __future__ import annotations

from stages.models import EpisodeScript, Line, Scene, SceneScript


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
