"""The front of the line, in process: job spec -> Script -> characters -> rule-based Storyboard.

``kaipai validate`` and ``kaipai storyboard`` use these directly; the planner uses
:func:`job_context`, :func:`characters_for` and :func:`storyboard_params` to build the storyboard
stage's node. Every user mistake is an :class:`InputError` naming the file and line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from orchestrator.config import Profile
from orchestrator.jobspec import Job, load_job
from orchestrator.releases import given_translations
from stages.errors import InputError, Problem
from stages.models import Character, Script, Storyboard
from stages.params import JobContext, StoryboardParams
from stages.parsing import Parsed, read_script
from stages.storyboard.characters import reconcile
from stages.storyboard.options import StoryboardOptions
from stages.storyboard.rules import build_storyboard
from stages.translate.given import missing_lines
from stages.translate.languages import release_languages_wanted
from stages.translate.local import cannot_make


def load(job_path: str | Path) -> tuple[Job, Script, list[str]]:
    """Load the spec, parse its script, keep the selected episodes. Returns (job, script, warnings)."""
    job, parsed = read(job_path)
    script = select_episodes(job, parsed.script)
    if job.spec.language != "auto":
        script = script.model_copy(update={"language": job.spec.language})
    warnings = parsed.warning_texts()
    if not script.speakers():
        warnings.append(f"{script_file(job)}: the script has no spoken lines; the episodes will be silent")
    return job, script, warnings


def script_file(job: Job) -> Path:
    """Where the script's text came from (the spec itself for an inline script)."""
    return job.script_path or job.spec_path


def read(job_path: str | Path) -> tuple[Job, Parsed]:
    """The spec and its parsed script with every line's reading (for ``validate --explain``).
    Cues are resolved against the spec's character names as well as the script's own cast."""
    job = load_job(job_path)
    return job, _parse(job)


def _parse(job: Job) -> Parsed:
    known = list(job.spec.characters)
    if job.script_path:
        return read_script(job.script_text, job.spec.script_format, job.script_path, known)
    # Inline script (``script: |``): its line 1 is the line after the ``script:`` key.
    offset = job.line_of("script") or 0
    try:
        parsed = read_script(job.script_text, job.spec.script_format, job.spec_path, known)
    except InputError as exc:
        problems = [
            Problem(
                p.message,
                job.spec_path,
                p.line + offset if p.line else job.line_of("script"),
                p.field or "script",
            )
            for p in exc.problems
        ]
        raise InputError(problems=problems) from None
    parsed.warnings = [(line + offset, message) for line, message in parsed.warnings]
    parsed.readings = [replace(r, line=r.line + offset) for r in parsed.readings]
    return parsed


def select_episodes(job: Job, script: Script) -> Script:
    """Keep the episodes the spec asks for (``episodes: [1, 3]``), in script order."""
    wanted = job.spec.episodes
    if wanted == "all":
        return script
    have = [ep.number for ep in script.episodes]
    for i, number in enumerate(wanted):
        if number not in have:
            raise InputError(
                f"episode {number} is not in the script (it has {', '.join(map(str, have))})",
                file=job.spec_path,
                line=job.line_of("episodes", i),
                field="episodes",
            )
    episodes = [ep for ep in script.episodes if ep.number in wanted]
    cast: dict[str, None] = {}
    for ep in episodes:
        for scene in ep.scenes:
            cast.update(dict.fromkeys(scene.cast))
            cast.update(dict.fromkeys(b.character for b in scene.beats if b.spoken and b.character))
    return script.model_copy(update={"episodes": episodes, "cast": list(cast)})


def job_context(job: Job, script: Script | Storyboard) -> JobContext:
    """The job-wide settings every stage sees (the language comes from the script or its storyboard)."""
    spec = job.spec
    width, height = spec.size
    return JobContext(
        title=spec.title,
        width=width,
        height=height,
        fps=spec.final_fps,
        aspect=spec.final_aspect,
        style=spec.style,
        language=script.language,
        seed=spec.seed,
        platform=spec.platform,
    )


def characters_for(job: Job, script: Script) -> tuple[list[Character], list[str]]:
    """Every character of the (selected) script with look, voice and seed; warnings as text."""
    characters, notes = reconcile(script, job.spec.characters, script.language, job.spec.seed)
    warnings = []
    for spec_name, message in notes:
        if spec_name is None:
            warnings.append(f"{script_file(job)}: {message}")
        else:
            where = Problem(message, job.spec_path, job.line_of("characters", spec_name), f"characters.{spec_name}")
            warnings.append(str(where))
    return characters, warnings


def storyboard_params(job: Job, script: Script, characters: list[Character]) -> dict[str, Any]:
    """The storyboard stage's params (they make its artifact key)."""
    typed = StoryboardParams(
        job=job_context(job, script), script=script, characters=characters, reading_speed=job.spec.reading_speed or None
    )
    return typed.dump()


def storyboard_options(job: Job, profile: Profile | None) -> StoryboardOptions:
    """The profile's rules options (if its storyboard backend is ``rules``) under the spec's reading speed."""
    options: StoryboardOptions | None = None
    if profile is not None and "storyboard" in profile.stages:
        settings = profile.stages["storyboard"]
        if settings.backend == "rules" and isinstance(settings.options, StoryboardOptions):
            options = settings.options
    return StoryboardOptions.load(options, job.spec.reading_speed)


def storyboard_rules(job: Job, script: Script, profile: Profile | None = None) -> Storyboard:
    characters, _ = characters_for(job, script)
    return build_storyboard(script, characters, job_context(job, script), storyboard_options(job, profile))


SPOKEN_KINDS = ("dialogue", "voiceover", "narration")


def language_warnings(job: Job, script: Script, profile: Profile | None) -> list[str]:
    """The languages wanted (the spec's, and its platform preset's) this profile cannot make, and a
    dub it cannot do, each with why at the spec line that asked for it. A language whose every line
    the studio translated itself (``translations:``) can always be made."""
    settings = profile.stages.get("translate") if profile is not None else None
    wanted = release_languages_wanted(job.spec.languages, job.spec.platform)
    given = given_translations(job)
    spoken = [b.text for e in script.episodes for sc in e.scenes for b in sc.beats if b.kind in SPOKEN_KINDS]
    lacking = {code: missing_lines(table, spoken) for code, table in given.items()}
    problems = cannot_make(script.language, [c for c in wanted if lacking.get(c, True)], settings and settings.backend)
    warnings = []
    for code, why in problems.items():
        if lacking.get(code):
            why += f"; translations.{code} lacks {len(lacking[code])} of the lines (first: {lacking[code][0]!r})"
        if code in job.spec.languages:
            line = job.line_of("languages", job.spec.languages.index(code))
            warnings.append(str(Problem(f"cannot make {why}", job.spec_path, line)))
        else:
            line, why = job.line_of("platform"), f"platform {job.spec.platform} releases in {code}; cannot make {why}"
            warnings.append(str(Problem(why, job.spec_path, line, "platform")))
    for code in given.keys() - set(wanted):
        why = f"{code} is in neither languages nor the platform's: these translations are not released"
        warnings.append(str(Problem(why, job.spec_path, job.line_of("translations", code), f"translations.{code}")))
    if job.spec.dub and wanted and profile is not None and "dub" not in profile.stages:
        why = f"profile {profile.name!r} has no dub stage: the releases get subtitles only"
        warnings.append(str(Problem(why, job.spec_path, job.line_of("dub"), "dub")))
    return warnings
