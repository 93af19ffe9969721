"""What ``kaipai validate`` (and ``run``, before Ray starts) checks beyond the spec's own fields.

A music file that is not audio, a reference image that is not an image, a voice espeak-ng does not
have: each would otherwise fail late, inside a stage, retried, with only the tool's exit code. Here
each is one problem naming the spec's line and field.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.config import Profile
from orchestrator.faults import check_tools
from orchestrator.jobspec import Job
from stages.errors import InputError, Problem
from stages.media.ffmpeg_run import MediaError
from stages.media.probe import probe
from stages.models import Character
from stages.params import Speaker

MAX_MUSIC_BYTES = 200_000_000
MAX_MUSIC_SECONDS = 3 * 3600
MAX_REFERENCE_BYTES = 20_000_000
MAX_REFERENCE_SIDE = 8192
REFERENCE_FORMATS = ("PNG", "JPEG", "WEBP")


def music_problem(path: Path) -> str | None:
    """Why ``path`` cannot be the music bed, or None: too big, not decodable, or without sound."""
    size = path.stat().st_size
    if size > MAX_MUSIC_BYTES:
        return f"music file is {size} bytes; the limit is {MAX_MUSIC_BYTES}"
    try:
        info = probe(path)
    except MediaError as exc:
        return f"music file cannot be decoded: {str(exc).splitlines()[-1]}"
    if not info.has_audio:
        return "music file has no audio stream"
    if not 0 < info.duration <= MAX_MUSIC_SECONDS:
        return f"music lasts {info.duration:.1f} s; it must last between 0 and {MAX_MUSIC_SECONDS} s"
    return None


def reference_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a reference image, or None: too big, not PNG/JPEG/WebP, or not decodable."""
    from PIL import Image

    size = path.stat().st_size
    if size > MAX_REFERENCE_BYTES:
        return f"reference image is {size} bytes; the limit is {MAX_REFERENCE_BYTES}"
    try:
        with Image.open(path) as image:
            kind, (width, height) = image.format, image.size
            if kind not in REFERENCE_FORMATS:
                return f"reference image is {kind}; use {', '.join(REFERENCE_FORMATS)}"
            if max(width, height) > MAX_REFERENCE_SIDE:
                return f"reference image is {width}x{height}; at most {MAX_REFERENCE_SIDE} pixels a side"
            image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        return f"reference image cannot be decoded: {exc}"
    return None


def voice_problems(job: Job, characters: list[Character], profile: Profile | None, language: str) -> list[Problem]:
    """Each character's espeak-ng voice must exist on this machine (only for the espeak backend)."""
    if profile is None or "voice" not in profile.stages or profile.stages["voice"].backend != "espeak":
        return []
    from stages.voice.espeak import cast_voice
    from stages.voice.espeak_voices import unknown_voice_part

    options = profile.stages["voice"].options
    problems = []
    for character in [None, *characters]:
        name = character.name if character else None
        try:
            speaker = Speaker.of(character) if character else None
            why = unknown_voice_part(cast_voice(speaker, language, options).voice)
        except InputError as exc:
            why = exc.problems[0].message
        if why is None:
            continue
        if name is None:
            problems.append(Problem(f"narrator voice: {why}", field="stages.voice.options.narrator_voice"))
        else:
            problems.append(
                Problem(why, job.spec_path, job.line_of("characters", name, "voice"), f"characters.{name}.voice")
            )
    return problems


def probe_inputs(job: Job, characters: list[Character], profile: Profile | None, language: str) -> None:
    """Every file the spec names, and every voice, checked; all problems at once as one InputError.

    The tools that do the checking must exist first (a missing one is the machine's fault, exit 1).
    """
    if profile is not None:
        check_tools({name: settings.backend for name, settings in profile.stages.items()})
    problems = voice_problems(job, characters, profile, language)
    spec = job.spec
    if spec.music:
        why = music_problem(job.resolve(spec.music.path, "music.path"))
        if why:
            problems.append(Problem(why, job.spec_path, job.line_of("music", "path"), "music.path"))
    for name, character in spec.characters.items():
        if character.reference:
            field = f"characters.{name}.reference"
            why = reference_problem(job.resolve(character.reference, field))
            if why:
                problems.append(Problem(why, job.spec_path, job.line_of("characters", name, "reference"), field))
    if problems:
        raise InputError(problems=problems)
