"""The service's one placement of every active job: zones chosen with the cluster's whole queue in view.

A driver that starts (or loses a zone) asks the service, not its own copy of the cluster, where its
nodes go. The service then places every active job's remaining work together (``place_jobs``, the
same ``Placer`` objects the simulator and ``kaipai run`` use), so a new job's zones account for what
the other studios already have queued and running. Nodes holding a grant are pinned to their zone;
the other jobs' waiting nodes may move, and the zone the service grants is always the current plan's.
Pure bookkeeping, no Ray: the service actor calls it under its single thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.placement.placedag import JobToPlace, Placement, place_jobs


@dataclass
class _Job:
    dag: Any
    profile: Any
    done: set[str] = field(default_factory=set)
    running: dict[str, str] = field(default_factory=dict)  # node -> zone it was granted


class GlobalPlan:
    """Active jobs' DAGs, what each has done and runs, and the zone the last global placement chose."""

    def __init__(self, topology: Any, policy: str = "kaipai") -> None:
        self.topology = topology
        self.policy = policy
        self.jobs: dict[str, _Job] = {}
        self.zone: dict[tuple[str, str], str | None] = {}  # (job, node) -> planned zone
        self.lost: set[str] = set()
        self.placements = 0  # global placements made (for status and tests)
        self.last_placer: Any = None
        self.warm_gpus: dict[tuple[str, str], int] = {}  # (zone, model) -> GPUs a live pool holds it on

    def place(
        self,
        job_id: str,
        dag: Any,
        profile: Any,
        *,
        done: Iterable[str] = (),
        exclude: Iterable[str] = (),
        warm_gpus: dict[tuple[str, str], int] | None = None,
    ) -> Placement:
        """Add (or refresh) a job, place every active job again, and return this job's placement.

        ``warm_gpus``: how many GPUs per (zone, model) hold it in memory (the service's pool actors,
        ``PoolRegistry.warm_gpus``). That many of the zone's GPUs start the plan with it loaded, so
        their first task pays no load, and its weights count as on that zone's disk (a pool that
        loaded them read them there), so work goes where its model is loaded unless that costs more.
        """
        if warm_gpus is not None:
            self.warm_gpus = warm_gpus
        job = self.jobs.get(job_id)
        if job is None:
            job = self.jobs[job_id] = _Job(dag, profile)
        job.dag, job.profile = dag, profile
        job.done |= set(done)
        self.lost |= set(exclude)
        return self.replan()[job_id]

    def replan(self) -> dict[str, Placement]:
        """Place all active jobs' remaining nodes together, leaving out the lost zones."""
        inputs = [
            JobToPlace(key, job.dag, job.profile, frozenset(job.done), dict(job.running))
            for key, job in self.jobs.items()
        ]
        placements = place_jobs(
            inputs, self._topology(), self.policy, exclude_zones=self.lost, warm_gpus=self.warm_gpus
        )
        for key, placement in placements.items():
            for node, zone in placement.zone.items():
                self.zone[(key, node)] = zone
        self.placements += 1
        self.last_placer = next(iter(placements.values())).placer if placements else None
        return placements

    def warm_models(self) -> dict[str, set[str]]:
        """Zone -> the models a live pool there holds (derived from ``warm_gpus``: one source)."""
        warm: dict[str, set[str]] = {}
        for (zone, model), gpus in self.warm_gpus.items():
            if gpus > 0:
                warm.setdefault(zone, set()).add(model)
        return warm

    def _topology(self) -> Any:
        """The cluster's topology with each zone's warm models added to the weights on its disks."""
        warm = self.warm_models()
        if not warm:
            return self.topology
        zones = [
            z.model_copy(update={"weights": sorted(set(z.weights) | warm.get(z.name, set()))})
            for z in self.topology.zones
        ]
        return self.topology.model_copy(update={"zones": zones})

    def zone_of(self, job_id: str, node: str) -> str | None:
        """The zone the current plan gives a node (None: not planned here, or anywhere)."""
        return self.zone.get((job_id, node))

    def knows(self, job_id: str) -> bool:
        return job_id in self.jobs

    def started(self, job_id: str, node: str, zone: str) -> None:
        job = self.jobs.get(job_id)
        if job is not None:
            job.running[node] = zone

    def ended(self, job_id: str, node: str, finished: bool) -> None:
        """A grant came back: a finished node is done; one that failed or was cancelled may run again."""
        job = self.jobs.get(job_id)
        if job is None:
            return
        job.running.pop(node, None)
        if finished:
            job.done.add(node)

    def drop(self, job_id: str) -> None:
        """The job ended or was cancelled: its nodes no longer weigh on anyone's placement."""
        self.jobs.pop(job_id, None)
        for key in [k for k in self.zone if k[0] == job_id]:
            del self.zone[key]

    def lose(self, zones: Iterable[str]) -> bool:
        """Zones lost to the cluster: re-place everyone's waiting nodes elsewhere. True if anything changed."""
        new = set(zones) - self.lost
        if not new:
            return False
        self.lost |= new
        for job in self.jobs.values():
            job.running = {n: z for n, z in job.running.items() if z not in new}
        if self.jobs and len(self.lost) < len(self.topology.zones):
            self.replan()
        return True
