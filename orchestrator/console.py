"""What every command shares: the two consoles and the error boundary (exit codes). A leaf module.

Exit codes: 0 success, 1 the run failed, 2 bad input (spec, script, config, arguments).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from stages.errors import InputError, RunFailed

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable)


def _say_error(text: str) -> None:
    """One ``error:`` line; the text is escaped, so ``[red]`` in a name or path prints as typed."""
    err_console.print(f"[red]error:[/red] {escape(text)}", markup=True, highlight=False, soft_wrap=True)


def user_errors(fn: F) -> F:
    """InputError as ``FILE:LINE: field: message`` on stderr, exit 2; RunFailed and OSError (disk full,
    read-only output, permission denied, a missing program) as one line, exit 1. Never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                _say_error(str(problem))
            raise typer.Exit(2) from None
        except RunFailed as exc:
            err_console.print(f"[red]run failed:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OSError as exc:  # the machine's fault, not the input's: one line naming the path and cause
            from orchestrator.faults import describe_os_error

            _say_error(describe_os_error(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; finished artifacts are kept, run again to resume")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False, soft_wrap=True, markup=True)
