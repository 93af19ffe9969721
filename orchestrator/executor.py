"""Run a task DAG on Ray: each node as soon as its inputs exist, in its planned zone, cached work skipped.

The driver keeps one loop on ``ray.wait``. A node whose artifact key is already in the store is
never submitted. Stages without a ``pool:`` run as plain Ray tasks (build the stage, ``setup()``,
``store.produce``); pooled stages go to warm actors (``workers.pool``) kept per (stage, zone), which
take groups of ready nodes at once when the pool has ``batch_size > 1``, and give their CPUs/GPUs back
as soon as every node of their stage has settled. A pool whose actors cannot start (a missing model)
fails its stage once, with the cause, instead of once per shot.
Transient failures are retried (``profile.retries``); a node that still fails is reported with its
id and cause, its dependents are skipped, and all independent work still finishes. With a topology,
each node carries ``label_selector={"zone": ...}`` from ``orchestrator.placement.place_dag``; when a
zone loses its last alive node mid-run, the remaining work is placed again without that zone and
stranded tasks are cancelled and resubmitted there.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import store
from orchestrator.config import Profile
from orchestrator.dag import Dag, Node, stage_resources
from orchestrator.metrics import StageMetrics
from orchestrator.progress import QuietProgress, RunObserver
from stages.base import Artifact
from stages.errors import InputError, StageFailed
from stages.registry import BACKENDS

log = logging.getLogger(__name__)

SYSTEM_RETRIES = 5  # resubmissions after node/worker loss, on top of profile.retries
ANY_ZONE = "*"
SETTLED = frozenset({"done", "cached", "failed", "skipped"})
RETIRE_GRACE_SECONDS = 30.0  # how long a retiring actor may take to tear its model down


# ---------------------------------------------------------------- what the workers run


def cpu_clock() -> float:
    """CPU seconds of this process plus its finished children (ffmpeg, espeak-ng run as subprocesses)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _result(artifact: Artifact, started: float, cpu_started: float) -> dict[str, Any]:
    import ray

    return {
        "artifact": artifact,
        "node": ray.get_runtime_context().get_node_id(),
        "start": started,
        "finish": time.time(),
        "cpu_seconds": cpu_clock() - cpu_started,
    }


def run_stage_task(
    target: str,
    options: dict[str, Any],
    key: str,
    params: dict[str, Any],
    inputs: dict[str, Any],
    store_root: str,
) -> dict[str, Any]:
    """One node as a plain Ray task. ``target`` is the registry's ``module:Class`` resolved by the driver."""
    started, cpu_started = time.time(), cpu_clock()
    module_name, _, class_name = target.partition(":")
    with stage_errors():
        stage = getattr(importlib.import_module(module_name), class_name)(options)
        stage.setup()
        try:
            artifact = store.produce(stage, key, params, inputs, store_root)
        finally:
            stage.teardown()
    return _result(artifact, started, cpu_started)


@contextlib.contextmanager
def stage_errors() -> Iterator[None]:
    """Carry a stage's error back as a StageFailed that says whether a retry could help."""
    try:
        yield
    except StageFailed:
        raise
    except Exception as exc:
        from pydantic import ValidationError

        permanent = isinstance(exc, (InputError, ValidationError, KeyError, TypeError))
        raise StageFailed(describe_error(exc), retryable=not permanent) from exc


def pooled_worker_class(base: type) -> type:
    """A subclass of a pool worker that also reports where and how long it ran (same result as a task)."""

    class Pooled(base):  # type: ignore[valid-type, misc]
        def run_node(self, key: str, params: dict[str, Any], inputs: dict[str, Any], store_root: str) -> dict[str, Any]:
            started, cpu_started = time.time(), cpu_clock()
            with stage_errors():
                artifact = self.execute(key, params, inputs, store_root)
            return _result(artifact, started, cpu_started)

        def run_batch(
            self, tasks: list[tuple[str, dict[str, Any], dict[str, Any]]], store_root: str
        ) -> list[dict[str, Any]]:
            """Several nodes in one ``execute_batch`` call; one outcome per node, in order.

            A unit that fails makes the whole batch call raise, so the units are then made one at a
            time (finished ones are cached by then): each node gets its own artifact or its own error.
            """
            started, cpu_started = time.time(), cpu_clock()
            outcomes: list[dict[str, Any]] = []
            try:
                with stage_errors():
                    outcomes = [{"artifact": a} for a in self.execute_batch(tasks, store_root)]
            except StageFailed:
                for key, params, inputs in tasks:
                    try:
                        with stage_errors():
                            outcomes.append({"artifact": self.execute(key, params, inputs, store_root)})
                    except StageFailed as exc:
                        outcomes.append({"error": exc})
            import ray

            node, finished = ray.get_runtime_context().get_node_id(), time.time()
            cpu_share = (cpu_clock() - cpu_started) / max(1, len(tasks))
            for outcome in outcomes:
                outcome.update(node=node, start=started, finish=finished, cpu_seconds=cpu_share, batch=len(tasks))
            return outcomes

    Pooled.__name__ = Pooled.__qualname__ = f"Pooled{base.__name__}"
    return Pooled


def default_worker_factory(stage: str, backend: str) -> type:
    from workers.pool import worker_class_for

    return worker_class_for(stage, backend)


# ---------------------------------------------------------------- run records


@dataclass
class TaskRecord:
    """What happened to one node: the manifest's per-task entry."""

    id: str
    stage: str
    unit: str
    episode: str | None
    backend: str
    key: str
    status: str = "pending"  # pending, running, done, cached, failed, skipped
    zone: str | None = None
    node: str | None = None  # Ray node id where it ran
    start: float | None = None  # seconds since the run started
    finish: float | None = None
    attempts: int = 0
    error: str | None = None
    cpu_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("start", "finish", "cpu_seconds"):
            if data[name] is not None:
                data[name] = round(data[name], 3)
        return data


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
        return [r for r in self.records.values() if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return all(r.status in ("done", "cached") for r in self.records.values())

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
        skipped = self.count("skipped")
        if skipped:
            lines.append(f"{skipped} dependent task(s) skipped")
        return "\n".join(lines)


# ---------------------------------------------------------------- Ray connection


@contextlib.contextmanager
def ray_connection(profile: Profile, address: str | None = None) -> Iterator[None]:
    """Use the Ray already connected (tests, notebooks); else connect to ``address``; else start one.

    Only a connection made here is shut down here.
    """
    import ray

    if ray.is_initialized():
        yield
        return
    if address:
        ray.init(address=address, log_to_driver=True, configure_logging=False)
    else:
        # An embedded throwaway cluster: nobody else can reach it, so token auth only gets in the way.
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(
            num_cpus=profile.ray.num_cpus,
            object_store_memory=profile.ray.object_store_memory,
            include_dashboard=profile.ray.include_dashboard,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        yield
    finally:
        ray.shutdown()


def alive_zones() -> set[str]:
    import ray

    return {n["Labels"]["zone"] for n in ray.nodes() if n.get("Alive") and (n.get("Labels") or {}).get("zone")}


_SYSTEM_ERRORS: tuple[type[BaseException], ...] | None = None


def _system_errors() -> tuple[type[BaseException], ...]:
    """Errors that say a worker or node went away, not that the stage is wrong."""
    global _SYSTEM_ERRORS
    if _SYSTEM_ERRORS is None:
        from ray import exceptions as rex

        names = (
            "NodeDiedError",
            "WorkerCrashedError",
            "ActorDiedError",
            "ActorUnavailableError",
            "ObjectLostError",
            "OwnerDiedError",
            "LocalRayletDiedError",
            "TaskCancelledError",
        )
        _SYSTEM_ERRORS = tuple(getattr(rex, n) for n in names if hasattr(rex, n))
    return _SYSTEM_ERRORS


def describe_error(exc: BaseException) -> str:
    """``ValueError: message`` from the stage's own exception, not Ray's wrapper and its traceback."""
    cause = getattr(exc, "cause", None) or exc
    if isinstance(cause, StageFailed):
        return str(cause)
    text = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {text[0] if text else ''}"[:500]


# ---------------------------------------------------------------- the executor


Placer = Callable[..., Any]


class Executor:
    """Runs one DAG to completion (or to the failures that stop parts of it)."""

    def __init__(
        self,
        profile: Profile,
        store_root: str | Path,
        *,
        policy: str = "kaipai",
        observer: RunObserver | None = None,
        placer: Placer | None = None,
        worker_factory: Callable[[str, str], type] | None = None,
        poll_seconds: float = 0.25,
        job_name: str = "",
    ) -> None:
        self.profile = profile
        self.store_root = str(Path(store_root).resolve())
        self.policy = policy
        self.observer = observer or QuietProgress()
        self.placer = placer
        self.worker_factory = worker_factory or default_worker_factory
        self.poll_seconds = poll_seconds
        self.job_name = job_name

    # ---- setup helpers

    def _placement(self, dag: Dag, exclude: set[str], done: set[str]) -> Any:
        placer = self.placer
        if placer is None:
            from orchestrator.placement import place_dag

            placer = place_dag
        return placer(dag, self.profile, self.policy, exclude_zones=frozenset(exclude), done=frozenset(done))

    def run(self, dag: Dag) -> RunReport:
        import ray

        run = _Run(self, dag, ray)
        return run.execute()


class _Run:
    """The state of one execution (kept apart from the reusable Executor)."""

    def __init__(self, ex: Executor, dag: Dag, ray: Any) -> None:
        self.ex = ex
        self.dag = dag
        self.ray = ray
        self.profile = ex.profile
        self.started = time.time()
        self.report = RunReport({}, {}, self.started, policy=None)
        self.records = self.report.records
        self.artifacts = self.report.artifacts
        self.in_flight: dict[Any, tuple[list[str], Any]] = {}  # ObjectRef -> (node ids, actor or None)
        self.ref_of: dict[str, Any] = {}
        self.delayed: list[tuple[float, str]] = []  # (not before, node id): retries after a pause
        self.waiting: dict[str, list[str]] = {}  # batching stage -> ready nodes not sent to an actor yet
        self.system_failures: dict[str, int] = {}
        self.zone: dict[str, str | None] = {nid: None for nid in dag.nodes}
        self.zoned = False
        self.excluded: set[str] = set()
        self.remaining_deps: dict[str, int] = {}
        self.unsettled: dict[str, int] = {}  # stage -> nodes not yet done/cached/failed/skipped
        self.nodes_of_stage: dict[str, list[str]] = {}
        self.queue_depth: dict[str, int] = {}
        self.metrics = StageMetrics(ex.job_name)
        self.remote_task = ray.remote(run_stage_task)
        self.pools: dict[tuple[str, str], list[Any]] = {}
        self.pool_load: dict[Any, int] = {}
        self.pool_counter = 0
        self.retiring: dict[Any, tuple[Any, float]] = {}  # shutdown() ref -> (actor, kill it by then)
        self.broken_stages: dict[str, str] = {}  # stage -> why its workers cannot start
        self.settings_cache: dict[str, dict[str, Any]] = {}

    # ---- per-stage settings

    def stage_settings(self, stage: str) -> dict[str, Any]:
        if stage not in self.settings_cache:
            settings = self.profile.stage(stage)
            res = stage_resources(self.profile, stage)
            opts: dict[str, Any] = {"num_cpus": res.num_cpus}
            if res.num_gpus:
                opts["num_gpus"] = res.num_gpus
            if res.memory_mb:
                opts["memory"] = res.memory_mb * 1024 * 1024
            self.settings_cache[stage] = {
                "target": BACKENDS[(stage, settings.backend)],
                "options": dict(settings.options),
                "backend": settings.backend,
                "resources": opts,
                "gpus": res.num_gpus,
                "pool": settings.pool,
            }
        return self.settings_cache[stage]

    def batch_size(self, stage: str) -> int:
        pool = self.stage_settings(stage)["pool"]
        return pool.batch_size if pool is not None else 1

    def now(self) -> float:
        return time.time() - self.started

    # ---- the main loop

    def execute(self) -> RunReport:
        dag, obs = self.dag, self.ex.observer
        store.sweep_temps(self.ex.store_root)
        order = dag.topo_order()
        totals: dict[str, int] = {}
        for nid in order:
            node = dag.nodes[nid]
            totals[node.stage] = totals.get(node.stage, 0) + 1
            self.nodes_of_stage.setdefault(node.stage, []).append(nid)
            self.records[nid] = TaskRecord(nid, node.stage, node.unit, node.episode, node.backend, node.key)
        self.unsettled = dict(totals)
        obs.start(totals)
        cached = self._find_cached(order)
        self._initial_placement(cached)
        for nid in order:
            self.remaining_deps[nid] = len({d for d in dag.nodes[nid].deps if d not in self.artifacts})
        try:
            for nid in order:
                if self.records[nid].status == "pending" and self.remaining_deps[nid] == 0:
                    self._submit(nid)
            self._loop()
        finally:
            self._stop_pools()
            self.report.wall = time.time() - self.started
            obs.close()
        return self.report

    def _find_cached(self, order: list[str]) -> set[str]:
        cached: set[str] = set()
        for nid in order:
            node = self.dag.nodes[nid]
            artifact = store.lookup(self.ex.store_root, node.stage, node.key)
            if artifact is not None:
                self.artifacts[nid] = artifact
                rec = self.records[nid]
                self._settle_status(nid, "cached")
                rec.start = rec.finish = self.now()
                cached.add(nid)
                self.ex.observer.update(node.stage, "cached")
                self.metrics.task_status(node.stage, "cached")
        return cached

    def _settle_status(self, nid: str, status: str) -> None:
        """A node reaches a final status; the last node of its stage to do so frees the stage's pool.

        Settled nodes are never submitted again (zone loss re-places only pending and running work,
        and a retry waiting for its turn counts as running), so the warm actors can go.
        """
        rec = self.records[nid]
        was, rec.status = rec.status, status
        if was in SETTLED:
            return
        self.unsettled[rec.stage] -= 1
        if self.unsettled[rec.stage] == 0:
            self._retire_pools(rec.stage)

    def _initial_placement(self, cached: set[str]) -> None:
        topology = self.profile.topology
        if topology is None or len(cached) == len(self.dag.nodes):
            return
        known = set(topology.zone_names())
        alive = alive_zones()
        if not alive & known:
            self.ex.observer.event(
                f"profile {self.profile.name!r} has zones {sorted(known)} but no Ray node carries one "
                "(start nodes with `ray start --labels zone=...`); running without zone placement",
                "warning",
            )
            return
        self.excluded = known - alive
        if self.excluded:
            self.ex.observer.event(
                f"zones without an alive node, not used: {', '.join(sorted(self.excluded))}", "warning"
            )
        placement = self.ex._placement(self.dag, self.excluded, cached)
        self.zoned = True
        self.report.planned_makespan = getattr(placement, "makespan", None)
        self.report.policy = self.ex.policy
        for nid in self.dag.nodes:
            self.zone[nid] = placement.zone.get(nid)

    def _loop(self) -> None:
        ray = self.ray
        last_zone_check = 0.0
        while self.in_flight or self.delayed or any(self.waiting.values()):
            self._release_delayed()
            self._send_batches()
            refs = list(self.in_flight)
            ready: list[Any] = []
            if refs:
                ready, rest = ray.wait(refs, num_returns=1, timeout=self.ex.poll_seconds)
                if ready and rest:
                    more, _ = ray.wait(rest, num_returns=len(rest), timeout=0)
                    ready += more
            else:
                pause = self.delayed[0][0] - time.time() if self.delayed else self.ex.poll_seconds
                time.sleep(min(self.ex.poll_seconds, max(0.0, pause)))
            for ref in ready:
                if ref in self.in_flight:
                    self._settle(ref)
            self._reap_retired()
            if self.zoned and time.time() - last_zone_check >= self.ex.poll_seconds:
                last_zone_check = time.time()
                self._check_zones()

    def _release_delayed(self) -> None:
        now = time.time()
        self.delayed.sort()
        while self.delayed and self.delayed[0][0] <= now:
            _, nid = self.delayed.pop(0)
            self._submit(nid)

    # ---- submission

    def _inputs_of(self, node: Node) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for name, ids in node.inputs.items():
            arts = [self.artifacts[i] for i in ids]
            inputs[name] = arts if name in node.list_inputs else arts[0]
        return inputs

    def _submit(self, nid: str) -> None:
        node = self.dag.nodes[nid]
        rec = self.records[nid]
        if rec.status in SETTLED:  # e.g. its stage's workers could not start while it waited to retry
            return
        settings = self.stage_settings(node.stage)
        zone = self.zone.get(nid) if self.zoned else None
        rec.zone = zone
        rec.status = "running"
        self._queue(node.stage, +1)
        if self.batch_size(node.stage) > 1:
            self.waiting.setdefault(node.stage, []).append(nid)  # goes out with the next free actor
            return
        inputs = self._inputs_of(node)
        actor = None
        if settings["pool"] is not None:
            actor = self._actor_for(node.stage, zone)
            ref = actor.run_node.options(name=node.name).remote(node.key, node.params, inputs, self.ex.store_root)
            self.pool_load[actor] = self.pool_load.get(actor, 0) + 1
        else:
            options: dict[str, Any] = {"name": node.name, "max_retries": 0, **settings["resources"]}
            if zone:
                options["label_selector"] = {"zone": zone}
            ref = self.remote_task.options(**options).remote(
                settings["target"], settings["options"], node.key, node.params, inputs, self.ex.store_root
            )
        self.in_flight[ref] = ([nid], actor)
        self.ref_of[nid] = ref

    def _send_batches(self) -> None:
        """Give each free actor of a batching stage up to ``batch_size`` of the nodes ready now.

        Nothing waits for a batch to fill: an idle actor takes what is ready, and whatever becomes
        ready while the actors are busy makes up their next batches.
        """
        for stage, waiting in self.waiting.items():
            nids = [nid for nid in waiting if self.records[nid].status not in SETTLED]
            for _ in range(len(waiting) - len(nids)):  # failed while waiting (its zone lost for good)
                self._queue(stage, -1)
            if not nids:
                self.waiting[stage] = []
                continue
            pool = self.stage_settings(stage)["pool"]
            by_zone: dict[str | None, list[str]] = {}
            for nid in nids:
                by_zone.setdefault(self.zone.get(nid) if self.zoned else None, []).append(nid)
            left: list[str] = []
            for zone, group in by_zone.items():
                while group:
                    actor = self._actor_for(stage, zone)
                    if self.pool_load.get(actor, 0) >= pool.max_concurrency:
                        break
                    self._send_batch(actor, zone, group[: pool.batch_size])
                    group = group[pool.batch_size :]
                left += group
            self.waiting[stage] = left

    def _send_batch(self, actor: Any, zone: str | None, batch: list[str]) -> None:
        tasks = []
        for nid in batch:
            node = self.dag.nodes[nid]
            self.records[nid].zone = zone
            tasks.append((node.key, node.params, self._inputs_of(node)))
        first = self.dag.nodes[batch[0]]
        name = first.name + (f" +{len(batch) - 1}" if len(batch) > 1 else "")
        ref = actor.run_batch.options(name=name).remote(tasks, self.ex.store_root)
        self.pool_load[actor] = self.pool_load.get(actor, 0) + 1
        self.in_flight[ref] = (list(batch), actor)
        for nid in batch:
            self.ref_of[nid] = ref

    def _queue(self, stage: str, delta: int) -> None:
        self.queue_depth[stage] = self.queue_depth.get(stage, 0) + delta
        self.metrics.queue_depth(stage, self.queue_depth[stage])

    # ---- pools of warm actors

    def _actor_for(self, stage: str, zone: str | None) -> Any:
        settings = self.stage_settings(stage)
        pool_settings = settings["pool"]
        where = zone or ANY_ZONE
        actors = self.pools.get((stage, where))
        if not actors:
            size = pool_settings.size.get(where, pool_settings.size.get(ANY_ZONE, 1))
            actors = [self._start_actor(stage, where, i) for i in range(max(1, size))]
            self.pools[(stage, where)] = actors
        return min(actors, key=lambda a: self.pool_load.get(a, 0))

    def _start_actor(self, stage: str, where: str, index: int) -> Any:
        settings = self.stage_settings(stage)
        cls = pooled_worker_class(self.ex.worker_factory(stage, settings["backend"]))
        self.pool_counter += 1
        options: dict[str, Any] = {
            "name": f"{stage}-{settings['backend']}-{where}-{index}-{os.getpid()}-{self.pool_counter}",
            "max_concurrency": settings["pool"].max_concurrency,
            "max_restarts": 0,
            **settings["resources"],
        }
        if where != ANY_ZONE:
            options["label_selector"] = {"zone": where}
        return self.ray.remote(cls).options(**options).remote(stage, settings["backend"], settings["options"])

    def _retire_pools(self, stage: str) -> None:
        """Stop a finished stage's actors so their reserved CPUs/GPUs go to the stages after it."""
        for key in [k for k in self.pools if k[0] == stage]:
            for actor in self.pools.pop(key):
                self._retire(actor)

    def _retire(self, actor: Any) -> None:
        """Ask the actor to tear its model down (``shutdown()``); it is killed once that returns."""
        self.pool_load.pop(actor, None)
        try:
            ref = actor.shutdown.remote()
        except Exception:  # a worker class without shutdown()
            self._kill(actor)
            return
        self.retiring[ref] = (actor, time.time() + RETIRE_GRACE_SECONDS)

    def _reap_retired(self, wait: float = 0.0) -> None:
        if not self.retiring:
            return
        refs = list(self.retiring)
        finished, _ = self.ray.wait(refs, num_returns=len(refs), timeout=wait)
        now = time.time()
        for ref in refs:
            actor, deadline = self.retiring[ref]
            if ref in finished or now >= deadline:
                del self.retiring[ref]
                self._kill(actor)

    def _kill(self, actor: Any) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(actor, no_restart=True)

    def _stop_pools(self) -> None:
        for stage in {stage for stage, _ in self.pools}:
            self._retire_pools(stage)
        with contextlib.suppress(Exception):
            self._reap_retired(wait=10.0)
        for actor, _ in self.retiring.values():
            self._kill(actor)
        self.retiring.clear()

    # ---- results

    def _settle(self, ref: Any) -> None:
        nids, actor = self.in_flight.pop(ref)
        for nid in nids:
            self.ref_of.pop(nid, None)
            self._queue(self.dag.nodes[nid].stage, -1)
            self.records[nid].attempts += 1
        if actor is not None:
            self.pool_load[actor] = max(0, self.pool_load.get(actor, 1) - 1)
        try:
            result = self.ray.get(ref)
        except _system_errors() as exc:
            for nid in nids:
                self._system_failure(nid, exc)
            return
        except Exception as exc:
            for nid in nids:
                self._failure(nid, exc)
            return
        outcomes = result if isinstance(result, list) else [result]
        for nid, outcome in zip(nids, outcomes, strict=True):
            if "error" in outcome:
                self._failure(nid, outcome["error"])
            else:
                self._done(nid, outcome)

    def _done(self, nid: str, result: dict[str, Any]) -> None:
        node = self.dag.nodes[nid]
        rec = self.records[nid]
        artifact: Artifact = result["artifact"]
        self.artifacts[nid] = artifact
        rec.node = result["node"]
        rec.start = result["start"] - self.started
        rec.finish = result["finish"] - self.started
        rec.cpu_seconds = result["cpu_seconds"]
        rec.error = None
        seconds = (result["finish"] - result["start"]) / result.get("batch", 1)
        self.metrics.task_finished(node.stage, node.backend, rec.zone, seconds, self.stage_settings(node.stage)["gpus"])
        self.metrics.task_status(node.stage, "done")
        self.ex.observer.update(node.stage, "done")
        self._settle_status(nid, "done")
        for child in self.dag.dependents(nid):
            self.remaining_deps[child] -= 1
            if self.remaining_deps[child] == 0 and self.records[child].status == "pending":
                self._submit(child)

    def _system_failure(self, nid: str, exc: BaseException) -> None:
        """A worker or node went away: not the stage's fault, so it does not use up the retries.

        Unless the worker died in its constructor (a missing model): that fails the whole stage once.
        """
        rec = self.records[nid]
        if rec.status in SETTLED:  # failed already with its stage's other nodes
            return
        cause = self._startup_failure(exc)
        if cause is not None:
            self._stage_cannot_start(rec.stage, cause)
            return
        rec.attempts -= 1
        self.system_failures[nid] = self.system_failures.get(nid, 0) + 1
        if self.system_failures[nid] > SYSTEM_RETRIES:
            self._failure(nid, exc, final=True)
            return
        if self.zoned:
            self._check_zones()
        if rec.status == "running" and nid not in self.ref_of:
            self.ex.observer.event(f"{self.dag.nodes[nid].name}: {describe_error(exc)}; resubmitting", "warning")
            self._forget_actor_of_zone(self.dag.nodes[nid].stage, rec.zone)
            self.delayed.append((time.time() + 0.2, nid))

    @staticmethod
    def _startup_failure(exc: BaseException) -> str | None:
        try:
            from workers.pool import startup_failure
        except ImportError:  # the model workers are optional for plain CPU runs
            return None
        return startup_failure(exc)

    def _stage_cannot_start(self, stage: str, cause: str) -> None:
        """A pool actor died in its constructor: every retry would too. Fail the stage once, say why once."""
        self.broken_stages[stage] = cause
        victims = [nid for nid in self.nodes_of_stage[stage] if self.records[nid].status in ("pending", "running")]
        self.ex.observer.event(
            f"{stage} workers could not start: {cause} ({len(victims)} {stage} task(s) failed, not retried)", "error"
        )
        waiting = set(self.waiting.pop(stage, []))
        for _ in waiting:
            self._queue(stage, -1)
        doomed = set(victims)
        self.delayed = [(t, nid) for t, nid in self.delayed if nid not in doomed]
        for nid in victims:
            if nid in self.ref_of:
                self._cancel(nid)
            self._fail(nid, cause, quiet=True)
        self._retire_pools(stage)

    def _failure(self, nid: str, exc: BaseException, final: bool = False) -> None:
        node = self.dag.nodes[nid]
        rec = self.records[nid]
        rec.error = describe_error(exc)
        retryable = getattr(getattr(exc, "cause", None) or exc, "retryable", True)
        if not final and retryable and rec.attempts <= self.profile.retries:
            self.ex.observer.event(f"{node.name} failed (attempt {rec.attempts}): {rec.error}; retrying", "warning")
            self.delayed.append((time.time() + 0.2 * rec.attempts, nid))
            return
        self._fail(nid, rec.error)

    def _fail(self, nid: str, error: str, quiet: bool = False) -> None:
        """Final failure: recorded, shown (unless said once for many already), dependents skipped."""
        node = self.dag.nodes[nid]
        rec = self.records[nid]
        rec.error = error
        rec.finish = self.now()
        self._settle_status(nid, "failed")
        self.metrics.task_status(node.stage, "failed")
        self.ex.observer.update(node.stage, "failed")
        if not quiet:
            self.ex.observer.event(f"{node.name} failed: {error}", "error")
        for child in sorted(self.dag.downstream(nid)):
            crec = self.records[child]
            if crec.status == "pending":
                crec.error = f"needs {nid}, which failed"
                self._settle_status(child, "skipped")
                self.metrics.task_status(crec.stage, "skipped")
                self.ex.observer.update(crec.stage, "skipped")

    def _forget_actor_of_zone(self, stage: str, zone: str | None) -> None:
        """Drop dead actors so the next submission to this (stage, zone) starts fresh ones."""
        key = (stage, zone or ANY_ZONE)
        actors = self.pools.get(key)
        if not actors:
            return
        alive = []
        for actor in actors:
            try:
                self.ray.get(actor.__ray_ready__.remote(), timeout=5)
                alive.append(actor)
            except Exception:
                continue
        self.pools[key] = alive

    # ---- zone loss

    def _check_zones(self) -> None:
        pending_zones = {
            self.zone[nid] for nid, rec in self.records.items() if rec.status in ("pending", "running")
        } - {None}
        if not pending_zones:
            return
        lost = pending_zones - alive_zones() - self.excluded
        if lost:
            self._replace(lost)

    def _replace(self, lost: set[str]) -> None:
        self.excluded |= lost
        finished = {nid for nid, rec in self.records.items() if rec.status in ("done", "cached")}
        obs = self.ex.observer
        obs.event(f"zone {', '.join(sorted(lost))} lost its nodes; placing the remaining work again", "warning")
        try:
            placement = self.ex._placement(self.dag, self.excluded, finished)
        except Exception as exc:
            obs.event(f"no placement without {sorted(self.excluded)}: {exc}", "error")
            for nid, rec in self.records.items():
                if rec.status in ("pending", "running") and self.zone[nid] in lost:
                    self._cancel(nid)
                    rec.status = "running"
                    self._failure(nid, RuntimeError(f"zone {self.zone[nid]} lost and no zone left"), final=True)
            return
        moved: dict[str, str | None] = {}
        for nid, rec in self.records.items():
            if rec.status not in ("pending", "running"):
                continue
            old = self.zone[nid]
            new = placement.zone.get(nid)
            if rec.status == "pending" or old in lost:
                self.zone[nid] = new
            if old in lost:
                moved[nid] = new
        # Resubmit what ran in the lost zone (a batch as a whole); what waits (pending, a retry in the
        # delay queue, a node waiting for a batch) goes to its new zone when its turn comes.
        for nid in moved:
            if nid in self.ref_of:
                for again in self._cancel(nid):
                    self._submit(again)
        for key in [k for k in self.pools if k[1] in lost]:
            for actor in self.pools.pop(key):
                self._kill(actor)
        self.report.replacements.append(
            {
                "lost_zones": sorted(lost),
                "at": round(self.now(), 3),
                "moved": moved,
                "makespan": getattr(placement, "makespan", None),
            }
        )
        obs.event(f"re-placed {len(moved)} task(s) away from {', '.join(sorted(lost))}", "warning")

    def _cancel(self, nid: str) -> list[str]:
        """Cancel the call that carries ``nid`` (with the rest of its batch); returns the nodes it carried."""
        ref = self.ref_of.pop(nid, None)
        if ref is None:
            return []
        nids, actor = self.in_flight.pop(ref, ([nid], None))
        for carried in nids:
            self.ref_of.pop(carried, None)
            self._queue(self.dag.nodes[carried].stage, -1)
        if actor is not None:
            self.pool_load[actor] = max(0, self.pool_load.get(actor, 1) - 1)
        with contextlib.suppress(Exception):
            self.ray.cancel(ref, force=actor is None)
        return nids
