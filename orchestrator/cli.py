"""The ``kaipai`` command line: the app, made of the command groups in ``orchestrator/commands/``.

Each command module holds its own ``commands`` Typer and knows nothing of this app; this module
imports them and adds their commands at the top level (``kaipai run``, not ``kaipai running run``).
Shared consoles and the exit-code boundary are in ``orchestrator.console``.
"""

from __future__ import annotations

import sys

import typer

from orchestrator.commands import front, placement, running, verify

app = typer.Typer(
    name="kaipai",
    help="开拍 kaipai: AI micro-drama production line on Ray.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """开拍 kaipai: AI micro-drama production line on Ray."""


for _group in (front, placement, running, verify):
    app.add_typer(_group.commands)


def main() -> None:
    try:
        app()
    except SystemExit as exc:
        # click reports bad arguments with exit 2 already; keep it.
        sys.exit(exc.code)


if __name__ == "__main__":
    main()
