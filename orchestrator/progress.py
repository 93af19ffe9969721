"""Live progress of a run on the terminal: one bar per stage (done / cached / failed / total).

On a terminal it is a rich live display; otherwise (CI logs, pipes) plain lines: one when a stage
settles, and one for every failure, retry and re-placement, so logs stay short and greppable.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from orchestrator.execution.observer import RunObserver
from orchestrator.execution.status import SETTLED as _SETTLED

SETTLED = tuple(sorted(s.value for s in _SETTLED))  # what the bars count

__all__ = ["SETTLED", "PlainProgress", "QuietProgress", "RichProgress", "RunObserver", "make_progress"]


class _Counts:
    def __init__(self) -> None:
        self.totals: dict[str, int] = {}
        self.counts: dict[str, Counter[str]] = {}

    def start(self, totals: dict[str, int]) -> None:
        self.totals = dict(totals)
        self.counts = {stage: Counter() for stage in totals}

    def record(self, stage: str, status: str) -> bool:
        """Count a settled node; True when this settles the stage's last node."""
        self.counts.setdefault(stage, Counter())[status] += 1
        return sum(self.counts[stage][s] for s in SETTLED) == self.totals.get(stage, -1)

    def line(self, stage: str) -> str:
        c = self.counts.get(stage, Counter())
        settled = sum(c[s] for s in SETTLED)
        text = f"{stage:<10} {settled}/{self.totals.get(stage, 0)}  done {c['done']}  cached {c['cached']}"
        if c["failed"] or c["skipped"]:
            text += f"  failed {c['failed']}  skipped {c['skipped']}"
        return text


class PlainProgress(_Counts):
    """Line-per-event progress for logs."""

    def __init__(self, console: Console | None = None) -> None:
        super().__init__()
        self.console = console or Console(stderr=True, highlight=False)

    def update(self, stage: str, status: str) -> None:
        if status in SETTLED and self.record(stage, status):
            self.console.print(self.line(stage), markup=False)

    def event(self, message: str, level: str = "info") -> None:
        self.console.print(f"{level}: {message}" if level != "info" else message, markup=False)

    def close(self) -> None:
        pass


class RichProgress(_Counts):
    """A live bar per stage on a terminal."""

    def __init__(self, console: Console | None = None) -> None:
        super().__init__()
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "[green]done {task.fields[done]}[/] [cyan]cached {task.fields[cached]}[/] "
                "[red]failed {task.fields[failed]}[/]"
            ),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self.bars: dict[str, Any] = {}

    def start(self, totals: dict[str, int]) -> None:
        super().start(totals)
        self.progress.start()
        for stage, total in totals.items():
            self.bars[stage] = self.progress.add_task(stage, total=total, done=0, cached=0, failed=0)

    def update(self, stage: str, status: str) -> None:
        if status not in SETTLED:
            return
        self.record(stage, status)
        c = self.counts[stage]
        if stage in self.bars:
            self.progress.update(
                self.bars[stage],
                completed=sum(c[s] for s in SETTLED),
                done=c["done"],
                cached=c["cached"],
                failed=c["failed"] + c["skipped"],
            )

    def event(self, message: str, level: str = "info") -> None:
        style = {"error": "red", "warning": "yellow"}.get(level, "")
        self.progress.console.print(f"[{style}]{message}[/]" if style else message, markup=bool(style), highlight=False)

    def close(self) -> None:
        self.progress.stop()


class QuietProgress(_Counts):
    """Counts only (tests, benchmarks)."""

    def update(self, stage: str, status: str) -> None:
        if status in SETTLED:
            self.record(stage, status)

    def event(self, message: str, level: str = "info") -> None:
        self.events = [*getattr(self, "events", []), (level, message)]

    def close(self) -> None:
        pass


def make_progress(console: Console | None = None) -> RunObserver:
    """Rich bars on a terminal, plain lines elsewhere."""
    console = console or Console(stderr=True)
    if console.is_terminal and sys.stderr.isatty():
        return RichProgress(console)
    return PlainProgress(Console(stderr=True, highlight=False, soft_wrap=True))
