"""The service's durable job registry: an append-only journal in the shared store.

Every change to a job (submitted, started, progress, finished) is one JSON line, flushed and fsynced
before the service answers, so a restarted service actor replays the journal and knows every job,
its studio, state and the studios' accounts. The queue of nodes itself is not journaled: each
driver re-offers what it still waits for when it sees the service's epoch change (cheaper than a
line per node, and the driver is the one that knows what is still needed). On start the journal is
compacted (one line per job, written to a temp file and renamed), so it stays small.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

JOURNAL = "service/journal.jsonl"
ACTIVE = ("QUEUED", "RUNNING")
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class JobRecord:
    id: str
    studio: str
    title: str
    priority: int
    submitted: float
    state: str = "QUEUED"  # QUEUED (no grant yet), RUNNING, SUCCEEDED, FAILED, CANCELLED
    admitted_at: float | None = None  # when the job queue first let it take slots (``max_running_jobs``)
    started: float | None = None
    finished: float | None = None
    message: str = ""
    out: str = ""  # the job's folder in the store: episodes, storyboard, manifest
    stages: dict[str, dict[str, int]] = field(default_factory=dict)  # stage -> {total, done}
    estimate_left: float | None = None  # device-seconds still to run, from the driver's plan

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Registry:
    """Jobs by id, kept in memory and journaled to ``<store>/service/journal.jsonl``."""

    def __init__(self, store_root: str | Path) -> None:
        self.path = Path(store_root) / JOURNAL
        self.jobs: dict[str, JobRecord] = {}
        self.charged: dict[str, float] = {}
        self._replay()
        self._compact()
        self._file = self.path.open("a", encoding="utf-8")

    # ---------------------------------------------------------------- changes

    def add(self, record: JobRecord) -> None:
        self.jobs[record.id] = record
        self._append({"job": record.to_json()})

    def update(self, job_id: str, **changes: Any) -> JobRecord:
        record = self.jobs[job_id]
        for name, value in changes.items():
            setattr(record, name, value)
        self._append({"update": job_id, **changes})
        return record

    def account(self, charged: dict[str, float]) -> None:
        """The studios' charges, journaled now and then so a restart keeps the fair-share history."""
        self.charged = dict(charged)
        self._append({"charged": self.charged})

    def active(self) -> list[JobRecord]:
        return [r for r in self.jobs.values() if r.state in ACTIVE]

    # ---------------------------------------------------------------- durability

    def _append(self, entry: dict[str, Any]) -> None:
        self._file.write(json.dumps({"at": time.time(), **entry}, ensure_ascii=False) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def _replay(self) -> None:
        if not self.path.is_file():
            return
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by a crash: everything before it stands
                continue
            if "job" in entry:
                self.jobs[entry["job"]["id"]] = JobRecord(**entry["job"])
            elif "update" in entry and entry["update"] in self.jobs:
                record = self.jobs[entry.pop("update")]
                entry.pop("at", None)
                for name, value in entry.items():
                    setattr(record, name, value)
            elif "charged" in entry:
                self.charged = dict(entry["charged"])

    def _compact(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with temp.open("w", encoding="utf-8") as out:
            for record in self.jobs.values():
                out.write(json.dumps({"at": time.time(), "job": record.to_json()}, ensure_ascii=False) + "\n")
            out.write(json.dumps({"at": time.time(), "charged": self.charged}) + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)

    def close(self) -> None:
        self._file.close()
