"""The states a node passes through in one run, and which of them are final.

``pending`` → ``running`` → ``done`` | ``failed``; ``pending`` → ``cached`` (found in the store) or
``skipped`` (something it needs failed). A retry keeps a node ``running``. The values are the strings
the manifest has always written, so a ``TaskStatus`` compares equal to its old raw string.
"""

from __future__ import annotations

from enum import Enum


class TaskStatus(str, Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    CACHED = "cached"
    FAILED = "failed"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return self.value

    @property
    def settled(self) -> bool:
        """Final: the node will not be submitted again in this run."""
        return self in SETTLED

    @property
    def open(self) -> bool:
        """Still to finish: pending or running (what zone loss re-places)."""
        return self in (TaskStatus.PENDING, TaskStatus.RUNNING)


SETTLED = frozenset({TaskStatus.DONE, TaskStatus.CACHED, TaskStatus.FAILED, TaskStatus.SKIPPED})
SUCCEEDED = frozenset({TaskStatus.DONE, TaskStatus.CACHED})
