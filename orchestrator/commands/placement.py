"""Placement commands: ``schedule`` (the scheduling core on a task graph) and ``simulate`` (the cluster).

Both stay free of ray and torch imports so they start fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from orchestrator.console import console, user_errors
from stages.errors import InputError

commands = typer.Typer()


@commands.command()
@user_errors
def schedule(
    graph: Path = typer.Argument(..., help="Task graph JSON (resources, tasks, edges, links)."),
    policy: str = typer.Option("heft", "--policy", "-p", help="heft (Topcuoglu 2002) or kaipai."),
) -> None:
    """Schedule a generic task graph and print the schedule JSON (makespan, tasks with start/finish)."""
    from orchestrator.placement.graph import load_graph
    from orchestrator.placement.scheduler import POLICIES
    from orchestrator.placement.scheduler import schedule as run_schedule

    if policy not in POLICIES:
        raise InputError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}", field="--policy")
    task_graph = load_graph(graph)
    result = run_schedule(task_graph, policy)
    slots = {r.id: r.slots for r in task_graph.resources}
    typer.echo(json.dumps(result.to_json(slots), ensure_ascii=False))


@commands.command()
@user_errors
def simulate(
    scenario: Path = typer.Argument(..., help="Scenario YAML (configs/scenarios/*.yaml)."),
    policy: str = typer.Option(
        "kaipai", "--policy", "-p", help="kaipai, heft, zone-blind, single-zone, locality, or all."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Discrete-event simulation of the cluster running a scenario's workload under a placement policy."""
    from orchestrator.placement.scenario import load_scenario
    from orchestrator.placement.simulator import POLICIES
    from orchestrator.placement.simulator import simulate as run_simulation

    names = list(POLICIES) if policy == "all" else [policy]
    for name in names:
        if name not in POLICIES:
            raise InputError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)} or all", field="--policy")
    loaded = load_scenario(scenario)
    results = [run_simulation(loaded, name) for name in names]
    if as_json:
        out = results[0].to_json() if len(results) == 1 else [r.to_json() for r in results]
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    _print_table(loaded.name, results)


def _print_table(name: str, results: list) -> None:
    from rich.table import Table

    table = Table(title=f"simulation: {name}")
    columns = ("policy", "makespan s", "× lower bound", "GPU util", "cross-zone GB", "job p50 s", "job p95 s")
    for col in columns:
        table.add_column(col, justify="right" if col != "policy" else "left")
    for r in results:
        table.add_row(
            r.policy,
            f"{r.makespan:,.0f}",
            f"{r.makespan / r.lower_bound:.3f}",
            f"{r.gpu_utilization:.1%}",
            f"{r.cross_zone_bytes / 1e9:,.1f}",
            f"{r.job_p50:,.0f}",
            f"{r.job_p95:,.0f}",
        )
    console.print(table)
    if results:
        r = results[0]
        console.print(
            f"lower bound {r.lower_bound:,.0f} s; {r.tasks:,} tasks, {r.shots:,} shots, {r.jobs_count:,} jobs"
        )
