"""The ``kaipai`` command line. Each group of commands lives in ``orchestrator/commands/``.

Exit codes: 0 success, 1 the run failed, 2 bad input (spec, script, config, arguments).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from stages.errors import InputError, RunFailed

app = typer.Typer(
    name="kaipai",
    help="开拍 kaipai: AI micro-drama production line on Ray.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()


@app.callback()
def _root() -> None:
    """开拍 kaipai: AI micro-drama production line on Ray."""


err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable)


def user_errors(fn: F) -> F:
    """InputError as ``FILE:LINE: field: message`` on stderr, exit 2; RunFailed and OSError (disk full,
    read-only output, permission denied) as one line, exit 1. Never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                err_console.print(
                    f"[red]error:[/red] {escape(str(problem))}", markup=True, highlight=False, soft_wrap=True
                )
            raise typer.Exit(2) from None
        except RunFailed as exc:
            err_console.print(f"[red]run failed:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        except OSError as exc:  # the machine's fault (full disk, read-only folder, missing tool): one line
            from orchestrator.faults import describe_os_error

            err_console.print(
                f"[red]error:[/red] {escape(describe_os_error(exc))}", highlight=False, soft_wrap=True, markup=True
            )
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err_console.print("interrupted; finished artifacts are kept, run again to resume")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def main() -> None:
    # Import the command modules so they register on ``app``.
    from orchestrator.commands import front, placement, running, verify  # noqa: F401

    try:
        app()
    except SystemExit as exc:
        # click reports bad arguments with exit 2 already; keep it.
        sys.exit(exc.code)


if __name__ == "__main__":
    main()
