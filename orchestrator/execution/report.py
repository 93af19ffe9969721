"""What a run reports: one ``TaskRecord`` per node (the manifest's per-task entry) and the ``RunReport``.

Plain data with no Ray and no executor behind it, so the manifest, the CLI and a service holding
many runs can all read it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.execution.status import SUCCEEDED, TaskStatus
from stages.base import Artifact


@dataclass
class TaskRecord:
    """What happened to one node."""

    id: str
    stage: str
    unit: str
    episode: str | None
    backend: str
    key: str
    status: TaskStatus = TaskStatus.PENDING
    zone: str | None = None
    node: str | None = None  # Ray node id where it ran
    start: float | None = None  # seconds since the run started
    finish: float | None = None
    attempts: int = 0
    preempted: int = 0  # calls stopped because the service took the slot back (each ran again)
    error: str | None = None
    cpu_seconds: float | None = None
    # Seconds since the run started when the node was handed to Ray with its grant, and when its
    # result was back: the slot its studio held, Ray's per-task overhead included (start/finish are
    # inside the task). What the cluster service's fair share divides.
    dispatched: float | None = None
    returned: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = TaskStatus(self.status).value
        for name in ("start", "finish", "cpu_seconds", "dispatched", "returned"):
            if data[name] is not None:
                data[name] = round(data[name], 3)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskRecord:
        return cls(**{**data, "status": TaskStatus(data["status"])})


@dataclass
class RunReport:
    records: dict[str, TaskRecord]
    artifacts: dict[str, Artifact]
    started: float  # epoch seconds
    wall: float = 0.0
    replacements: list[dict[str, Any]] = field(default_factory=list)
    planned_makespan: float | None = None
    policy: str | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.records.values() if r.status == status)

    @property
    def failed(self) -> list[TaskRecord]:
        return [r for r in self.records.values() if r.status == TaskStatus.FAILED]

    @property
    def ok(self) -> bool:
        return all(r.status in SUCCEEDED for r in self.records.values())

    def failure_summary(self) -> str:
        """One line per failure; many nodes of a stage failing the same way (a pool that could not
        start) make one line, not one per shot."""
        groups: dict[tuple[str, str | None], list[TaskRecord]] = {}
        for r in self.failed:
            groups.setdefault((r.stage, r.error), []).append(r)
        lines = []
        for (stage, error), recs in groups.items():
            if len(recs) == 1:
                lines.append(f"{stage} {recs[0].unit}: {error}")
            else:
                units = sorted(r.unit for r in recs)
                units_text = ", ".join(units[:3]) + (", …" if len(units) > 3 else "")
                lines.append(f"{stage} ({len(recs)} tasks: {units_text}): {error}")
        skipped = self.count(TaskStatus.SKIPPED)
        if skipped:
            lines.append(f"{skipped} dependent task(s) skipped")
        return "\n".join(lines)
