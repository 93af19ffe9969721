"""Running commands: ``plan`` (the DAG without running it), ``run`` (on Ray), ``submit`` / ``status`` /
``logs`` / ``cancel`` (as a Ray job on a cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from orchestrator.console import console, err_console, user_errors
from stages.errors import InputError, RunFailed

CONFIG_HELP = "Profile YAML (default configs/local.yaml)."
ADDRESS_HELP = "Ray dashboard address, e.g. http://HEAD:8265."

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


@commands.command()
@user_errors
def submit(
    job: Path = typer.Argument(..., help="Job spec YAML (its folder is uploaded as the Ray job's working_dir)."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    config: str | None = typer.Option(
        None, "--config", "-c", help="Profile on the cluster (e.g. configs/datong.yaml)."
    ),
    out: str | None = typer.Option(None, "--out", "-o", help="Output folder on the cluster."),
    policy: str = typer.Option("kaipai", "--policy", "-p"),
    submission_id: str | None = typer.Option(None, "--id", help="Submission id (default: Ray picks one)."),
) -> None:
    """Submit the job to a cluster as a Ray job; follow it with `kaipai status|logs|cancel ID --address`."""
    from orchestrator.submit import submit as submit_job

    job_id = submit_job(job, address, config=config, out=out, policy=policy, submission_id=submission_id)
    console.print(f"submitted {job_id}", highlight=False)
    console.print(
        f"follow it: kaipai status {job_id} --address {address}  (logs, cancel likewise)",
        highlight=False,
        markup=False,
    )


@commands.command()
@user_errors
def status(
    job_id: str = typer.Argument(..., help="Submission id."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
) -> None:
    """Status of a submitted job."""
    from orchestrator.submit import status as job_status

    typer.echo(json.dumps(job_status(job_id, address), ensure_ascii=False, indent=2))


@commands.command()
@user_errors
def logs(
    job_id: str = typer.Argument(..., help="Submission id."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
) -> None:
    """Logs of a submitted job."""
    from orchestrator.submit import logs as job_logs

    typer.echo(job_logs(job_id, address))


@commands.command()
@user_errors
def cancel(
    job_id: str = typer.Argument(..., help="Submission id."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
) -> None:
    """Stop a submitted job (finished artifacts stay in the store; submit again to resume)."""
    from orchestrator.submit import cancel as job_cancel

    if not job_cancel(job_id, address):
        raise InputError(f"job {job_id} was not running", field="JOB_ID")
    console.print(f"stopping {job_id}", highlight=False)
