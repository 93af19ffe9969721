"""Commands on the job spec and script: ``schema``, ``validate``, ``storyboard``.

The front end, profiles and job spec are imported inside the commands: every ``kaipai`` command
imports this module, and they took a third of a second to load (``kaipai simulate`` needs none).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table

from orchestrator.console import console, user_errors, warn

if TYPE_CHECKING:
    from orchestrator.jobspec import Job
    from stages.models import Storyboard
    from stages.parsing import Parsed

JobArg = typer.Argument(..., help="The job spec (YAML).", show_default=False)
ConfigOpt = typer.Option(None, "--config", "-c", help="Profile (default configs/local.yaml).")

commands = typer.Typer()


@commands.command()
@user_errors
def schema(
    profile: bool = typer.Option(False, "--profile", help="The profile's schema, every backend's options included."),
) -> None:
    """Print the JSON Schema of the job spec, or of a profile (for editors' autocompletion)."""
    from orchestrator.config import profile_schema
    from orchestrator.jobspec import job_schema

    console.print_json(json.dumps(profile_schema() if profile else job_schema(), ensure_ascii=False))


@commands.command()
@user_errors
def validate(
    job: Path = JobArg,
    config: Path | None = ConfigOpt,
    explain: bool = typer.Option(False, "--explain", help="Show how each script line was read and why."),
) -> None:
    """Check a job spec and parse its script; print a summary. Exit 2 with FILE:LINE on errors."""
    from orchestrator import frontend
    from orchestrator.config import load_profile
    from orchestrator.probes import probe_inputs

    profile = load_profile(config)
    if explain:
        print_readings(*frontend.read(job))
    loaded, script, warnings = frontend.load(job)
    characters, character_warnings = frontend.characters_for(loaded, script)
    probe_inputs(loaded, characters, profile, script.language)
    storyboard = frontend.storyboard_rules(loaded, script, profile)
    warnings += character_warnings + frontend.language_warnings(loaded, script, profile)
    source = loaded.script_path.name if loaded.script_path else "inline"
    out = console.print
    out(f"[green]ok[/green] {escape(f'{job}: {loaded.spec.title} ({loaded.spec.studio})')}", highlight=False)
    out(
        f"  script    {source}, format {script.format}, language {script.language}"
        + (f", title {script.title}" if script.title else ""),
        highlight=False,
    )
    for ep_script, episode in zip(script.episodes, storyboard.episodes, strict=True):
        lines = episode.lines()
        seconds = sum(shot.duration for shot in episode.shots)
        out(
            f"  episode {episode.number:<2} {episode.title or '-'}: {len(ep_script.scenes)} scenes, "
            f"{len(lines)} lines, {len(episode.shots)} shots, about {seconds:.0f} s",
            highlight=False,
        )
    out(f"  speakers  {', '.join(script.speakers()) or '-'}", highlight=False)
    out(
        f"  cast      {', '.join(c.name + ('' if c.described else '*') for c in characters) or '-'}"
        + ("   (* not in the spec: default look and voice)" if any(not c.described for c in characters) else ""),
        highlight=False,
    )
    out(f"  warnings  {len(warnings)}", highlight=False)
    warn(warnings)


def print_readings(loaded: Job, parsed: Parsed) -> None:
    """One row per non-blank script line: line number, what it became, the speaker, the rule."""
    table = Table(title=f"{parsed.file}: how each line was read", show_lines=False, title_justify="left")
    for column in ("line", "kind", "speaker", "text", "why"):
        table.add_column(column, overflow="fold", style="dim" if column == "why" else None)
    for r in parsed.readings:
        table.add_row(str(r.line), r.kind, escape(r.speaker or ""), escape(r.text[:60]), escape(r.why))
    console.print(table, highlight=False)


@commands.command()
@user_errors
def storyboard(
    job: Path = JobArg,
    as_json: bool = typer.Option(False, "--json", help="Print the storyboard JSON on stdout, nothing else."),
    config: Path | None = ConfigOpt,
) -> None:
    """Parse the script and make the rule-based storyboard (no rendering)."""
    from orchestrator import frontend
    from orchestrator.config import load_profile
    from stages.storyboard.rules import storyboard_json

    profile = load_profile(config)
    loaded, script, warnings = frontend.load(job)
    board = frontend.storyboard_rules(loaded, script, profile)
    warnings += frontend.characters_for(loaded, script)[1]
    warn(warnings)
    if as_json:
        sys.stdout.write(json.dumps(storyboard_json(board), ensure_ascii=False, indent=2) + "\n")
        return
    print_storyboard(board)


def print_storyboard(board: Storyboard) -> None:
    """One rich table per episode: shot, framing, duration, who, and what is seen and said."""
    for episode in board.episodes:
        total = sum(shot.duration for shot in episode.shots)
        table = Table(
            title=f"{board.title} · {episode.id} {episode.title}  ({len(episode.shots)} shots, {total:.1f} s)",
            show_lines=True,
            title_justify="left",
        )
        table.add_column("shot", no_wrap=True)
        table.add_column("size / camera")
        table.add_column("s", justify="right")
        table.add_column("who")
        table.add_column("action and lines", ratio=3)
        table.add_column("why", ratio=2, style="dim")
        headings = {scene.id: scene.heading for scene in episode.scenes}
        scene = None
        for shot in episode.shots:
            if shot.scene != scene:
                scene = shot.scene
                heading = escape(headings.get(scene, ""))
                table.add_row(f"[bold]{scene}[/bold]", "", "", "", f"[bold]{heading}[/bold]", "")
            said = []
            for line in shot.lines:
                who = line.character or ("旁白" if board.language == "zh" else "NARRATOR")
                mood = f"({line.parenthetical})" if line.parenthetical else ""
                kind = f" [{line.kind}]" if line.kind != "dialogue" else ""
                said.append(escape(f"{who}{mood}{kind}: {line.text}"))
            what = "\n".join(([f"[italic]{escape(shot.action)}[/italic]"] if shot.action else []) + said)
            table.add_row(
                shot.id.rsplit("-", 1)[-1],
                f"{shot.size}\n{shot.camera}",
                f"{shot.duration:.1f}",
                escape(", ".join(shot.characters)),
                what,
                escape(shot.reason),
            )
        console.print(table, highlight=False)
