"""Running commands: ``plan`` (the DAG without running it) and ``run`` (on Ray, here or on a cluster).
A studio's commands against the shared cluster are in ``studio.py``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from orchestrator.console import console, err_console, user_errors
from stages.errors import RunFailed

CONFIG_HELP = "Profile YAML (default configs/local.yaml)."

commands = typer.Typer()


def _profile(config: Path | None):
    from orchestrator.config import load_profile

    return load_profile(config)


@commands.command()
@user_errors
def run(
    job: Path = typer.Argument(..., help="Job spec YAML."),
    config: Path | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output folder (default out/<job folder>)."),
    address: str | None = typer.Option(
        None,
        "--address",
        help="Ray cluster to use ('auto' or HOST:PORT); default: start an embedded local Ray.",
    ),
    policy: str = typer.Option("kaipai", "--policy", "-p", help="Placement policy when the profile has zones."),
    store: Path | None = typer.Option(None, "--store", help="Artifact store (default: profile's, or OUT/.store)."),
    review: bool = typer.Option(
        False, "--review", help="Make the review cut (shot ids and camera notes on the picture) into OUT/review."
    ),
) -> None:
    """Make the job's episodes (MP4, SRT, cover) on Ray; finished work is reused, so a re-run resumes."""
    from orchestrator.jobrun import run_job
    from orchestrator.progress import make_progress

    profile = _profile(config)
    result = run_job(
        job,
        profile,
        out,
        address=address,
        policy=policy,
        observer=make_progress(err_console),
        store=store,
        config_path=config,
        review=review,
    )
    for warning in result.warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, soft_wrap=True)
    for line in result.summary():
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    if not result.ok:
        raise RunFailed("\n" + (result.report.failure_summary() or "an episode failed its quality gates (above)"))


@commands.command()
@user_errors
def plan(
    job: Path = typer.Argument(..., help="Job spec YAML."),
    config: Path | None = typer.Option(None, "--config", "-c", help=CONFIG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON (every node)."),
    policy: str = typer.Option("kaipai", "--policy", "-p", help="Placement policy when the profile has zones."),
) -> None:
    """Show the task DAG (nodes per stage, critical path, estimated time; zones when the profile has them)."""
    from orchestrator.dag import plan_dag
    from orchestrator.frontend import job_context
    from orchestrator.jobrun import planning_storyboard
    from orchestrator.planview import plan_summary

    profile = _profile(config)
    spec, script, storyboard, source = planning_storyboard(job, profile)
    dag = plan_dag(spec, storyboard, profile, context=job_context(spec, script))
    summary = plan_summary(dag, profile, policy)
    summary["storyboard"] = source
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for line in summary["text"]:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
