"""The data that flows between stages: the parsed Script and the Storyboard.

Both are plain pydantic models so they serialise to the JSON formats of DESIGN.md and can be
hashed for content addressing (``model_dump_json`` is deterministic for the same data).
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from stages.spectypes import PlainText, Seed, bounded_int
from stages.strict import StrictModel

SpokenKind = Literal["dialogue", "voiceover", "narration"]
BeatKind = Literal["action", "dialogue", "voiceover", "narration", "transition", "caption"]  # caption: on-screen text
ShotSize = Literal["close-up", "medium close-up", "medium", "full", "wide"]
CameraMove = Literal["static", "push-in", "pull-out", "pan", "track", "follow"]
TimeOfDay = Literal["day", "night", "dawn", "dusk", "unknown"]
Pitch = bounded_int(0, 99)
WordsPerMinute = bounded_int(80, 450)


class CharacterSpec(StrictModel):
    """How a character looks and sounds, as the job spec gives it. Anything left out is derived from the name."""

    model_config = ConfigDict(str_strip_whitespace=True)

    appearance: PlainText = Field("", max_length=1000, description="Visual description used in prompts and cards.")
    voice: PlainText = Field(
        "", max_length=100, description="Backend voice (espeak voice like 'cmn-latn-pinyin+f3', TTS speaker id)."
    )
    gender: Literal["female", "male", "neutral"] | None = Field(None, description="Used to pick a default voice.")
    pitch: Pitch | None = Field(None, description="Voice pitch, 0-99.")
    speed: WordsPerMinute | None = Field(None, description="Words per minute.")
    seed: Seed | None = Field(None, description="Fixed seed for this character's images (consistency).")
    reference: PlainText | None = Field(
        None, max_length=500, description="Reference image, relative to the spec's folder."
    )


# ---------------------------------------------------------------- the parsed script


class Beat(StrictModel):
    """One unit of a scene, in script order. ``line`` is the 1-based source line."""

    kind: BeatKind
    text: str
    character: str | None = None
    parenthetical: str | None = None
    line: int = 0
    flashback: bool = False
    dual: bool = False  # Fountain dual dialogue: spoken at the same time as the previous line

    @property
    def spoken(self) -> bool:
        return self.kind in ("dialogue", "voiceover", "narration")


class SceneScript(StrictModel):
    heading: str
    location: str = ""
    time: TimeOfDay = "unknown"
    interior: bool | None = None
    cast: list[str] = Field(default_factory=list)
    beats: list[Beat] = Field(default_factory=list)
    line: int = 0
    flashback: bool = False


class EpisodeScript(StrictModel):
    number: int
    title: str = ""
    scenes: list[SceneScript] = Field(default_factory=list)
    line: int = 0


class SeriesInfo(StrictModel):
    """Front matter before the first episode: series metadata, never dialogue."""

    title: str = ""
    notes: list[str] = Field(default_factory=list)
    bios: dict[str, str] = Field(default_factory=dict)  # name -> 人物小传 text
    synopsis: str = ""


class Script(StrictModel):
    """A whole series as parsed from one file (Chinese micro-drama text or Fountain)."""

    title: str = ""
    series: SeriesInfo = Field(default_factory=SeriesInfo)
    format: Literal["zh", "fountain"]
    language: Literal["zh", "en"]
    episodes: list[EpisodeScript]
    cast: list[str] = Field(default_factory=list)  # every name from cast lists and speakers, in order met

    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for ep in self.episodes:
            for scene in ep.scenes:
                for beat in scene.beats:
                    if beat.character and beat.spoken:
                        seen.setdefault(beat.character, None)
        return list(seen)


# ---------------------------------------------------------------- the storyboard


class Character(StrictModel):
    name: str
    appearance: str = ""
    voice: str = ""  # backend voice name (espeak voice, TTS speaker id); "" = derived
    pitch: int | None = None  # espeak pitch 0-99
    speed: int | None = None  # words per minute
    seed: int = 0
    reference: str | None = None  # path of a reference image, relative to the job folder
    described: bool = True  # False when the spec does not describe this speaker (defaults applied)


class Line(StrictModel):
    """A spoken line. ``id`` is unique within the storyboard (``ep01-l007``)."""

    id: str
    kind: SpokenKind
    character: str | None = None  # None for narration without a named narrator
    parenthetical: str | None = None
    text: str
    source_line: int = 0


class Scene(StrictModel):
    id: str
    heading: str
    location: str = ""
    time: TimeOfDay = "unknown"
    interior: bool | None = None
    flashback: bool = False


class Shot(StrictModel):
    id: str
    scene: str
    size: ShotSize
    camera: CameraMove
    duration: float = Field(gt=0)
    characters: list[str] = Field(default_factory=list)
    prompt: str
    action: str = ""  # the action text the shot shows (for cards and prompts)
    captions: list[str] = Field(default_factory=list)  # on-screen text the script asks for (字幕：…)
    lines: list[Line] = Field(default_factory=list)
    reason: str = ""  # why this size and camera were chosen (the rule or the LLM's note)


class Episode(StrictModel):
    id: str
    number: int
    title: str = ""
    scenes: list[Scene] = Field(default_factory=list)
    shots: list[Shot] = Field(default_factory=list)

    def lines(self) -> list[Line]:
        return [line for shot in self.shots for line in shot.lines]


class Storyboard(StrictModel):
    title: str
    language: Literal["zh", "en"] = "zh"
    characters: list[Character] = Field(default_factory=list)
    episodes: list[Episode] = Field(default_factory=list)

    def character(self, name: str) -> Character | None:
        return next((c for c in self.characters if c.name == name), None)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_defaults=False)
