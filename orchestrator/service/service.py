"""The kaipai service: one detached, named Ray actor holding the queue of every studio's work.

Each studio job is its own Ray job whose driver plans its DAG; before dispatching a ready node the
driver offers it here and waits for a grant (a lease on one slot of a zone). The service decides by
fair share (``fairshare``) over the zone's free slots (``slots``), keeps the job registry durable in
the shared store (``registry``), hands out the shared pool actors (``pools``) and exports the
cluster-wide metrics tagged by studio, zone and stage. It runs with ``max_concurrency=1``: every
method sees a consistent state without locks. Nothing here does stage work.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from pathlib import Path
from typing import Any

from orchestrator.metrics import ServiceMetrics
from orchestrator.service.fairshare import FairShare, Request
from orchestrator.service.globalplan import GlobalPlan
from orchestrator.service.jobqueue import JobQueue, RankKey
from orchestrator.service.pools import PoolRegistry
from orchestrator.service.registry import FINAL, JobRecord, Registry
from orchestrator.service.settings import ClusterSettings, policy_of
from orchestrator.service.slots import Slots

LEASE_SECONDS = 120.0  # a driver silent this long lost its grants and its queue (it re-offers on return)
USAGE_LOG_LIMIT = 100_000
MAX_READ_BYTES = 8 * 1024 * 1024
REAP_EVERY_SECONDS = 10.0
RECOVERY_SECONDS = 30.0  # after a restart, running jobs' drivers have this long to check in before queued ones


class KaipaiService:
    """The global view: jobs, the queue, grants, pools. Wrapped with ``ray.remote`` by ``service.up``."""

    def __init__(self, settings: dict[str, Any]) -> None:
        settings = dict(settings)
        self.config = settings.pop("config", None)  # the profile's path on the cluster (configs/...)
        self.settings = ClusterSettings.model_validate(settings)
        self.store = Path(self.settings.store)
        self.epoch = uuid.uuid4().hex[:12]
        self.started = time.time()
        self.registry = Registry(self.store)
        self.fair = FairShare(policy_of(self.settings.fair_share), clock=time.time)
        self.fair.charged = dict(self.registry.charged)
        self.slots = Slots(self.settings.slots)
        self.queue = JobQueue(self.settings.max_running_jobs)
        self.grants: dict[str, list[tuple[str, str]]] = {}  # job -> (node, zone) granted, not yet picked up
        self.stops: dict[str, list[str]] = {}  # job -> nodes whose slot was taken back, not yet told
        self.preemptions = 0  # grants taken back since this service started (fair share, rule 5)
        self.leases: dict[tuple[str, str], dict[str, Any]] = {}  # (job, node) -> zone, kind, stage, since
        self.stage_of: dict[tuple[str, str], str] = {}
        self.pool_of: dict[tuple[str, str], str] = {}  # (job, node) -> its pool's settings digest
        self.last_seen: dict[str, float] = {}
        self.usage: list[dict[str, Any]] = []
        self.metrics = ServiceMetrics()
        self.pools = PoolRegistry(self.settings.pools, self.metrics, self.store / "service" / "pools")
        self.plan: GlobalPlan | None = None  # made with the first job that brings a topology
        self._last_reap = time.time()

    # ---------------------------------------------------------------- jobs

    def describe(self) -> dict[str, Any]:
        """What a driver or a command needs to know about this service."""
        return {
            "epoch": self.epoch,
            "store": str(self.store),
            "started": self.started,
            "settings": {**self.settings.model_dump(), "config": self.config},
        }

    def register(self, job_id: str, studio: str, title: str, priority: int) -> dict[str, Any]:
        """A driver starts (or re-attaches after its own restart): the job's folder in the store."""
        record = self.registry.jobs.get(job_id)
        if record is None:
            if len(self.registry.active()) >= self.settings.max_jobs:
                raise RuntimeError(f"the service holds {self.settings.max_jobs} jobs already; try later")
            record = JobRecord(job_id, studio, title, min(priority, self.settings.max_priority), time.time())
            record.out = str(self.store / "jobs" / job_id)
            self.registry.add(record)
        elif record.state in FINAL:
            self.registry.update(job_id, state="QUEUED", finished=None, admitted_at=None, message="resubmitted")
        else:  # a new driver for a job still running: the old one died, its grants and queue go
            self._drop(job_id)
        self.last_seen[job_id] = time.time()
        if self.queue.limit is None:
            self._mark_admitted(job_id)  # no job queue: every job takes slots at once
        return {"epoch": self.epoch, "out": record.out, "store": str(self.store), "config": self.config}

    def exchange(
        self,
        job_id: str,
        offers: list[dict[str, Any]] | None = None,
        finished: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The driver's one call per loop: new ready nodes in, finished ones back, grants out.

        ``offers``: {node, stage, kind, zone, cost}; ``finished``: {node, seconds, outcome} (``outcome``:
        done, failed, cancelled or preempted; only a done node counts as done in the global plan). The answer carries
        the epoch, so a driver that sees it change offers again everything it still waits for.
        """
        now = time.time()
        self.last_seen[job_id] = now
        record = self.registry.jobs.get(job_id)
        if record is None or record.state == "CANCELLED":
            return {"epoch": self.epoch, "grants": [], "cancelled": record is not None, "unknown": record is None}
        for item in finished or []:
            self._release(job_id, item["node"], item.get("seconds"), item.get("outcome"))
        for offer in offers or []:
            self._offer(record, offer)
        self._expire_leases(now)
        if now - self._last_reap > REAP_EVERY_SECONDS:
            self._last_reap = now
            self.pools_reap()
        self._allocate()
        grants = self.grants.pop(job_id, [])
        if grants and record.state == "QUEUED":
            self.registry.update(job_id, state="RUNNING", started=now)
        self._export()
        stop = self.stops.pop(job_id, [])
        return {"epoch": self.epoch, "grants": grants, "stop": stop, "cancelled": False, "unknown": False}

    def progress(self, job_id: str, stages: dict[str, dict[str, int]], estimate_left: float | None) -> None:
        if job_id in self.registry.jobs:
            record = self.registry.jobs[job_id]
            record.stages, record.estimate_left = stages, estimate_left  # in memory: redone by the driver

    def finish(self, job_id: str, state: str, message: str = "") -> None:
        """The driver is done (SUCCEEDED or FAILED): its queue and leases go, its record is final."""
        if job_id not in self.registry.jobs:
            return
        self._drop(job_id)
        self._unplan(job_id)
        self.queue.leave(job_id)
        current = self.registry.jobs[job_id].state
        if current != "CANCELLED":
            self.registry.update(job_id, state=state, finished=time.time(), message=message[:2000])
        self.registry.account(self.fair.charged)
        self._allocate()
        self._export()

    def cancel(self, job_id: str) -> bool:
        """Stop granting to a job and free its slots; its finished artifacts stay in the store."""
        record = self.registry.jobs.get(job_id)
        if record is None or record.state in FINAL:
            return False
        self._drop(job_id)
        self._unplan(job_id)
        self.queue.leave(job_id)
        self.registry.update(job_id, state="CANCELLED", finished=time.time(), message="cancelled")
        self._allocate()
        return True

    # ---------------------------------------------------------------- placement

    def place(
        self,
        job_id: str,
        dag: Any,
        profile: Any,
        policy: str | None = None,
        exclude: list[str] | None = None,
        done: list[str] | None = None,
    ) -> Any:
        """Where a job's nodes go, decided with every active job in view (``globalplan``).

        A driver asks at its start and after losing a zone. The operator's ``placement_policy``
        places every job (one global view); a driver's own ``--policy`` only matters for a profile
        without zones, which is placed as ``kaipai run`` would. A lost zone is lost for every job:
        no slot there is granted again and everyone's waiting nodes are re-placed.
        """
        from orchestrator.placement import place_dag

        exclude, done = list(exclude or []), list(done or [])
        topology = getattr(profile, "topology", None)
        if topology is None or not topology.zones:
            return place_dag(dag, profile, policy or self.settings.placement_policy, exclude_zones=exclude, done=done)
        if self.plan is None:
            self.plan = GlobalPlan(topology, self.settings.placement_policy)
        self.slots.lost |= set(exclude)
        self.plan.lose(exclude)
        placement = self.plan.place(job_id, dag, profile, done=done, exclude=exclude, warm_gpus=self.pools.warm_gpus())
        self._allocate()
        return placement

    def zone_bytes(self, job_id: str, links: dict[str, int]) -> None:
        """A finished run's measured bytes between zones ("source->zone": bytes), into the metrics."""
        record = self.registry.jobs.get(job_id)
        if record is None:
            return
        for link, nbytes in links.items():
            source, _, zone = link.partition("->")
            self.metrics.zone_bytes(record.studio, zone, source, float(nbytes))

    # ---------------------------------------------------------------- pools

    def pool(self, spec: dict[str, Any]) -> Any:
        """The shared warm actor for (stage, backend, options, zone): one per key, made on first use."""
        return self.pools.actor(spec, queued=self._queued_for(spec.get("stage"), spec.get("zone")))

    def pools_reap(self) -> list[str]:
        """Stop pool actors idle past ``pools.idle_seconds``; returns their names."""
        busy = {(lease["stage"], lease["zone"]) for lease in self.leases.values()}
        return self.pools.reap(busy)

    # ---------------------------------------------------------------- views

    def status(self) -> dict[str, Any]:
        """``kaipai cluster status``: jobs per studio, running work per zone, pools, shares vs weights."""
        studios: dict[str, dict[str, int]] = {}
        for record in self.registry.jobs.values():
            counts = studios.setdefault(record.studio, {"QUEUED": 0, "RUNNING": 0, "done": 0})
            counts[record.state if record.state in ("QUEUED", "RUNNING") else "done"] += 1
        running: dict[str, dict[str, int]] = {}
        for lease in self.leases.values():
            zone = running.setdefault(lease["zone"], {})
            zone[lease["kind"]] = zone.get(lease["kind"], 0) + 1
        policy = self.fair.policy
        weights = {s: policy.weight(s) for s in {*studios, *self.fair.charged}}
        return {
            "epoch": self.epoch,
            "store": str(self.store),
            "studios": studios,
            "running": running,
            "slots": {f"{z}/{k}": n for (z, k), n in self.slots.capacity.items()},
            "queued": self.fair.queued(),
            "pools": self.pools.view(),
            "placement": self._placement_view(),
            "charged": dict(self.fair.charged),
            "weights": weights,
            "contended": self._contended_view(),
            "max_running_jobs": self.queue.limit,
            "preemptions": self.preemptions,
            "jobs": [{**r.to_json(), "admitted": self.queue.is_admitted(r.id)} for r in self.registry.jobs.values()],
        }

    def _contended_view(self) -> dict[str, Any]:
        """GPU-seconds each studio held against its fair share while studios contended (since this
        service started), up to now."""
        self.fair.ledger.advance(self.fair.clock())
        return self.fair.ledger.view()

    def job(self, job_id: str) -> dict[str, Any] | None:
        """``kaipai status ID``: the record, its queue position and an ETA from its remaining estimate."""
        record = self.registry.jobs.get(job_id)
        if record is None:
            return None
        data = record.to_json()
        data["admitted"] = self.queue.is_admitted(job_id)
        if data["admitted"]:
            order = self.fair.order()
            data["queue_position"] = order.index(job_id) + 1 if job_id in order else None
        else:  # waiting for admission: its place in the job queue
            data["queue_position"] = self.queue.position(job_id, self._live_jobs(), self._admission_rank)
        data["queued_nodes"] = self.fair.queued(job_id)
        data["running_nodes"] = sum(1 for (job, _) in self.leases if job == job_id)
        share = self._share_of(record.studio)
        if record.estimate_left is not None and share > 0:
            data["eta_seconds"] = round(record.estimate_left / share, 1)
        return data

    def usage_log(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Each finished grant: when, whose, where, and the seconds it used (for benchmarks)."""
        return [u for u in self.usage if u["finish"] >= since]

    def read(self, job_id: str, relpath: str, offset: int = 0, size: int = MAX_READ_BYTES) -> bytes:
        """A chunk of a file in a job's folder (``kaipai fetch``); only inside that folder."""
        record = self.registry.jobs.get(job_id)
        if record is None:
            raise FileNotFoundError(f"no job {job_id}")
        root = Path(record.out).resolve()
        path = (root / relpath).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise FileNotFoundError(f"{relpath} is not a file of job {job_id}")
        with path.open("rb") as handle:
            handle.seek(max(0, offset))
            return handle.read(max(0, min(size, MAX_READ_BYTES)))

    # ---------------------------------------------------------------- helpers

    def _offer(self, record: JobRecord, offer: dict[str, Any]) -> None:
        key = (record.id, offer["node"])
        if key in self.leases or any(n == offer["node"] for n, _ in self.grants.get(record.id, [])):
            return  # re-offered after an epoch change, but still held
        kind, zone = offer.get("kind", "cpu"), offer.get("zone")
        if self.plan is not None and self.plan.knows(record.id):
            zone = self.plan.zone_of(record.id, offer["node"]) or zone
        if zone is not None and not self.slots.knows(zone, kind):
            zone = None  # a zone the config gives no slots of this kind: let the service choose
        self.stage_of[key] = offer.get("stage", "")
        if isinstance(offer.get("pool"), str):
            self.pool_of[key] = offer["pool"]
        cost = float(offer.get("cost", 1.0)) * self._kind_weight(kind)
        self.fair.submit(Request(record.id, record.studio, offer["node"], kind, zone, cost, record.priority))

    def _allocate(self) -> None:
        """Admit what the job queue has room for, then hand out every free slot, one fair-share pick at a time."""
        for job_id in self.queue.fill(self._admission_candidates(), self._admission_rank):
            self._mark_admitted(job_id)
        gpus = self.slots.capacity.items()  # what rule 5 and the share ledger divide
        self.fair.capacity["gpu"] = sum(n for (z, k), n in gpus if k == "gpu" and z not in self.slots.lost)
        while True:
            request = self.fair.grant(lambda r: self.queue.is_admitted(r.job) and self.slots.fits(self._planned(r)))
            if request is None:
                break
            self._lease(request, self.slots.take(self._planned(request)))
        while self.fair.policy.preempt:
            pair = self.fair.reclaim(self.fair.capacity.get("gpu", 0), self._fits_slot_of)
            if pair is None:
                return
            taker, victim = pair
            lease = self.leases.pop((victim.job, victim.node))  # its slot is the taker's from now
            if self.plan is not None:
                self.plan.ended(victim.job, victim.node, finished=False)
            self.stops.setdefault(victim.job, []).append(victim.node)  # its driver stops the call
            self.preemptions += 1
            self._lease(taker, lease["zone"])

    def _lease(self, request: Request, zone: str) -> None:
        """``request`` holds a slot of ``zone`` from now; its driver picks the grant up with its next call."""
        if self.plan is not None:
            self.plan.started(request.job, request.node, zone)
        stage = self.stage_of.get((request.job, request.node), "")
        self.leases[(request.job, request.node)] = {
            "zone": zone,
            "kind": request.kind,
            "stage": stage,
            "studio": request.studio,
            "since": time.time(),
        }
        self.grants.setdefault(request.job, []).append((request.node, zone))

    def _fits_slot_of(self, waiting: Request, running: Request) -> bool:
        """Whether a waiting request may take the slot a running grant holds: same kind, and the zone
        the plan gives it or one it may spill to (any, if unplaced); admitted jobs only."""
        lease = self.leases.get((running.job, running.node))
        if lease is None or not self.queue.is_admitted(waiting.job) or lease["kind"] != waiting.kind:
            return False
        zone = self._plan_zone(waiting)
        return zone is None or lease["zone"] == zone or lease["zone"] in self._spill_zones(waiting)

    def _mark_admitted(self, job_id: str) -> None:
        """When the job first took its place among the running ones (kept when its driver or the service restarts)."""
        record = self.registry.jobs.get(job_id)
        if record is not None and record.admitted_at is None:
            self.registry.update(job_id, admitted_at=time.time())

    def _release(self, job_id: str, node: str, seconds: float | None, outcome: str | None = None) -> None:
        """A grant came back: its slot is free and the seconds it held are charged. ``outcome`` (the
        driver's ``Outcome``) says whether the node finished; a driver that sends none (an older one)
        is taken to have finished every node that ran."""
        if outcome == "preempted":
            return  # its lease went to another studio when it was taken back; the driver sends none
        lease = self.leases.pop((job_id, node), None)
        if lease is None:
            if outcome == "done":  # taken back, but it finished before it could stop: not to run again
                self.fair.withdraw_node(job_id, node)
            return
        self.slots.give(lease["zone"], lease["kind"])
        charged = None if seconds is None else seconds * self._kind_weight(lease["kind"])
        self.fair.settle(job_id, node, charged)
        self.stage_of.pop((job_id, node), None)
        self.pool_of.pop((job_id, node), None)
        if self.plan is not None:
            finished = outcome == "done" if outcome is not None else seconds is not None
            self.plan.ended(job_id, node, finished=finished)
        if seconds is not None:
            entry = {**lease, "job": job_id, "node": node, "seconds": seconds, "outcome": outcome}
            entry["finish"] = time.time()
            self.usage.append(entry)
            del self.usage[:-USAGE_LOG_LIMIT]
            self.metrics.task_seconds(lease["studio"], lease["zone"], lease["stage"], lease["kind"], seconds)

    def _planned(self, request: Request) -> Request:
        """The request as the current global plan places it (its zone may have moved since it was
        offered); work of a ``spill_kinds`` kind whose zone is full goes to the zone it may spill to
        (``_spill_zones``) with most free slots."""
        zone = self._plan_zone(request)
        if zone is not None and self.slots.free(zone, request.kind) <= 0:
            free = {z: n for z in sorted(self._spill_zones(request)) if (n := self.slots.free(z, request.kind)) > 0}
            if free:
                zone = max(free, key=free.__getitem__)
        return request if zone == request.zone else dataclasses.replace(request, zone=zone)

    def _plan_zone(self, request: Request) -> str | None:
        if self.plan is not None:
            planned = self.plan.zone_of(request.job, request.node)
            if planned is not None and self.slots.knows(planned, request.kind):
                return planned
        return request.zone

    def _spill_zones(self, request: Request) -> set[str]:
        """Where a request may run besides its planned zone: any zone for CPU work, and for GPU work
        the zones where a live pool of its settings holds its model, so spilling never loads a model
        (``spill_kinds``). Without it the fair share would divide each zone's GPUs among the studios
        planned there, and a studio planned alone in a zone would hold that zone's GPUs whatever its weight."""
        if request.kind not in self.settings.spill_kinds:
            return set()
        zones = {z for z in self.slots.zones() if z not in self.slots.lost}
        if request.kind == "cpu":
            return zones
        pool = self.pool_of.get((request.job, request.node))
        return zones & self.pools.warm_zones(pool) if pool is not None else set()

    def _unplan(self, job_id: str) -> None:
        if self.plan is not None:
            self.plan.drop(job_id)

    def _placement_view(self) -> dict[str, Any]:
        if self.plan is None:
            return {"policy": self.settings.placement_policy, "placements": 0, "lost": sorted(self.slots.lost)}
        return {
            "policy": self.plan.policy,
            "placements": self.plan.placements,
            "jobs": len(self.plan.jobs),
            "planned": sorted(self.plan.jobs),  # the jobs whose remaining work the global plan places
            "lost": sorted(self.plan.lost | self.slots.lost),
        }

    def _drop(self, job_id: str) -> None:
        self.fair.withdraw(job_id)
        for key in [k for k in self.pool_of if k[0] == job_id]:
            del self.pool_of[key]
        self.grants.pop(job_id, None)
        self.stops.pop(job_id, None)
        for job, node in [k for k in self.leases if k[0] == job_id]:
            self._release(job, node, None)

    def _expire_leases(self, now: float) -> None:
        for job_id, seen in list(self.last_seen.items()):
            if now - seen > LEASE_SECONDS:
                self._drop(job_id)
                self.queue.leave(job_id)  # a driver gone for good must not hold a place; it ranks first on return
                del self.last_seen[job_id]

    def _live_jobs(self) -> list[str]:
        """Active jobs whose driver is talking to this service: the candidates for admission."""
        return [r.id for r in self.registry.active() if r.id in self.last_seen]

    def _admission_candidates(self) -> list[str]:
        """The live jobs; just after a restart, only the ones that were running until all of them
        checked in, so a queued job's driver that calls first does not take a running job's place."""
        live = self._live_jobs()
        recovering = time.time() - self.started < RECOVERY_SECONDS and any(
            r.state == "RUNNING" and r.id not in self.last_seen for r in self.registry.active()
        )
        return [j for j in live if self.registry.jobs[j].state == "RUNNING"] if recovering else live

    def _admission_rank(self, job_id: str) -> RankKey:
        """Jobs that ran already first, then the fair-share order of their studio and priority, then age."""
        record = self.registry.jobs[job_id]
        score = self.fair.virtual_time(record.studio) - self.fair.policy.bonus(record.priority)
        return (0 if record.state == "RUNNING" else 1, score, record.submitted, job_id)

    def _queued_for(self, stage: str | None, zone: str | None) -> int:
        return sum(
            1
            for items in self.fair.waiting.values()
            for w in items
            if w.request.zone == zone and self.stage_of.get((w.request.job, w.request.node)) == stage
        )

    def _kind_weight(self, kind: str) -> float:
        return 1.0 if kind == "gpu" else self.settings.fair_share.cpu_seconds_weight

    def _share_of(self, studio: str) -> float:
        """The studio's fair fraction of the slots among the studios with work now."""
        busy = {w.request.studio for items in self.fair.waiting.values() for w in items}
        busy |= {lease["studio"] for lease in self.leases.values()}
        busy.add(studio)
        total = sum(self.fair.policy.weight(s) for s in busy)
        slots = sum(n for (_, k), n in self.slots.capacity.items() if k == "gpu") or 1
        return slots * self.fair.policy.weight(studio) / total

    def _export(self) -> None:
        queued: dict[tuple[str, str], int] = {}
        for items in self.fair.waiting.values():
            for w in items:
                key = (w.request.studio, w.request.zone or "any")
                queued[key] = queued.get(key, 0) + 1
        running: dict[tuple[str, str], int] = {}
        for lease in self.leases.values():
            key = (lease["studio"], lease["zone"])
            running[key] = running.get(key, 0) + 1
        self.metrics.snapshot(queued, running)
