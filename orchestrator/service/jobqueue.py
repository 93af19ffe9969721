"""Which jobs may run at once: job-level admission before shot-level fair share.

With ``cluster.max_running_jobs`` set, at most that many jobs hold the right to be granted slots;
the others wait in one queue, as Kueue admits whole workloads before their pods are scheduled.
Without it every job is admitted at once and the fair share alone divides the slots.

Why a limit at all: shot-level sharing alone lets every submitted job start, so on a busy cluster
all of them crawl together and the first finishes late; a queued job also holds nothing (its driver
waits, its storyboard does not run), so a studio's urgent job submitted last is admitted ahead of
the low-priority jobs still queued and finishes before them.

The order of the queue is the fair share's: jobs that already ran first (a job re-admitted after its
driver or the service came back keeps its place), then the studio's virtual time less the job's
priority bonus (the same bounded jump as for slots), then submission time. Pure: no Ray, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

RankKey = tuple[int, float, float, str]


@dataclass
class JobQueue:
    """The admitted jobs and the rule that admits the next ones."""

    limit: int | None  # None: every job is admitted at once
    admitted: set[str] = field(default_factory=set)

    def is_admitted(self, job: str) -> bool:
        return self.limit is None or job in self.admitted

    def fill(self, waiting: Iterable[str], rank: Callable[[str], RankKey]) -> list[str]:
        """Admit the best-ranked waiting jobs while there is room; returns the ones admitted now."""
        if self.limit is None:
            return []
        room = self.limit - len(self.admitted)
        if room <= 0:
            return []
        chosen = sorted((job for job in waiting if job not in self.admitted), key=rank)[:room]
        self.admitted.update(chosen)
        return chosen

    def leave(self, job: str) -> None:
        """The job ended, was cancelled or its driver went silent: its place goes to the next."""
        self.admitted.discard(job)

    def position(self, job: str, waiting: Iterable[str], rank: Callable[[str], RankKey]) -> int | None:
        """1-based place of a job not admitted yet among those waiting for admission; None if admitted."""
        if self.is_admitted(job):
            return None
        order = sorted((j for j in waiting if j not in self.admitted), key=rank)
        return order.index(job) + 1 if job in order else None
