"""Operators' commands: ``kaipai cluster up`` and ``kaipai cluster status``; and the hidden ``driver``
that ``kaipai submit`` runs on the head as each studio job's entrypoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from orchestrator.console import console, err_console, user_errors
from stages.errors import RunFailed

cluster_app = typer.Typer(help="Run the kaipai service on a Ray cluster.", no_args_is_help=True)

commands = typer.Typer()

ADDRESS_HELP = "Ray dashboard address of the cluster, e.g. http://HEAD:8265."
CLIENT_HELP = "Ray Client address (default: the dashboard's host, port 10001)."


@cluster_app.command("up")
@user_errors
def up(
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    config: Path = typer.Option(Path("configs/datong.yaml"), "--config", "-c", help="Profile with a cluster: section."),
    client: str | None = typer.Option(None, "--client", help=CLIENT_HELP),
    restart: bool = typer.Option(False, "--restart", help="Replace it even if the settings are the same."),
) -> None:
    """Start the kaipai service on a running cluster, or replace it when its settings changed.

    A replaced service recovers its jobs from the journal in the store; drivers offer their queues again."""
    from orchestrator.service.remote import client_address
    from orchestrator.service.up import cluster_up

    described = cluster_up(client_address(address, client), config, restart)
    console.print(
        f"kaipai service {described['action']} (epoch {described['epoch']}); store {described['store']}; "
        f"zones {', '.join(z for z in described['zones'] if z)}",
        highlight=False,
        markup=False,
    )


@cluster_app.command("status")
@user_errors
def cluster_status(
    address: str = typer.Option(..., "--address", help=ADDRESS_HELP),
    client: str | None = typer.Option(None, "--client", help=CLIENT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Everything the service knows, as JSON."),
) -> None:
    """Jobs per studio, running work per zone, warm pools per (model, zone), shares against weights."""
    from orchestrator.service.remote import client_address, cluster_view
    from orchestrator.service.views import status_lines

    view = cluster_view(client_address(address, client))
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=2))
        return
    for line in status_lines(view):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@commands.command("driver", hidden=True)
@user_errors
def driver(
    job: Path = typer.Argument(..., help="Job spec YAML (in the Ray job's working_dir)."),
    job_id: str = typer.Option(..., "--job-id"),
    config: str | None = typer.Option(None, "--config", "-c"),
    policy: str = typer.Option("kaipai", "--policy", "-p"),
    restarts: int = typer.Option(
        2, "--restarts", min=0, max=10, help="Restart a driver killed by a signal this many times (0: run it here)."
    ),
) -> None:
    """Run a submitted job under the kaipai service (the entrypoint `kaipai submit` gives Ray)."""
    from orchestrator.progress import make_progress
    from orchestrator.service.driver import drive

    if restarts > 0:  # this process only watches; the driver runs in a child it restarts after a crash
        from orchestrator.service.supervise import supervise

        child = [sys.executable, "-m", "orchestrator.cli", "driver", str(job), "--job-id", job_id]
        child += ["--policy", policy, "--restarts", "0"] + (["--config", config] if config else [])
        raise typer.Exit(supervise(child, restarts=restarts))

    result = drive(job, job_id, config=config, policy=policy, observer=make_progress(err_console))
    for line in result.summary():
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    if not result.ok:
        raise RunFailed("\n" + result.report.failure_summary())
