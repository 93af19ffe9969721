"""The state of one run as plain data, changed only by named transitions. No Ray, no clock.

Every transition that settles a node tells the listeners exactly once (progress bars, metrics, the
pools that wait for a stage to be over), whoever drives it: the dispatch loop today, a cluster
service tomorrow. The state holds no handles to running work, so ``to_json`` / ``from_json`` can
carry it to another driver or keep it in a service; in-flight calls belong to the backend.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from orchestrator.execution.report import TaskRecord
from orchestrator.execution.status import SUCCEEDED, TaskStatus

if TYPE_CHECKING:
    from orchestrator.dag import Dag


class RunListener(Protocol):
    """Told of what settles, once per node (and once per stage when its last node settles)."""

    def node_settled(self, record: TaskRecord, seconds: float | None) -> None:
        """``seconds``: the node's own work, for ``done`` nodes (a batch's time shared out)."""

    def stage_settled(self, stage: str) -> None: ...


@dataclass
class RunState:
    """Records, dependency counts, planned zones and pending retries of one DAG's run."""

    started: float  # epoch seconds; record times are relative to it
    records: dict[str, TaskRecord]
    children: dict[str, list[str]]  # node -> the nodes that need it directly
    remaining_deps: dict[str, int]  # node -> inputs not finished yet
    planned_zone: dict[str, str | None]
    zoned: bool = False  # placement is in force (the profile has zones and the cluster carries them)
    excluded: set[str] = field(default_factory=set)  # zones lost or never alive
    system_failures: dict[str, int] = field(default_factory=dict)
    retry_at: dict[str, float] = field(default_factory=dict)  # node -> not before (epoch seconds)
    listeners: list[RunListener] = field(default_factory=list, repr=False, compare=False)
    _open_per_stage: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._open_per_stage = {}
        for rec in self.records.values():
            self._open_per_stage.setdefault(rec.stage, 0)
            self._open_per_stage[rec.stage] += 0 if rec.status.settled else 1

    @classmethod
    def for_dag(cls, dag: Dag, started: float) -> RunState:
        order = dag.topo_order()
        records = {
            nid: TaskRecord(nid, n.stage, n.unit, n.episode, n.backend, n.key)
            for nid, n in ((nid, dag.nodes[nid]) for nid in order)
        }
        return cls(
            started=started,
            records=records,
            children={nid: list(dag.dependents(nid)) for nid in order},
            remaining_deps={nid: len(set(dag.nodes[nid].deps)) for nid in order},
            planned_zone=dict.fromkeys(order),
        )

    # ---------------------------------------------------------------- queries

    def status(self, nid: str) -> TaskStatus:
        return self.records[nid].status

    def is_ready(self, nid: str) -> bool:
        """Pending with every input finished: may be dispatched now."""
        return self.records[nid].status == TaskStatus.PENDING and self.remaining_deps[nid] == 0

    def ready(self) -> list[str]:
        return [nid for nid in self.records if self.is_ready(nid)]

    def open_nodes(self) -> Iterator[str]:
        """Nodes still to finish (pending or running), in topological order."""
        return (nid for nid, rec in self.records.items() if rec.status.open)

    def nodes_of_stage(self, stage: str) -> list[str]:
        return [nid for nid, rec in self.records.items() if rec.stage == stage]

    def finished(self) -> set[str]:
        return {nid for nid, rec in self.records.items() if rec.status in SUCCEEDED}

    def zone_for(self, nid: str) -> str | None:
        """Where the node should run now: its planned zone when placement is in force."""
        return self.planned_zone.get(nid) if self.zoned else None

    def downstream(self, nid: str) -> set[str]:
        seen: set[str] = set()
        stack = [nid]
        while stack:
            for child in self.children[stack.pop()]:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def due_retries(self, now: float) -> list[str]:
        """Pop the retries whose pause is over, earliest first."""
        due = sorted((at, nid) for nid, at in self.retry_at.items() if at <= now)
        for _, nid in due:
            del self.retry_at[nid]
        return [nid for _, nid in due]

    def next_retry(self) -> float | None:
        return min(self.retry_at.values(), default=None)

    # ---------------------------------------------------------------- transitions

    def mark_cached(self, nid: str, at: float) -> list[str]:
        """Found in the store before anything ran; returns the children this makes ready."""
        rec = self.records[nid]
        if rec.status.settled:
            return []
        rec.start = rec.finish = at - self.started
        self._settle(nid, TaskStatus.CACHED, None)
        return self._release_children(nid)

    def mark_running(self, nid: str, zone: str | None, at: float | None = None) -> bool:
        """Handed to the backend (or to a pool's batch queue) at ``at``; False if it settled meanwhile."""
        rec = self.records[nid]
        if rec.status.settled:
            return False
        rec.status, rec.zone = TaskStatus.RUNNING, zone
        if at is not None:
            rec.dispatched, rec.returned = at - self.started, None
        return True

    def mark_attempted(self, nid: str) -> None:
        self.records[nid].attempts += 1

    def mark_done(self, nid: str, result: dict[str, Any], at: float | None = None) -> list[str]:
        """Finished with an artifact (its result back at ``at``); returns the children this makes ready."""
        rec = self.records[nid]
        if rec.status.settled:
            return []
        if at is not None:
            rec.returned = at - self.started
        rec.node = result["node"]
        rec.start = result["start"] - self.started
        rec.finish = result["finish"] - self.started
        rec.cpu_seconds = result["cpu_seconds"]
        rec.error = None
        seconds = (result["finish"] - result["start"]) / result.get("batch", 1)
        self._settle(nid, TaskStatus.DONE, seconds)
        return self._release_children(nid)

    def mark_retry(self, nid: str, error: str | None, at: float) -> None:
        """Failed in a way worth another try: stays running, waits until ``at``."""
        if error is not None:
            self.records[nid].error = error
        self.retry_at[nid] = at

    def mark_preempted(self, nid: str, at: float) -> None:
        """Its call was stopped because its slot was taken back: the attempt does not count, and it
        is asked for again at once (nothing failed, nothing it finished is lost: it wrote nothing)."""
        self.records[nid].attempts -= 1
        self.records[nid].preempted += 1
        self.retry_at[nid] = at

    def mark_system_failure(self, nid: str) -> int:
        """A worker or node went away: the attempt does not count; returns how often this happened."""
        self.records[nid].attempts -= 1
        self.system_failures[nid] = self.system_failures.get(nid, 0) + 1
        return self.system_failures[nid]

    def mark_failed(self, nid: str, error: str, at: float) -> list[str]:
        """Failed for good: recorded, and every pending node that needs it skipped; returns those."""
        rec = self.records[nid]
        self.retry_at.pop(nid, None)
        if rec.status.settled:
            return []
        rec.error, rec.finish = error, at - self.started
        self._settle(nid, TaskStatus.FAILED, None)
        skipped = []
        for child in sorted(self.downstream(nid)):
            crec = self.records[child]
            if crec.status == TaskStatus.PENDING:
                crec.error = f"needs {nid}, which failed"
                self._settle(child, TaskStatus.SKIPPED, None)
                skipped.append(child)
        return skipped

    def move(self, nid: str, zone: str | None) -> None:
        """A new placement for a node that has not finished (zone loss)."""
        self.planned_zone[nid] = zone

    # ---------------------------------------------------------------- persistence

    def reopen_running(self) -> list[str]:
        """For a state taken over from a driver that died: its calls died with it, so every node that
        was running (or waiting to retry) is pending again. Returns those nodes."""
        reopened = [nid for nid, rec in self.records.items() if rec.status == TaskStatus.RUNNING]
        for nid in reopened:
            self.records[nid].status = TaskStatus.PENDING
        self.retry_at.clear()
        return reopened

    def to_json(self) -> dict[str, Any]:
        return {
            "started": self.started,
            "records": {nid: rec.to_json() for nid, rec in self.records.items()},
            "children": self.children,
            "remaining_deps": self.remaining_deps,
            "planned_zone": self.planned_zone,
            "zoned": self.zoned,
            "excluded": sorted(self.excluded),
            "system_failures": self.system_failures,
            "retry_at": self.retry_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunState:
        return cls(
            started=data["started"],
            records={nid: TaskRecord.from_json(rec) for nid, rec in data["records"].items()},
            children={nid: list(c) for nid, c in data["children"].items()},
            remaining_deps=dict(data["remaining_deps"]),
            planned_zone=dict(data["planned_zone"]),
            zoned=data["zoned"],
            excluded=set(data["excluded"]),
            system_failures=dict(data["system_failures"]),
            retry_at=dict(data["retry_at"]),
        )

    # ---------------------------------------------------------------- internals

    def _settle(self, nid: str, status: TaskStatus, seconds: float | None) -> bool:
        """Give a node its final status and tell the listeners; False (and no change) if it had one."""
        rec = self.records[nid]
        if rec.status.settled:
            return False
        rec.status = status
        self._open_per_stage[rec.stage] -= 1
        for listener in self.listeners:
            listener.node_settled(rec, seconds)
        if self._open_per_stage[rec.stage] == 0:
            for listener in self.listeners:
                listener.stage_settled(rec.stage)
        return True

    def _release_children(self, nid: str) -> list[str]:
        ready = []
        for child in self.children[nid]:
            self.remaining_deps[child] -= 1
            if self.is_ready(child):
                ready.append(child)
        return ready
