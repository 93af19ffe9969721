"""``kaipai verify OUT [--evict]``: check the store and the delivered files byte for byte."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.console import console, err_console, user_errors

commands = typer.Typer()


@commands.command()
@user_errors
def verify(
    out: Path = typer.Argument(..., help="A run's output folder (its manifest names the store)."),
    store: Path | None = typer.Option(None, "--store", help="Artifact store (default: the manifest's, or OUT/.store)."),
    evict: bool = typer.Option(False, "--evict", help="Remove corrupt artifacts so the next run makes them again."),
) -> None:
    """Check every stored artifact's files (size and sha256) and every delivered file; exit 1 if any is bad."""
    from orchestrator.verify import verify as run_verify

    report = run_verify(out, store, evict)
    for folder, why in report.corrupt:
        action = "evicted" if evict else "corrupt"
        err_console.print(
            f"{action}: {folder.parent.name}/{folder.name}: {why}", highlight=False, markup=False, soft_wrap=True
        )
    for path, why in report.delivered_bad:
        err_console.print(f"bad delivered file: {path}: {why}", highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"{report.checked} artifacts checked, {len(report.corrupt)} corrupt"
        + (" (evicted; run again to make them anew)" if evict and report.corrupt else "")
        + f"; {report.delivered_checked} delivered files checked, {len(report.delivered_bad)} bad",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if report.delivered_bad or (report.corrupt and not evict):
        raise typer.Exit(1)
