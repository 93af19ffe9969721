"""Progress and metrics of a run, fed by the run state's transitions: once per node, never twice."""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.execution.observer import RunObserver
from orchestrator.execution.report import TaskRecord
from orchestrator.execution.status import TaskStatus
from orchestrator.metrics import StageMetrics


class Telemetry:
    """A ``RunListener`` that moves the progress bars and records the Ray metrics."""

    def __init__(self, observer: RunObserver, metrics: StageMetrics, gpus_of: Callable[[str], float]) -> None:
        self.observer = observer
        self.metrics = metrics
        self.gpus_of = gpus_of
        self.queue_depth: dict[str, int] = {}

    def node_settled(self, record: TaskRecord, seconds: float | None) -> None:
        if record.status == TaskStatus.DONE and seconds is not None:
            self.metrics.task_finished(record.stage, record.backend, record.zone, seconds, self.gpus_of(record.stage))
        self.metrics.task_status(record.stage, record.status.value)
        self.observer.update(record.stage, record.status.value)

    def stage_settled(self, stage: str) -> None:
        pass

    def queued(self, stage: str, delta: int) -> None:
        """Nodes handed to the backend and not back yet, per stage (``kaipai_queue_depth``)."""
        self.queue_depth[stage] = self.queue_depth.get(stage, 0) + delta
        self.metrics.queue_depth(stage, self.queue_depth[stage])
