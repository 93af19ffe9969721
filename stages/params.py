"""What the planner hands each stage as ``params``: the contract between ``orchestrator/dag.py`` and
the stage backends, one typed model per stage. A node's params are the dump of its model, and the
dump is exactly what its artifact key hashes, so a key holds what the output depends on and nothing
else: pictures see a character's look (:class:`CharacterLook`), voices its voice (:class:`Speaker`).

    stage       unit        params (model)                                     inputs
    storyboard  script      StoryboardParams: job, script, characters          -
    character   character   CharacterParams: job, character (look)             -
    keyframe    shot        KeyframeParams: job, episode, scene, shot, looks   characters: [character]
    motion      shot        MotionParams: job, shot (picture)                  keyframe: keyframe
    voice       line        VoiceParams: job, line, character (speaker|None)   -
    subtitles   episode     SubtitlesParams: job, episode, shots (timing)      voices: [voice] (line order)
    mux         shot        MuxParams: job, shot (a whole Shot), scene         motion, voices: [voice]
    sound       episode     SoundParams: job, episode, music, shots (lines,    voices: [voice] (line order)
                            scene), ambience
    assembly    episode     AssemblyParams: job, episode, music (or None)      shots: [mux], subtitles, cover: keyframe,
                                                                               sound
    gates       episode     GatesParams: job, episode                          episode: assembly, subtitles, sound

    A release in another language (``orchestrator/releases.py``) adds, per language:
    translate   line        TranslateParams: line text, source, target, scene   -
                            heading and previous lines (context), glossary
    dub         line        DubParams: VoiceParams + language                   translation: translate,
                                                                                original: voice (its slot)
    localise    episode     LocaliseParams: SubtitlesParams + language          voices, translations
    mux         shot        ReleaseMuxParams: MuxParams (with scene) + language motion (the master's),
                            + burn                                              voices, translations (its lines)
    assembly    episode     ReleaseAssemblyParams: + language, dub              shots: [release mux], ...
    stem        episode     StemParams: music, shots (scenes), ambience         shots: [mux], master: assembly

Each stage's output files are :data:`OUTPUTS`; its meta names the main one as ``file``. Voice metas
carry ``duration``, ``samples``, ``speech`` and ``pauses`` (where the speech is in the clip); mux
metas ``frames``, ``samples``, ``cues``, ``speech`` and ``text`` (every burned text's box); the
subtitles' ``lines`` (each line's cue span); the assembly's ``duration``, ``planned``, ``shots``,
``text``, ``speech``, ``covers``; the gates' ``passed``, ``gates`` and ``failed``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from stages.models import CameraMove, Character, Line, Scene, Script, Shot, ShotSize
from stages.strict import StrictModel


class JobContext(StrictModel):
    """The job-wide settings a stage may use. Only what changes outputs belongs here."""

    title: str
    width: int
    height: int
    fps: int
    aspect: Literal["9:16", "16:9"]
    style: str = ""
    language: Literal["zh", "en"] = "zh"
    seed: int = 0
    platform: str = "none"  # a key of stages.platforms.PLATFORM_PRESETS: safe areas, loudness, labels
    review: bool = False  # a review cut: internal shot ids and camera notes drawn on the picture


class MusicParams(StrictModel):
    path: str  # absolute path on the shared filesystem
    sha256: str  # so a changed file changes the key even at the same path
    volume: float = 0.25
    duck: bool = True


class EpisodeHeader(StrictModel):
    id: str
    number: int
    title: str = ""


# ---------------------------------------------------------------- what a picture or a voice sees


class CharacterLook(StrictModel):
    """What a picture of a character depends on: who, how they look, their seed and reference image.

    Never the voice: re-voicing a character re-renders none of their sheets, keyframes or clips.
    """

    name: str
    appearance: str = ""
    seed: int = 0
    reference: str | None = None

    @classmethod
    def of(cls, character: Character) -> CharacterLook:
        return cls(
            name=character.name, appearance=character.appearance, seed=character.seed, reference=character.reference
        )


FEMALE_WORDS = re.compile(
    r"女|她|姑娘|小姐|妈|姐|妹|奶奶|阿姨|夫人|太太"
    r"|\b(woman|girl|she|her|female|lady|mother|sister|wife|queen|daughter)\b",
    re.I,
)
MALE_WORDS = re.compile(
    r"男|他|先生|爸|哥|弟|爷|叔|少爷|总裁"
    r"|\b(man|boy|he|his|male|gentleman|father|brother|husband|king|son)\b",
    re.I,
)


def appearance_gender(appearance: str) -> Literal["f", "m"] | None:
    """What an appearance text says a voice should read as, when its words lean one way."""
    female, male = len(FEMALE_WORDS.findall(appearance)), len(MALE_WORDS.findall(appearance))
    if female == male:
        return None
    return "f" if female > male else "m"


class Speaker(StrictModel):
    """What a voice line depends on: who speaks, and their voice, pitch, speed and seed.

    ``gender`` is the hint a backend uses to cast a voice variant or pitch the spec leaves open; it
    is read from the appearance only then, so a fully voiced character's look never reaches a voice key.
    """

    name: str
    voice: str = ""
    pitch: int | None = None
    speed: int | None = None
    seed: int = 0
    gender: Literal["f", "m"] | None = None

    @classmethod
    def of(cls, character: Character) -> Speaker:
        open_casting = not character.voice or character.pitch is None
        return cls(
            name=character.name,
            voice=character.voice,
            pitch=character.pitch,
            speed=character.speed,
            seed=character.seed,
            gender=appearance_gender(character.appearance) if open_casting else None,
        )


class ShotPicture(StrictModel):
    """A shot as its keyframe and motion clip see it: what is seen, never what is said.

    The spoken lines are left out, and ``duration`` is the profile's clip length (the planned
    duration grows with the lines): the mux fits each clip to the length the voices decide. So an
    edited line of dialogue never re-renders a keyframe or a motion clip.
    """

    id: str
    scene: str
    size: ShotSize
    camera: CameraMove
    duration: float
    characters: list[str] = Field(default_factory=list)
    prompt: str
    action: str = ""
    reason: str = ""

    @classmethod
    def of(cls, shot: Shot, clip_seconds: float) -> ShotPicture:
        seen = shot.model_dump(mode="json", exclude={"lines", "captions"})  # on-screen text is the subtitles' job
        return cls.model_validate({**seen, "duration": clip_seconds})


class ShotTiming(StrictModel):
    """A shot as the subtitles see it: its planned length and its lines."""

    id: str
    duration: float
    lines: list[Line] = Field(default_factory=list)


# ---------------------------------------------------------------- the params of each stage


class StageParams(StrictModel):
    """Every stage's params carry the job's context."""

    job: JobContext

    def dump(self) -> dict[str, Any]:
        """The params as the node carries them and its key hashes."""
        return self.model_dump(mode="json")


class StoryboardParams(StageParams):
    script: Script
    characters: list[Character]
    reading_speed: float | None = None  # the spec's, for both languages

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"reading_speed"} if self.reading_speed is None else set())


class CharacterParams(StageParams):
    character: CharacterLook


class _Rerollable(StageParams):
    """A model-generated picture's params: ``seed`` is set only when a failed gate re-rolls the shot
    (``orchestrator/rerolls.py``); unset, it stays out of the dump, so first takes keep their keys."""

    seed: int | None = None

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"seed"} if self.seed is None else set())


class KeyframeParams(_Rerollable):
    episode: EpisodeHeader
    scene: Scene
    shot: ShotPicture
    characters: list[CharacterLook]  # the shot's cast with a sheet, in the order of the ``characters`` input


class MotionParams(_Rerollable):
    shot: ShotPicture


class VoiceParams(StageParams):
    line: Line
    character: Speaker | None  # None: a narrator the spec does not describe


class SubtitlesParams(StageParams):
    episode: EpisodeHeader
    shots: list[ShotTiming]


class MuxParams(StageParams):
    shot: Shot  # a whole Shot: its planned length and lines (the stage validates it)
    scene: Scene | None = None  # its heading (drawn), place and time (the ambience bed)


class AssemblyParams(StageParams):
    episode: EpisodeHeader
    music: MusicParams | None


class SoundShot(StrictModel):
    """A shot as the episode's sound sees it: its planned length, how many lines (voices, in order)
    it has, and its scene (the ambience bed; the shot's id seeds it)."""

    id: str
    duration: float
    lines: int
    scene: Scene | None = None


class SoundParams(StageParams):
    """The episode's finished sound, made from the voices alone (``stages.sound``)."""

    episode: EpisodeHeader
    music: MusicParams | None
    shots: list[SoundShot]
    ambience: bool = True  # the muxes' option: their shots have the bed


class GatesParams(StageParams):
    episode: EpisodeHeader


# ---------------------------------------------------------------- releases in other languages


class TranslateParams(StrictModel):
    """One spoken line into one language; the glossary spells names one way (no job context: the
    translation of a line does not depend on the picture's size or the title)."""

    id: str
    text: str = Field(max_length=2000)
    character: str | None = None
    source: str
    target: str
    glossary: dict[str, str] = Field(default_factory=dict)
    scene: str = ""  # the scene's heading: where and when (context for the translator)
    context: list[str] = Field(default_factory=list, max_length=8)  # the scene's previous lines, oldest first
    given: str | None = Field(None, max_length=2000)  # the studio's own translation (spec ``translations:``)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"given"} if self.given is None else set())


class LocaliseParams(SubtitlesParams):
    language: str  # the target: its lines come from the ``translations`` input, in line order


class DubParams(VoiceParams):
    language: str  # the target: the words come from the ``translation`` input


class ReleaseMuxParams(MuxParams):
    """A shot of a release muxed again: the master's motion clip, the voices the release uses (the
    original ones, or the dubbed ones), its scene's ambience, and the cues of its own lines'
    translations (its ``translations`` input, in line order) burned in unless ``burn`` is off."""

    language: str
    burn: bool = True


class ReleaseAssemblyParams(AssemblyParams):
    language: str
    dub: bool = False


class StemShot(StrictModel):
    """A shot as the M&E stem sees it: its scene (the ambience bed) and its id (the bed's seed)."""

    id: str
    scene: Scene | None = None


class StemParams(StrictModel):
    """The episode's music and ambience without dialogue; the shots' lengths come from the master's muxes."""

    episode: str
    music: MusicParams | None
    shots: list[StemShot] = Field(default_factory=list)
    ambience: bool = False  # the master's shots have the bed (the mux's option)
    platform: str = "none"  # its loudness target: the stem gets the master's gain

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


PARAMS: dict[str, type[StrictModel]] = {
    "storyboard": StoryboardParams,
    "character": CharacterParams,
    "keyframe": KeyframeParams,
    "motion": MotionParams,
    "voice": VoiceParams,
    "subtitles": SubtitlesParams,
    "mux": MuxParams,
    "assembly": AssemblyParams,
    "sound": SoundParams,
    "gates": GatesParams,
    "translate": TranslateParams,
    "localise": LocaliseParams,
    "dub": DubParams,
    "stem": StemParams,
}


# The files every backend of a stage writes (the first is the main one, ``meta["file"]``).
OUTPUTS: dict[str, tuple[str, ...]] = {
    "storyboard": ("storyboard.json",),
    "character": ("sheet.png",),
    "keyframe": ("keyframe.png",),
    "motion": ("clip.mp4",),
    "voice": ("line.wav",),
    "subtitles": ("episode.ass", "episode.srt"),
    "mux": ("shot.mp4", "shot.wav"),
    "assembly": ("episode.mp4", "episode.srt", "cover.jpg"),
    "sound": ("sound.m4a", "speech.npy"),
    "gates": ("gates.json",),
    "translate": ("translation.json",),
    "localise": ("episode.ass", "episode.srt"),
    "dub": ("line.wav",),
    "stem": ("me.wav",),
}
