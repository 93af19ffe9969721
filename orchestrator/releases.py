"""Releases in other languages (出海): the extra nodes ``languages:`` adds to an episode's plan.

Per target language and episode: a ``translate`` node per spoken line (with its scene's heading and
previous lines as context, and the series' glossary of character and place names), subtitles in that
language (``localise``, timed by the voices the release uses), a release ``mux`` per shot and an
``assembly`` of those shots, which also carries the subtitles as a soft track. Keyframes and motion
clips are never made again for a language: a release shot is muxed from the master's clip (same
keys), with the scene's ambience and the cues of its own lines' translations burned in (unless the
spec says ``burn_subtitles: false``). So a release mux depends only on its shot's translations and
voices: an edited line re-encodes its shot's release (and the shots of the lines that read it as
context), never the whole episode. A subtitles-only release keeps the original voices; with
``dub: true`` (and a ``dub`` stage in the profile) each line is also voiced in the language, fitted
to the original line's slot. Each episode gets an M&E stem. A language the profile cannot make is
left out here; ``validate`` and ``run`` say why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stages.errors import InputError
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
    StemShot,
    TranslateParams,
)
from stages.translate.given import missing_lines, read_given
from stages.translate.glossary import build_glossary
from stages.translate.languages import release_languages_wanted
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
    """The master's nodes of one episode: per shot, the cover's keyframe and the master's assembly."""

    episode: Episode
    header: EpisodeHeader
    shots: list[ShotNodes]
    cover: str
    assembly: str = ""  # its loudness gain is the M&E stem's


AddNode = Callable[..., str]


def wanted_languages(job: Any) -> list[str]:
    """The spec's ``languages`` merged with its platform preset's (``stages/platforms/presets.py``)."""
    spec = job.spec
    return release_languages_wanted(list(getattr(spec, "languages", [])), str(getattr(spec, "platform", "none")))


def given_translations(job: Any) -> dict[str, dict[str, str]]:
    """Per language, the studio's own translations (the spec's ``translations:`` CSVs): source -> text."""
    tables = {}
    for code, relative in dict(getattr(job.spec, "translations", {}) or {}).items():
        field = f"translations.{code}"
        path = job.resolve(relative, field)
        if not path.is_file():
            line = job.line_of("translations", code)
            raise InputError(f"translations file not found: {relative}", file=job.spec_path, line=line, field=field)
        tables[code] = read_given(path, field)
    return tables


def spoken_texts(storyboard: Storyboard) -> list[str]:
    return [line.text for episode in storyboard.episodes for shot in episode.shots for line in shot.lines]


def release_languages(
    job: Any, source: str, profile: Any, given: dict[str, dict[str, str]] | None = None, lines: list[str] = ()
) -> list[str]:
    """The wanted languages other than the script's own that this profile can make: with a model, or
    with every one of ``lines`` in the studio's own translations (``given``)."""
    settings = profile.stages.get("translate")
    backend = settings.backend if settings else None
    wanted = [code for code in wanted_languages(job) if code != source]
    given = given or {}
    covered = {code for code, table in given.items() if not missing_lines(table, list(lines))}
    return [code for code in wanted if code in covered or not cannot_make(source, [code], backend)]


def dubbing(job: Any, profile: Any) -> bool:
    """Dub when the spec asks and the profile has a dub backend (else subtitles only; validate says so)."""
    return bool(getattr(job.spec, "dub", False)) and "dub" in profile.stages


def context_lines(profile: Any) -> int:
    """How many of its scene's previous lines each line is translated with (the translate backend's option)."""
    settings = profile.stages.get("translate")
    return int(getattr(settings.options, "context_lines", 0)) if settings is not None else 0


def mux_ambience(profile: Any) -> bool:
    """Whether the master's shots have an ambience bed (the mux's option), so the M&E stem has it too."""
    settings = profile.stages.get("mux")
    return bool(getattr(settings.options, "ambience", False)) if settings is not None else False


def glossary_of(storyboard: Storyboard, given: dict[str, str] | None = None) -> dict[str, str]:
    """One spelling per character name and per proper place name of the headings, for the whole series."""
    places = [scene.location for episode in storyboard.episodes for scene in episode.scenes]
    return build_glossary((c.name for c in storyboard.characters), given, places)


def scene_context(scene: Scene | None) -> str:
    """Where and when a scene is, for the translator: ``修缮队办公室 (day, interior)``.

    Its place, time and setting, never its number: renumbering scenes re-translates nothing.
    """
    if scene is None:
        return ""
    setting = {True: "interior", False: "exterior"}.get(scene.interior) if scene.interior is not None else None
    when = ", ".join(part for part in (scene.time if scene.time != "unknown" else "", setting or "") if part)
    flashback = ", flashback" if scene.flashback else ""
    return f"{scene.location or scene.heading} ({when}{flashback})" if when or flashback else scene.location


@dataclass
class Releases:
    """What every release of a job shares: the languages, the glossary, whether to dub, how to translate."""

    add: AddNode
    job: JobContext
    storyboard: Storyboard
    languages: list[str]
    dub: bool
    glossary: dict[str, str] = field(default_factory=dict)
    context_lines: int = 0
    burn: bool = True  # subtitles burned into each release's picture (always also a soft track)
    ambience: bool = False  # the master's shots carry an ambience bed: the M&E stem carries it too
    given: dict[str, dict[str, str]] = field(default_factory=dict)  # the studio's translations per language

    def plan_episode(self, nodes: EpisodeNodes, music: MusicParams | None) -> None:
        """The M&E stem of the episode, then its release in each language."""
        if not self.languages:
            return
        self.plan_stem(nodes, music)
        for target in self.languages:
            self.plan_release(nodes, target, music)

    def plan_stem(self, nodes: EpisodeNodes, music: MusicParams | None) -> str:
        """Music and the scenes' ambience without dialogue, as long as the episode, at the master's gain."""
        ep = nodes.episode.id
        shots = [StemShot(id=s.shot.id, scene=s.scene) for s in nodes.shots]
        stem = StemParams(episode=ep, music=music, shots=shots, ambience=self.ambience, platform=self.job.platform)
        inputs = {"shots": [s.mux for s in nodes.shots]}
        if nodes.assembly:
            inputs["master"] = [nodes.assembly]
        return self.add("stem", ep, ep, stem.dump(), inputs, list_inputs=("shots",))

    def translations(self, nodes: EpisodeNodes, target: str) -> list[list[str]]:
        """Per shot, the translate node of each of its lines, each with its scene's previous lines as context."""
        ep, source = nodes.episode.id, self.job.language
        said: dict[str, list[str]] = {}  # scene id -> its lines so far, in order
        per_shot = []
        for s in nodes.shots:
            earlier = said.setdefault(s.shot.scene, [])
            ids = []
            for line in s.shot.lines:
                context = earlier[-self.context_lines :] if self.context_lines else []
                params = TranslateParams(
                    id=line.id,
                    text=line.text,
                    character=line.character,
                    source=source,
                    target=target,
                    glossary=self.glossary,
                    scene=scene_context(s.scene),
                    context=context,
                    given=self.given.get(target, {}).get(line.text.strip()),
                )
                ids.append(self.add("translate", f"{line.id}/{target}", ep, params.dump(), {}))
                earlier.append(line.text)
            per_shot.append(ids)
        return per_shot

    def dubbed_voices(self, s: ShotNodes, ep: str, target: str, translations: list[str]) -> list[str]:
        """The shot's lines voiced in ``target`` (fitted to the original voices' slots): dub node ids, in line order."""
        voices = []
        for line, translation, original in zip(s.shot.lines, translations, s.voices, strict=True):
            character = self.storyboard.character(line.character) if line.character else None
            speaker = Speaker.of(character) if character else None
            params = DubParams(job=self.job, line=line, character=speaker, language=target)
            inputs = {"translation": [translation], "original": [original]}
            voices.append(self.add("dub", f"{line.id}/{target}", ep, params, inputs))
        return voices

    def release_shot(self, s: ShotNodes, ep: str, target: str, voices: list[str], translations: list[str]) -> str:
        """The shot muxed again for ``target``: the master's motion, ``voices``, its lines' translations burned in."""
        mux = ReleaseMuxParams(job=self.job, shot=s.shot, scene=s.scene, language=target, burn=self.burn)
        inputs = {"motion": [s.motion], "voices": voices, "translations": translations}
        return self.add("mux", f"{s.shot.id}/{target}", ep, mux, inputs, list_inputs=("voices", "translations"))

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
            self.release_shot(s, ep, target, voices, ids)
            for s, voices, ids in zip(nodes.shots, shot_voices, per_shot, strict=True)
        ]
        return self.add(
            "assembly",
            f"{ep}/{target}",
            ep,
            ReleaseAssemblyParams(job=self.job, episode=nodes.header, music=music, language=target, dub=self.dub),
            {"shots": muxes, "subtitles": [subtitles], "cover": [nodes.cover]},
            list_inputs=("shots",),
        )
