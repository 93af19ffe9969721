"""Placement commands: ``schedule`` (the scheduling core on a task graph) and ``simulate`` (the cluster).

Both stay free of ray and torch imports so they start fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from orchestrator.console import console, user_errors
from stages.errors import InputError, RunFailed

commands = typer.Typer()


@commands.command()
@user_errors
def schedule(
    graph: Path = typer.Argument(..., help="Task graph JSON (resources, tasks, edges, links)."),
    policy: str = typer.Option("heft", "--policy", "-p", help="heft (Topcuoglu 2002), kaipai, or optimal (CP-SAT)."),
    time_limit: float = typer.Option(60.0, "--time-limit", min=1.0, max=3600.0, help="optimal: seconds to search."),
) -> None:
    """Schedule a generic task graph and print the schedule JSON (makespan, tasks with start/finish)."""
    from orchestrator.placement.graph import load_graph
    from orchestrator.placement.scheduler import POLICIES
    from orchestrator.placement.scheduler import schedule as run_schedule

    if policy not in (*POLICIES, "optimal"):
        raise InputError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}, optimal", field="--policy")
    task_graph = load_graph(graph)
    slots = {r.id: r.slots for r in task_graph.resources}
    if policy != "optimal":
        typer.echo(json.dumps(run_schedule(task_graph, policy).to_json(slots), ensure_ascii=False))
        return
    solution = _solve_exactly(task_graph, time_limit)
    out = solution.schedule.to_json(slots)
    out["optimal"] = solution.optimal
    out["lower_bound"] = round(solution.bound, 6)
    typer.echo(json.dumps(out, ensure_ascii=False))


def _solve_exactly(task_graph, time_limit: float):
    from orchestrator.placement import optimal

    try:
        return optimal.solve(task_graph, time_limit)
    except ImportError:
        raise RunFailed("--policy optimal needs OR-Tools: pip install 'kaipai[optimal]'") from None
    except ValueError as exc:
        raise InputError(str(exc), field="tasks") from None
    except RuntimeError as exc:
        raise RunFailed(str(exc)) from None


@commands.command()
@user_errors
def simulate(
    scenario: Path = typer.Argument(..., help="Scenario YAML (configs/scenarios/*.yaml)."),
    policy: str = typer.Option(
        "kaipai",
        "--policy",
        "-p",
        help="kaipai, heft, heft-online, ray-default, zone-blind, single-zone, locality, or all.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    seed: int | None = typer.Option(None, "--seed", help="Generate the workload from this seed instead."),
    estimate_error: float = typer.Option(
        0.0, "--estimate-error", min=0.0, max=3.0, help="σ: actual run time = estimate × lognormal(0, σ)."
    ),
    slow_gpus: int = typer.Option(0, "--slow-gpus", min=0, max=1_000_000, help="GPUs 3× slower than their kind."),
    lose_zone: str | None = typer.Option(None, "--lose-zone", help="A zone whose nodes are lost mid-run."),
    lose_at: float = typer.Option(600.0, "--lose-at", min=0.0, help="Seconds after the start the zone is lost."),
) -> None:
    """Discrete-event simulation of the cluster running a scenario's workload under a placement policy."""
    from orchestrator.placement.scenario import load_scenario
    from orchestrator.placement.simulator import POLICIES, Disturbances
    from orchestrator.placement.simulator import simulate as run_simulation
    from orchestrator.placement.workload import generate, no_cycle_collection

    names = list(POLICIES) if policy == "all" else [policy]
    for name in names:
        if name not in POLICIES:
            raise InputError(f"unknown policy {name!r}; choose one of {', '.join(POLICIES)} or all", field="--policy")
    loaded = load_scenario(scenario)
    if seed is not None:
        loaded.spec.seed = seed
    if lose_zone is not None and lose_zone not in loaded.topology.zone_names():
        zones = ", ".join(loaded.topology.zone_names())
        raise InputError(f"unknown zone {lose_zone!r} (zones: {zones})", field="--lose-zone")
    disturbances = Disturbances(estimate_error, slow_gpus, lose_zone, lose_at)
    # One span without cyclic collection for generation and every run: a collection between them
    # would scan the workload's millions of objects for nothing (1.2 s at 1M shots). Every run frees
    # its simulation on return, and the workload goes before collection is back on.
    with no_cycle_collection():
        workload = generate(loaded)
        results = [run_simulation(loaded, name, workload, disturbances) for name in names]
        del workload
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
