"""The job spec a studio writes (YAML), validated by pydantic with errors that name the line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.yamlfile import Loc, line_of, load_validated, read_text_limited
from stages.errors import InputError
from stages.models import CharacterSpec
from stages.platforms import PLATFORM_PRESETS
from stages.spectypes import LINE_BREAKS, MultilineText, PlainText, Seed, bounded_float, bounded_int, control_characters
from stages.strict import StrictModel
from stages.translate.languages import LANGUAGE_CODE, MAX_LANGUAGES

MAX_SCRIPT_BYTES = 2_000_000
MAX_CHARACTERS = 500
MAX_EPISODES = 1000
READING_SPEED_RANGE = (0.5, 30.0)  # characters (zh) or words (en) per second

Volume = bounded_float(0, 1)
EpisodeNumber = bounded_int(1, MAX_EPISODES)
Side = bounded_int(64, 4096)
Fps = bounded_int(1, 60)
ReadingSpeed = bounded_float(*READING_SPEED_RANGE)
Priority = bounded_int(0, 9)

ASPECT_RESOLUTIONS: dict[str, tuple[int, int]] = {"9:16": (720, 1280), "16:9": (1280, 720)}


class _Spec(StrictModel):
    model_config = ConfigDict(str_strip_whitespace=True)


class MusicSpec(_Spec):
    path: PlainText = Field(min_length=1, max_length=500, description="Music file, relative to the spec's folder.")
    volume: Volume = 0.25
    duck: bool = Field(True, strict=True, description="Lower the music under speech.")


class JobSpec(_Spec):
    """A job: which script, which episodes, how the result should look."""

    studio: PlainText = Field(min_length=1, max_length=200)
    title: PlainText = Field(min_length=1, max_length=200)
    script: MultilineText = Field(
        min_length=1,
        description="Path to the script, relative to the spec's folder; text with a line break is the script itself.",
    )
    script_format: Literal["auto", "zh", "fountain"] = "auto"
    episodes: Literal["all"] | list[EpisodeNumber] = Field(
        "all", max_length=MAX_EPISODES, description="'all' or a list of episode numbers."
    )
    aspect: Literal["9:16", "16:9"] | None = Field(None, description="Default 9:16 (vertical).")
    resolution: tuple[Side, Side] | None = Field(
        None, description="[width, height]; default from the aspect (720x1280 or 1280x720)."
    )
    fps: Fps | None = None
    style: PlainText = Field("", max_length=500, description="Visual style added to every image prompt.")
    language: Literal["auto", "zh", "en"] = "auto"
    seed: Seed = Field(0, description="Base seed of the whole job.")
    reading_speed: ReadingSpeed | None = Field(
        None, description="Characters (zh) or words (en) per second for shot durations."
    )
    characters: dict[PlainText, CharacterSpec] = Field(default_factory=dict, max_length=MAX_CHARACTERS)
    music: MusicSpec | None = None
    platform: PlainText = Field("none", description=f"Platform preset: {', '.join(PLATFORM_PRESETS)}.")
    priority: Priority = Field(5, description="0 lowest, 9 highest.")
    languages: list[Annotated[str, Field(pattern=LANGUAGE_CODE.pattern)]] = Field(
        default_factory=list,
        max_length=MAX_LANGUAGES,
        description="Releases in other languages (en, es, id …): subtitles, and a dub when asked.",
    )
    dub: bool = Field(False, strict=True, description="Also voice the translated lines (TTS in each language).")
    translations: dict[Annotated[str, Field(pattern=LANGUAGE_CODE.pattern)], PlainText] = Field(
        default_factory=dict,
        max_length=MAX_LANGUAGES,
        description="A studio's own translations per language: a source,translation CSV (relative to the spec).",
    )
    burn_subtitles: bool = Field(
        True, strict=True, description="Releases: burn the subtitles into the picture (a soft track is always added)."
    )
    glossary: dict[PlainText, PlainText] = Field(
        default_factory=dict,
        max_length=500,
        description="Spellings of names in every translation (林晚: Lin Wan, 云冈寺: Yungang Temple).",
    )

    @field_validator("languages")
    @classmethod
    def _distinct_languages(cls, value: list[str]) -> list[str]:
        repeated = sorted({code for code in value if value.count(code) > 1})
        if repeated:
            raise ValueError(f"languages listed twice: {', '.join(repeated)}")
        return value

    @field_validator("platform")
    @classmethod
    def _known_platform(cls, value: str) -> str:
        if value not in PLATFORM_PRESETS:
            raise ValueError(f"unknown platform {value!r}; choose one of {', '.join(PLATFORM_PRESETS)}")
        return value

    @field_validator("resolution", mode="before")
    @classmethod
    def _resolution_text(cls, value: object) -> object:
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", value)
            if not m:
                raise ValueError("resolution is WIDTHxHEIGHT, e.g. 720x1280")
            return (int(m.group(1)), int(m.group(2)))
        return value

    @model_validator(mode="after")
    def _even_resolution(self) -> JobSpec:
        if self.resolution and (self.resolution[0] % 2 or self.resolution[1] % 2):
            raise ValueError("resolution must be even in both dimensions (H.264)")
        return self

    # --- derived settings (the spec wins over the platform preset, which wins over defaults)

    @property
    def final_aspect(self) -> str:
        return self.aspect or PLATFORM_PRESETS[self.platform].aspect

    @property
    def size(self) -> tuple[int, int]:
        return self.resolution or ASPECT_RESOLUTIONS[self.final_aspect]

    @property
    def final_fps(self) -> int:
        return self.fps or PLATFORM_PRESETS[self.platform].fps

    @property
    def script_is_inline(self) -> bool:
        return "\n" in self.script


class Job(BaseModel):
    """A loaded job: the validated spec, where it lives, and its script text."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    spec: JobSpec
    spec_path: Path
    folder: Path
    script_text: str
    script_path: Path | None  # None for an inline script
    lines: dict[Loc, int] = Field(default_factory=dict)

    def line_of(self, *loc: str | int) -> int | None:
        return line_of(self.lines, loc)

    def resolve(self, relative: str, field: str) -> Path:
        return resolve_inside(self.folder, relative, self.spec_path, self.line_of(*field.split(".")), field)


def resolve_inside(folder: Path, relative: str, spec_path: Path, line: int | None, field: str) -> Path:
    """A path from the spec, which must stay inside the spec's folder (no ``..``, no absolute paths)."""
    candidate = Path(relative)
    if candidate.is_absolute():
        raise InputError(
            "absolute paths are not allowed; give a path inside the job's folder",
            file=spec_path,
            line=line,
            field=field,
        )
    root = folder.resolve()
    resolved = (root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise InputError(f"{relative!r} is outside the job's folder {root}", file=spec_path, line=line, field=field)
    return resolved


def load_job(spec_path: str | Path) -> Job:
    """Load and validate a job spec and read its script (not parse it). Raises InputError."""
    spec_path = Path(spec_path)
    spec, lines = load_validated(spec_path, JobSpec, "job spec", "studio:, title:, script:")
    folder = spec_path.resolve().parent
    job = Job(spec=spec, spec_path=spec_path, folder=folder, script_text="", script_path=None, lines=lines)
    if spec.script_is_inline:
        if len(spec.script.encode()) > MAX_SCRIPT_BYTES:
            raise InputError(
                f"inline script is over {MAX_SCRIPT_BYTES} bytes",
                file=spec_path,
                line=job.line_of("script"),
                field="script",
            )
        job.script_text = spec.script
    else:
        path = job.resolve(spec.script, "script")
        if not path.exists():
            raise InputError(
                f"script file {spec.script!r} not found (looked in {folder})",
                file=spec_path,
                line=job.line_of("script"),
                field="script",
            )
        job.script_path = path
        job.script_text = read_text_limited(path, MAX_SCRIPT_BYTES, "script")
        refuse_control_characters(job.script_text, path)
    for name, character in spec.characters.items():
        if character.reference:
            ref = job.resolve(character.reference, f"characters.{name}.reference")
            if not ref.is_file():
                raise InputError(
                    f"reference image {character.reference!r} not found",
                    file=spec_path,
                    line=job.line_of("characters", name, "reference"),
                    field=f"characters.{name}.reference",
                )
    if spec.music:
        music = job.resolve(spec.music.path, "music.path")
        if not music.is_file():
            raise InputError(
                f"music file {spec.music.path!r} not found",
                file=spec_path,
                line=job.line_of("music", "path"),
                field="music.path",
            )
    return job


def refuse_control_characters(text: str, path: Path) -> None:
    """A script file with NUL, ESC or another control character is refused at the line that has it."""
    found = control_characters(text, LINE_BREAKS)
    if found:
        pos, code = found[0]
        line = text.count("\n", 0, pos) + 1
        raise InputError(f"control character {code} is not allowed in a script", file=path, line=line)


def job_schema() -> dict:
    return JobSpec.model_json_schema()
