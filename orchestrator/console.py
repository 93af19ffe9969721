"""What every command shares: the two consoles and the error boundary (exit codes). A leaf module.

Exit codes: 0 success, 1 the run failed, 2 bad input (spec, script, config, arguments).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console

from stages.errors import InputError, RunFailed

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable)


def user_errors(fn: F) -> F:
    """Turn InputError into ``FILE:LINE: field: message`` on stderr and exit 2; RunFailed into exit 1."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                err_console.print(f"[red]error:[/red] {problem}", markup=True, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except RunFailed as exc:
            err_console.print(f"[red]run failed:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; finished artifacts are kept, run again to resume")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {warning}", highlight=False, soft_wrap=True, markup=True)
