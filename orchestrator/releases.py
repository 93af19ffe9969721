"""Releases in other languages (出海): the extra nodes ``languages:`` adds to an episode's plan.

Per target language and episode: a ``translate`` node per spoken line, subtitles in that language
(``localise``, timed by the voices the release uses), a release ``mux`` per shot and an ``assembly``
of those shots. The mux burns the text into the picture, so each shot of a release is muxed again:
from the master's motion clip (keyframes and motion clips are never made again for a language, they
are the master's, same keys), with the scene's ambience and the localised cues of its language (the
``localise`` artifact's cues for that shot). A subtitles-only release keeps the original voices; with
``dub: true`` (and a ``dub`` stage in the profile) each line is also voiced in the language and the
release's subtitles and muxes are timed by those voices. Each episode gets an M&E stem. A language
the profile cannot make is left out here; ``validate`` and ``run`` say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stages.models import Episode, Scene, Shot, Storyboard
from stages.params import (
    DubParams,
    EpisodeHeader,
    JobContext,
    LocaliseParams,
    MusicParams,
    ReleaseAssemblyParams,
    ReleaseMuxParams,
    ShotTiming,
    Speaker,
    StemParams,
    TranslateParams,
)
from stages.translate.glossary import build_glossary
from stages.translate.local import cannot_make


@dataclass
class ShotNodes:
    """The master's nodes of one shot that a release reuses."""

    shot: Shot
    motion: str
    mux: str
    voices: list[str] = field(default_factory=list)
    scene: Scene | None = None  # its heading, place and time: a release mux keeps the scene's ambience


@dataclass
class EpisodeNodes:
    """The master's nodes of one episode: per shot, and the cover's keyframe."""

    episode: Episode
    header: EpisodeHeader
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


@dataclass
class Releases:
    """What every release of a job shares: the languages, the glossary, whether to dub."""

    add: AddNode
    job: JobContext
    storyboard: Storyboard
    languages: list[str]
    dub: bool
    glossary: dict[str, str] = field(default_factory=dict)

    def plan_episode(self, nodes: EpisodeNodes, music: MusicParams | None) -> None:
        """The M&E stem of the episode, then its release in each language."""
        if not self.languages:
            return
        stem = StemParams(episode=nodes.episode.id, music=music)
        ep = nodes.episode.id
        self.add("stem", ep, ep, stem.dump(), {"shots": [s.mux for s in nodes.shots]}, list_inputs=("shots",))
        for target in self.languages:
            self.plan_release(nodes, target, music)

    def translations(self, nodes: EpisodeNodes, target: str) -> list[list[str]]:
        """Per shot, the translate node of each of its lines."""
        ep, source = nodes.episode.id, self.job.language
        return [
            [
                self.add(
                    "translate",
                    f"{line.id}/{target}",
                    ep,
                    TranslateParams(
                        id=line.id,
                        text=line.text,
                        character=line.character,
                        source=source,
                        target=target,
                        glossary=self.glossary,
                    ).dump(),
                    {},
                )
                for line in s.shot.lines
            ]
            for s in nodes.shots
        ]

    def dubbed_voices(self, s: ShotNodes, ep: str, target: str, translations: list[str]) -> list[str]:
        """The shot's lines voiced in ``target``: the dub node ids, in line order."""
        voices = []
        for line, translation in zip(s.shot.lines, translations, strict=True):
            character = self.storyboard.character(line.character) if line.character else None
            speaker = Speaker.of(character) if character else None
            params = DubParams(job=self.job, line=line, character=speaker, language=target)
            voices.append(self.add("dub", f"{line.id}/{target}", ep, params, {"translation": [translation]}))
        return voices

    def release_shot(self, s: ShotNodes, ep: str, target: str, voices: list[str], subtitles: str) -> str:
        """The shot muxed again for ``target``: the master's motion, ``voices``, the localised cues burned in."""
        mux = ReleaseMuxParams(job=self.job, shot=s.shot, scene=s.scene, language=target)
        inputs = {"motion": [s.motion], "voices": voices, "subtitles": [subtitles]}
        return self.add("mux", f"{s.shot.id}/{target}", ep, mux, inputs, list_inputs=("voices",))

    def plan_release(self, nodes: EpisodeNodes, target: str, music: MusicParams | None) -> str:
        """The nodes of one episode in ``target``; returns the id of its assembly."""
        ep = nodes.episode.id
        per_shot = self.translations(nodes, target)
        if self.dub:
            shot_voices = [self.dubbed_voices(s, ep, target, ids) for s, ids in zip(nodes.shots, per_shot, strict=True)]
        else:
            shot_voices = [s.voices for s in nodes.shots]  # subtitles only: timed by the original voices
        timing = [ShotTiming(id=s.shot.id, duration=s.shot.duration, lines=s.shot.lines) for s in nodes.shots]
        subtitles = self.add(
            "localise",
            f"{ep}/{target}",
            ep,
            LocaliseParams(job=self.job, episode=nodes.header, shots=timing, language=target),
            {"voices": [v for vs in shot_voices for v in vs], "translations": [t for ids in per_shot for t in ids]},
            list_inputs=("voices", "translations"),
        )
        muxes = [
            self.release_shot(s, ep, target, voices, subtitles)
            for s, voices in zip(nodes.shots, shot_voices, strict=True)
        ]
        return self.add(
            "assembly",
            f"{ep}/{target}",
            ep,
            ReleaseAssemblyParams(job=self.job, episode=nodes.header, music=music, language=target, dub=self.dub),
            {"shots": muxes, "subtitles": [subtitles], "cover": [nodes.cover]},
            list_inputs=("shots",),
        )
