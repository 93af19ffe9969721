"""Releases in other languages (出海): the extra nodes ``languages:`` adds to an episode's plan.

Per target language and episode: a ``translate`` node per spoken line, subtitles in that language
(``localise``, timed by the voices the release uses) and an ``assembly`` of the same shot clips — so
keyframes and motion clips are never made again for a language, they are the master's (same keys).
With ``dub: true``, each line is also voiced in the language (``dub``) and each shot muxed again with
those voices. A language the profile cannot make is left out here; ``validate`` and ``run`` say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stages.models import Episode, Shot, Storyboard
from stages.translate.glossary import build_glossary
from stages.translate.local import cannot_make


@dataclass
class ShotNodes:
    """The master's nodes of one shot that a release reuses."""

    shot: Shot
    motion: str
    mux: str
    voices: list[str] = field(default_factory=list)


@dataclass
class EpisodeNodes:
    """The master's nodes of one episode: per shot, and the cover's keyframe."""

    episode: Episode
    header: dict[str, Any]
    shots: list[ShotNodes]
    cover: str


AddNode = Callable[..., str]


def release_languages(job: Any, source: str, profile: Any) -> list[str]:
    """The spec's languages other than the script's own that this profile can make."""
    settings = profile.stages.get("translate")
    backend = settings.backend if settings else None
    wanted = [code for code in getattr(job.spec, "languages", []) if code != source]
    return [code for code in wanted if not cannot_make(source, [code], backend)]


def dubbing(job: Any, profile: Any) -> bool:
    """Dub when the spec asks and the profile has a dub backend (else subtitles only; validate says so)."""
    return bool(getattr(job.spec, "dub", False)) and "dub" in profile.stages


def glossary_of(storyboard: Storyboard) -> dict[str, str]:
    """One spelling per character name for every translation of the series."""
    return build_glossary(c.name for c in storyboard.characters)


def plan_release(
    add: AddNode,
    nodes: EpisodeNodes,
    target: str,
    *,
    ctx: dict[str, Any],
    music: dict[str, Any] | None,
    glossary: dict[str, str],
    dub: bool,
    character: Callable[[str | None], dict[str, Any] | None],
) -> str:
    """The nodes of one episode in ``target``; returns the id of its assembly."""
    ep = nodes.episode.id
    source = ctx["language"]
    translations: list[str] = []
    mux_ids: list[str] = []
    timing_voices: list[str] = []
    for shot_nodes in nodes.shots:
        shot_translations = []
        for line in shot_nodes.shot.lines:
            params = {
                "id": line.id,
                "text": line.text,
                "character": line.character,
                "source": source,
                "target": target,
                "glossary": glossary,
            }
            shot_translations.append(add("translate", f"{line.id}/{target}", ep, params, {}))
        translations += shot_translations
        if not dub:
            mux_ids.append(shot_nodes.mux)
            timing_voices += shot_nodes.voices
            continue
        voices = [
            add(
                "dub",
                f"{line.id}/{target}",
                ep,
                {
                    "job": ctx,
                    "line": line.model_dump(mode="json"),
                    "character": character(line.character),
                    "language": target,
                },
                {"translation": [tid]},
            )
            for line, tid in zip(shot_nodes.shot.lines, shot_translations, strict=True)
        ]
        timing_voices += voices
        shot_params = {"job": ctx, "shot": shot_nodes.shot.model_dump(mode="json"), "language": target}
        mux_ids.append(
            add(
                "mux",
                f"{shot_nodes.shot.id}/{target}",
                ep,
                shot_params,
                {"motion": [shot_nodes.motion], "voices": voices},
                list_inputs=("voices",),
            )
        )
    timings = [
        {"id": s.shot.id, "duration": s.shot.duration, "lines": [ln.model_dump(mode="json") for ln in s.shot.lines]}
        for s in nodes.shots
    ]
    subtitles = add(
        "localise",
        f"{ep}/{target}",
        ep,
        {"job": ctx, "episode": nodes.header, "shots": timings, "language": target},
        {"voices": timing_voices, "translations": translations},
        list_inputs=("voices", "translations"),
    )
    return add(
        "assembly",
        f"{ep}/{target}",
        ep,
        {"job": ctx, "episode": nodes.header, "music": music, "language": target, "dub": dub},
        {"shots": mux_ids, "subtitles": [subtitles], "cover": [nodes.cover]},
        list_inputs=("shots",),
    )
