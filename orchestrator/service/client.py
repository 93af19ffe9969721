"""The driver's side of the service: the executor's admission and pool seams, backed by the service.

``ServiceAdmission`` implements ``orchestrator.execution.admission.Admission``: a ready node is
offered to the service and held until the service grants it a slot (and names the zone); a grant is
given back, with the seconds the node used, when its call ends. Offers and releases are batched
into one ``exchange`` call per turn of the dispatch loop (at most every ``EXCHANGE_SECONDS``), so
six drivers cost the service a few calls a second, not one per node. If the service restarted
(its epoch changed) everything still waiting is offered again: the service's queue is rebuilt by
the drivers that own it.

``SharedPools`` implements ``orchestrator.execution.pools.PoolProvider``: the actors are the
service's named, detached pool actors per (stage, model, zone), shared by every job; this run only
counts its own calls on them and never stops them.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from orchestrator.execution.admission import Grant, Outcome, Request
from orchestrator.execution.pools import ActorLoads
from orchestrator.service.handle import service_handle  # noqa: F401  (re-exported for drivers)
from orchestrator.service.settings import NAMESPACE
from stages.errors import RunFailed

EXCHANGE_SECONDS = 0.2
DEFAULT_ESTIMATE = 1.0  # seconds a stage's node is guessed to take before one was measured
RESTART_WAIT_SECONDS = 120.0  # how long a call waits for a restarting service actor (max_restarts=-1)


def call_service(method: Any, *args: Any, timeout: float = RESTART_WAIT_SECONDS) -> Any:
    """``ray.get(method.remote(*args))``, asked again while the service actor is restarting.

    A call in flight when the actor dies fails with ``RayActorError``; Ray restarts the actor and a
    new call reaches its successor (which recovered its jobs from the journal). Other errors and a
    service still gone after ``timeout`` are raised.
    """
    import ray
    from ray.exceptions import RayActorError

    deadline = time.monotonic() + timeout
    while True:
        try:
            return ray.get(method.remote(*args), timeout=max(1.0, deadline - time.monotonic()))
        except RayActorError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1.0)


class JobCancelled(RunFailed):
    """The studio (or an operator) cancelled the job: the run stops, finished artifacts stay."""


class ServiceAdmission:
    """Grants from the service, by fair share across studios and by zone."""

    def __init__(
        self,
        service: Any,
        job_id: str,
        epoch: str,
        *,
        clock=time.monotonic,
        on_new_epoch: Callable[[set[str]], None] | None = None,
    ) -> None:
        self.service = service
        self.job_id = job_id
        self.epoch = epoch
        self.clock = clock
        self.on_new_epoch = on_new_epoch  # given the nodes the new service will not see offered, before offering again
        self.ran: set[str] = set()  # nodes whose grant came back finished ("done")
        self.offered: dict[str, dict[str, Any]] = {}  # node -> offer, not granted yet
        self.outbox: list[dict[str, Any]] = []  # offers not sent yet
        self.granted: dict[str, str] = {}  # node -> zone, granted, not yet dispatched
        self.leased: dict[str, float] = {}  # node -> when dispatched (clock)
        self.finished: list[dict[str, Any]] = []
        self.seconds: dict[str, float] = {}  # stage -> moving average of measured seconds
        self.stage_of: dict[str, str] = {}
        # Stage -> the settings digest of its shared pool (``SharedPools.digest``; None: no pool), so the
        # service may grant a GPU node in another zone where the same pool is warm.
        self.pool_of: Callable[[str], str | None] | None = None
        self.offers: dict[str, dict[str, Any]] = {}  # node -> its offer, until released
        self.last_exchange = float("-inf")
        self.cancelled = False
        self.stopping: list[str] = []  # nodes whose slot the service took back, for the loop to stop

    # ---------------------------------------------------------------- the seam

    def admit(self, request: Request) -> Grant | None:
        if request.node in self.granted:
            zone = self.granted.pop(request.node)
            self.leased[request.node] = self.clock()
            return Grant(zone, lease=request.node)
        if request.node not in self.offered:
            offer = {
                "node": request.node,
                "stage": request.stage,
                "kind": "gpu" if request.gpus > 0 else "cpu",
                "zone": request.zone,
                "cost": self.estimate(request.stage) * max(request.gpus, 1.0),
            }
            pool = self.pool_of(request.stage) if self.pool_of is not None else None
            if pool is not None:
                offer["pool"] = pool
            self.offered[request.node] = self.offers[request.node] = offer
            self.outbox.append(offer)
            self.stage_of[request.node] = request.stage
        self.sync()
        if request.node in self.granted:
            return self.admit(request)
        return None

    def release(self, node: str, grant: Grant, outcome: Outcome) -> None:
        if outcome == "preempted":  # the service took its slot back and queued it again: nothing to send
            self.leased.pop(node, None)
            return
        self.offered.pop(node, None)  # taken back but it finished first: the service drops its queued copy
        self.granted.pop(node, None)
        started = self.leased.pop(node, None)
        seconds = None if started is None else self.clock() - started
        if seconds is not None and outcome == "done" and node in self.stage_of:
            self._learn(self.stage_of[node], seconds)
        if seconds is not None and outcome == "done":
            self.ran.add(node)  # only finished nodes: a failed one runs again, and a new plan must place it
        self.offers.pop(node, None)
        self.finished.append({"node": node, "seconds": seconds, "outcome": outcome})

    def tick(self) -> None:
        """The heartbeat: a run whose nodes all hold long grants (a half-hour video shot) still talks
        to the service, which would otherwise take it for a dead driver after ``LEASE_SECONDS`` and
        hand its slots to others while its calls still run."""
        self.sync()

    def to_stop(self) -> list[str]:
        """Nodes whose slot the service took back (fair share, rule 5): the loop stops their calls.
        The service queued each again in its old place, so each waits for a grant as if offered."""
        stopping, self.stopping = self.stopping, []
        return stopping

    # ---------------------------------------------------------------- talking to the service

    def sync(self, force: bool = False) -> None:
        """One ``exchange`` with the service (rate-limited unless ``force``)."""
        import ray

        now = self.clock()
        if not force and now - self.last_exchange < EXCHANGE_SECONDS:
            return
        self.last_exchange = now
        outbox, finished = self.outbox, self.finished
        self.outbox, self.finished = [], []
        try:
            answer = ray.get(self.service.exchange.remote(self.job_id, outbox, finished))
        except Exception:  # the service is restarting: keep everything for the next turn
            self.outbox, self.finished = outbox + self.outbox, finished + self.finished
            return
        if answer.get("cancelled"):
            self.cancelled = True
            raise JobCancelled(f"job {self.job_id} was cancelled")
        if answer["epoch"] != self.epoch or answer.get("unknown"):
            self._reoffer(answer["epoch"])
        # Grants in an answer from a new service are its own: taken, or it would hold their slots
        # for a driver that never uses them (a re-offer of a held node is ignored).
        for node in answer.get("stop", []):
            if node in self.leased:  # still running here: stop it; the service queued it again
                self.stopping.append(node)
                self.offered[node] = self.offers[node]
        for node, zone in answer["grants"]:
            if self.offered.pop(node, None) is not None:
                self.granted[node] = zone
        self.outbox = [offer for offer in self.outbox if offer["node"] in self.offered]

    def estimate(self, stage: str) -> float:
        return self.seconds.get(stage, DEFAULT_ESTIMATE)

    def close(self) -> None:
        """Hand back whatever this run still holds (a run that stopped early)."""
        held = [*self.granted, *self.leased]
        self.finished += [{"node": node, "seconds": None, "outcome": "cancelled"} for node in held]
        self.granted.clear()
        self.leased.clear()
        self.sync(force=True)

    def _reoffer(self, epoch: str) -> None:
        """A new service (restarted from its journal): place the job with it again, then offer again
        what still waits.

        The journal keeps jobs, not their DAGs: without the placement, the new service's global plan
        would know only the jobs that start after it, and would place them as if the running ones
        had nothing left. Grants the old service gave and this run has not used yet go back into the
        offer; nodes already running finish under no lease (the new service learns of them when they end).
        """
        self.epoch = epoch
        if self.on_new_epoch is not None:
            try:
                self.on_new_epoch(self.ran | set(self.leased))  # running ones end under no lease: not its to plan
            except Exception as exc:  # the offers still carry the zones of this run's last plan
                print(f"kaipai: could not place the job with the restarted service: {exc}", file=sys.stderr)
        for node in list(self.granted):
            del self.granted[node]
            self.offered[node] = self.offers[node]
        self.outbox = list(self.offered.values())
        self.finished = []

    def _learn(self, stage: str, seconds: float) -> None:
        old = self.seconds.get(stage)
        self.seconds[stage] = seconds if old is None else 0.7 * old + 0.3 * seconds


class ServicePlacer:
    """The executor's placer seam (``execution.placing``), answered by the service's global plan.

    The driver never places its own DAG under the service: it sends the DAG and its profile, and the
    service places every active job together with the operator's policy (``service.globalplan``).
    """

    TIMEOUT_SECONDS = 120.0

    def __init__(self, service: Any, job_id: str) -> None:
        self.service, self.job_id = service, job_id
        self.last: tuple[Any, Any, str, frozenset[str], frozenset[str]] | None = None  # the last call's arguments

    def __call__(self, dag: Any, profile: Any, policy: str, *, exclude_zones=frozenset(), done=frozenset()) -> Any:
        self.last = (dag, profile, policy, frozenset(exclude_zones), frozenset(done))
        args = (self.job_id, dag, profile, policy, sorted(exclude_zones), sorted(done))
        return call_service(self.service.place, *args, timeout=self.TIMEOUT_SECONDS)

    def place_again(self, ran: set[str]) -> None:
        """The same placement asked of a restarted service, with what has run since counted as done.
        Its answer is not used here: the zone of every grant is the service's current plan's."""
        if self.last is None:
            return  # not placed yet: the run's first placement will reach the new service
        dag, profile, policy, exclude, done = self.last
        self(dag, profile, policy, exclude_zones=exclude, done=done | ran)


class SharedPools(ActorLoads):
    """The service's shared pool actors, per (stage, zone); this run only counts its own calls."""

    REFRESH_SECONDS = 10.0  # how often to ask again (the service may have grown or restarted the pool)

    def __init__(self, service: Any, runtimes: Any, clock=time.monotonic) -> None:
        self.service = service
        self.runtimes = runtimes
        self.clock = clock
        self.actors: dict[tuple[str, str | None], list[Any]] = {}
        self.asked: dict[tuple[str, str | None], float] = {}
        self.handles: dict[str, Any] = {}
        super().__init__()

    def actor_for(self, stage: str, zone: str | None) -> Any:
        key = (stage, zone)
        actors = self.actors.get(key)
        if not actors or self.clock() - self.asked.get(key, 0.0) > self.REFRESH_SECONDS:
            names = call_service(self.service.pool, self.spec(stage, zone))
            actors = [self._handle(name) for name in names]
            self.actors[key], self.asked[key] = actors, self.clock()
        return self.least_busy(actors)

    def _handle(self, name: str) -> Any:
        """One handle per actor name for the whole run, so a refresh keeps its load count."""
        import ray

        if name not in self.handles:
            self.handles[name] = ray.get_actor(name, namespace=NAMESPACE)
        return self.handles[name]

    def spec(self, stage: str, zone: str | None) -> dict[str, Any]:
        """What identifies the pool: the same settings in the same zone share one set of actors."""
        runtime = self.runtimes(stage)
        pool = runtime.pool
        size = pool.size.get(zone or "*", pool.size.get("*", 1)) if pool is not None else 1
        return {
            "stage": stage,
            "backend": runtime.backend,
            "options": dict(runtime.options),
            "resources": dict(runtime.resources),
            "zone": zone,
            "max_size": size,
            "max_concurrency": pool.max_concurrency if pool is not None else 1,
        }

    def digest(self, stage: str) -> str | None:
        """The settings digest of the stage's shared pool (the same in every zone); None: no pool."""
        from orchestrator.service.pools import pool_digest

        return pool_digest(self.spec(stage, None)) if self.runtimes(stage).pool is not None else None

    def stage_done(self, stage: str) -> None:
        """The actors stay warm for the other jobs; the service stops them when idle."""

    def actor_lost(self, stage: str, zone: str | None) -> None:
        for actor in self.actors.pop((stage, zone), []):  # ask the service again: it restarts dead ones
            self.handles = {n: a for n, a in self.handles.items() if a is not actor}

    def zones_lost(self, zones: set[str]) -> None:
        for key in [k for k in self.actors if k[1] in zones]:
            del self.actors[key]

    def tick(self) -> None:
        pass

    def close(self) -> None:
        self.actors.clear()


class ServiceProgress:
    """A run observer that also tells the service each stage's progress (for ``kaipai status``).

    Wraps the driver's own observer (its log lines stay as they are); at most one progress call every
    ``PROGRESS_SECONDS``, fire-and-forget, so a slow service never slows the run. An update that
    falls inside that interval is sent when it ends (a timer), not with the next update: a burst of
    tasks followed by a long one would otherwise leave the service's count behind for minutes.
    """

    PROGRESS_SECONDS = 2.0

    def __init__(self, inner: Any, service: Any, job_id: str, admission: ServiceAdmission, clock=time.monotonic):
        self.inner, self.service, self.job_id, self.admission, self.clock = inner, service, job_id, admission, clock
        self.stages: dict[str, dict[str, int]] = {}
        self.last = float("-inf")
        self.lock = threading.Lock()
        self.trailing: threading.Timer | None = None

    def start(self, totals: dict[str, int]) -> None:
        with self.lock:
            for stage, total in totals.items():
                self.stages[stage] = {"total": total, "done": 0}
        if self.inner is not None:
            self.inner.start(totals)
        self._send(force=True)

    def update(self, stage: str, status: str) -> None:
        if status in ("done", "cached", "failed", "skipped"):
            with self.lock:
                self.stages.setdefault(stage, {"total": 0, "done": 0})["done"] += 1
        if self.inner is not None:
            self.inner.update(stage, status)
        self._send()

    def event(self, message: str, level: str = "info") -> None:
        if self.inner is not None:
            self.inner.event(message, level)

    def close(self) -> None:
        if self.inner is not None:
            self.inner.close()
        with self.lock:
            if self.trailing is not None:
                self.trailing.cancel()
                self.trailing = None
        self._send(force=True)

    def _send(self, force: bool = False) -> None:
        with self.lock:
            now = self.clock()
            wait = self.last + self.PROGRESS_SECONDS - now
            if not force and wait > 0:
                if self.trailing is None:  # one timer sends whatever has changed by then
                    self.trailing = threading.Timer(wait, self._send_trailing)
                    self.trailing.daemon = True
                    self.trailing.start()
                return
            self.last = now
            stages = {s: dict(c) for s, c in self.stages.items()}
        left = sum((c["total"] - c["done"]) * self.admission.estimate(s) for s, c in stages.items())
        with contextlib.suppress(Exception):  # progress is a courtesy; the run goes on
            self.service.progress.remote(self.job_id, stages, left)

    def _send_trailing(self) -> None:
        with self.lock:
            self.trailing = None
        self._send(force=True)
