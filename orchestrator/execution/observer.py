"""What a run tells whoever watches it. The terminal's bars (``orchestrator.progress``) are one watcher."""

from __future__ import annotations

from typing import Protocol


class RunObserver(Protocol):
    def start(self, totals: dict[str, int]) -> None:
        """Nodes per stage, before anything settles."""

    def update(self, stage: str, status: str) -> None:
        """A node of ``stage`` settled with ``status`` (a ``TaskStatus`` value); once per node."""

    def event(self, message: str, level: str = "info") -> None:
        """Something worth a line: a retry, a failure, a zone lost (level info, warning or error)."""

    def close(self) -> None: ...


class SilentObserver:
    """Watches nothing (a run without a watcher)."""

    def start(self, totals: dict[str, int]) -> None:
        pass

    def update(self, stage: str, status: str) -> None:
        pass

    def event(self, message: str, level: str = "info") -> None:
        pass

    def close(self) -> None:
        pass
