"""A studio's commands against the shared cluster: ``submit``, ``status``, ``logs``, ``cancel``, ``fetch``.

``submit``/``logs`` go through the dashboard's Job API (``--address http://HEAD:8265``); ``status``,
``cancel`` and ``fetch`` also ask the kaipai service through Ray Client (``--client``, default the
dashboard's host on port 10001).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from orchestrator.console import console, user_errors
from stages.errors import InputError, RunFailed

commands = typer.Typer()

ADDRESS_HELP = "Ray dashboard address, e.g. http://HEAD:8265."
CLIENT_HELP = "Ray Client address of the cluster (default: the dashboard's host, port 10001)."


@commands.command()
@user_errors
def submit(
    job: Path = typer.Argument(..., help="Job spec YAML (its folder is uploaded as the Ray job's working_dir)."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    config: str | None = typer.Option(
        None, "--config", "-c", help="Profile on the cluster (default: the one the service was started with)."
    ),
    policy: str = typer.Option("kaipai", "--policy", "-p"),
    submission_id: str | None = typer.Option(None, "--id", help="Job id (default: kaipai-<studio>-<random>)."),
) -> None:
    """Hand the job to the cluster's kaipai service; returns its id at once."""
    from orchestrator.submit import submit as submit_job

    job_id = submit_job(job, address, config=config, policy=policy, submission_id=submission_id)
    typer.echo(job_id)
    typer.echo(f"follow it: kaipai status {job_id} --address {address}  (logs, cancel, fetch likewise)", err=True)


@commands.command()
@user_errors
def status(
    job_id: str = typer.Argument(..., help="Job id (from submit)."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    client: str | None = typer.Option(None, "--client", help=CLIENT_HELP),
) -> None:
    """State, queue position, progress per stage and an ETA of a submitted job (JSON)."""
    from orchestrator.service import remote
    from orchestrator.submit import job_info

    info = job_info(job_id, address)
    try:
        record = remote.job_record(remote.client_address(address, client), job_id)
    except RunFailed as exc:  # the Ray job's own view still helps
        info["service"] = f"unavailable: {exc}"
    else:
        info["service"] = record
        if record is not None:
            info["state"] = record["state"]
    typer.echo(json.dumps(info, ensure_ascii=False, indent=2))


@commands.command()
@user_errors
def logs(
    job_id: str = typer.Argument(..., help="Job id."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
) -> None:
    """The job's driver log (progress, warnings, failures)."""
    from orchestrator.submit import logs as job_logs

    typer.echo(job_logs(job_id, address))


@commands.command()
@user_errors
def cancel(
    job_id: str = typer.Argument(..., help="Job id."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    client: str | None = typer.Option(None, "--client", help=CLIENT_HELP),
) -> None:
    """Stop a job: its queued work and slots are released, finished artifacts stay (submit again to resume)."""
    from orchestrator.service import remote
    from orchestrator.submit import stop

    released = remote.cancel(remote.client_address(address, client), job_id)
    stopped = stop(job_id, address)
    if not (released or stopped):
        raise InputError(f"job {job_id} was not running", field="JOB_ID")
    console.print(f"stopping {job_id}", highlight=False)


@commands.command()
@user_errors
def fetch(
    job_id: str = typer.Argument(..., help="Job id."),
    to: Path = typer.Option(..., "--to", help="Folder to put the episodes, storyboard and manifest in."),
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    client: str | None = typer.Option(None, "--client", help=CLIENT_HELP),
) -> None:
    """Download a finished job's episodes (MP4, SRT, cover), storyboard and manifest, checked by sha256."""
    from orchestrator.service import remote

    for path in remote.fetch(remote.client_address(address, client), job_id, to):
        typer.echo(str(path))
