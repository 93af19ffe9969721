"""Small storyboards built in code, so executor tests need no parser or storyboard backend."""

from __future__ import annotations

from typing import Any

from stages.models import Character, Episode, Line, Scene, Shot, Storyboard

CAST = ("林晚", "顾沉", "阿福")


def make_storyboard(episodes: int = 2, shots: int = 3, lines_per_shot: int = 2) -> Storyboard:
    """``episodes`` x ``shots`` of ``lines_per_shot`` lines; each episode ends with a narration."""
    board = Storyboard(
        title="测试",
        language="zh",
        characters=[Character(name=n, appearance=f"{n}的样子", seed=i) for i, n in enumerate(CAST)],
    )
    line_no = 0
    for e in range(1, episodes + 1):
        ep = Episode(
            id=f"ep{e:02d}",
            number=e,
            title=f"第{e}集",
            scenes=[Scene(id=f"ep{e:02d}-s01", heading="1-1 日 内 办公室", location="办公室", time="day")],
        )
        for s in range(1, shots + 1):
            speaker = CAST[(s - 1) % 2]
            lines = []
            for _ in range(lines_per_shot):
                line_no += 1
                lines.append(
                    Line(
                        id=f"ep{e:02d}-l{line_no:03d}",
                        kind="dialogue",
                        character=speaker,
                        text=f"第{line_no}句台词",
                    )
                )
            ep.shots.append(
                Shot(
                    id=f"ep{e:02d}-s01-sh{s:03d}",
                    scene=ep.scenes[0].id,
                    size="medium",
                    camera="static",
                    duration=2.0,
                    characters=[speaker],
                    prompt=f"{speaker} 在办公室",
                    action="走进来",
                    lines=lines,
                )
            )
        line_no += 1
        ep.shots[-1].lines.append(Line(id=f"ep{e:02d}-l{line_no:03d}", kind="narration", text="旁白说话"))
        board.episodes.append(ep)
    return board


def storyboard_from_script(script: dict[str, Any], characters: list[dict[str, Any]]) -> Storyboard:
    """One shot per spoken beat of a parsed ``Script`` dump (for the fake storyboard backend)."""
    board = Storyboard(
        title=script.get("title") or "untitled",
        language=script["language"],
        characters=[Character.model_validate(c) for c in characters],
    )
    n = 0
    for episode in script["episodes"]:
        eid = f"ep{episode['number']:02d}"
        ep = Episode(id=eid, number=episode["number"], title=episode.get("title", ""))
        for s, scene in enumerate(episode["scenes"], 1):
            sid = f"{eid}-s{s:02d}"
            ep.scenes.append(Scene(id=sid, heading=scene["heading"]))
            for beat in scene["beats"]:
                if beat["kind"] not in ("dialogue", "voiceover", "narration"):
                    continue
                n += 1
                who = [beat["character"]] if beat.get("character") else []
                ep.shots.append(
                    Shot(
                        id=f"{sid}-sh{n:03d}",
                        scene=sid,
                        size="medium",
                        camera="static",
                        duration=2.0,
                        characters=who,
                        prompt=beat["text"],
                        lines=[
                            Line(
                                id=f"{eid}-l{n:03d}",
                                kind=beat["kind"],
                                character=beat.get("character"),
                                text=beat["text"],
                            )
                        ],
                    )
                )
        board.episodes.append(ep)
    return board
