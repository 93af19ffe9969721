"""Run a task DAG: each node as soon as its inputs exist, in its planned zone, cached work skipped.

``Executor.run`` reads as the steps of one run:

1. sweep the temp folders dead writers left in the store;
2. build the run state (one record per node) and tell the observer the totals;
3. settle every node whose artifact is already in the store as ``cached`` (never submitted);
4. place the rest over the zones that are alive (``zones.place_initially``);
5. dispatch until nothing is open (``dispatch.Dispatcher``): plain Ray tasks, or warm pool actors
   per (stage, zone) that take batches; retries, resubmissions and zone loss as in ``failures.py``
   and ``zones.py``;
6. give the pools back and close the report.

The seams a cluster service plugs into are constructor arguments: ``admission`` (who may run now,
and where), ``pool_provider`` (whose warm actors), ``placer`` (the placement policy) and
``backend`` (what runs the work; Ray by default).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

from orchestrator.config import Profile
from orchestrator.dag import Dag
from orchestrator.execution.admission import Admission, AdmitAll
from orchestrator.execution.backend import Backend
from orchestrator.execution.dispatch import Dispatcher
from orchestrator.execution.observer import RunObserver, SilentObserver
from orchestrator.execution.placing import Placer, place
from orchestrator.execution.pools import PoolProvider, RunPools, WorkerFactory
from orchestrator.execution.report import RunReport
from orchestrator.execution.runtime import StageRuntimes
from orchestrator.execution.state import RunState
from orchestrator.execution.telemetry import Telemetry
from orchestrator.execution.zones import place_initially
from orchestrator.metrics import StageMetrics
from stages import store


class Executor:
    """Runs one DAG to completion (or to the failures that stop parts of it); reusable across DAGs."""

    def __init__(
        self,
        profile: Profile,
        store_root: str | Path,
        *,
        policy: str = "kaipai",
        observer: RunObserver | None = None,
        placer: Placer | None = None,
        worker_factory: WorkerFactory | None = None,
        poll_seconds: float = 0.25,
        job_name: str = "",
        backend: Backend | None = None,
        admission: Admission | None = None,
        pool_provider: Callable[[Backend, StageRuntimes], PoolProvider] | None = None,
    ) -> None:
        self.profile = profile
        self.store_root = str(Path(store_root).resolve())
        self.policy = policy
        self.observer = observer or SilentObserver()
        self.placer = placer
        self.worker_factory = worker_factory
        self.poll_seconds = poll_seconds
        self.job_name = job_name
        self.backend = backend
        self.admission = admission or AdmitAll()
        self.pool_provider = pool_provider

    def run(self, dag: Dag) -> RunReport:
        backend = self.backend or self._ray_backend()
        runtimes = StageRuntimes(self.profile)
        # 1. what dead writers left behind
        store.sweep_temps(self.store_root)
        # 2. the run state, and whoever listens to it
        started = time.time()
        state = RunState.for_dag(dag, started)
        report = RunReport(state.records, {}, started)
        telemetry = Telemetry(self.observer, StageMetrics(self.job_name), lambda s: runtimes(s).gpus)
        pools = self._pools(backend, runtimes)
        state.listeners += [telemetry, _PoolReturn(pools)]
        self.observer.start(_totals(dag))
        try:
            # 3. what the store has already
            self._settle_cached(dag, state, report)
            # 4. zones
            place_fn = functools.partial(self._place, dag)
            initial = place_initially(state, self.profile, backend.alive_zones(), place_fn)
            for warning in initial.warnings:
                self.observer.event(warning, "warning")
            if initial.placement is not None:
                report.planned_makespan = getattr(initial.placement, "makespan", None)
                report.policy = self.policy
            # 5. dispatch until nothing is open
            Dispatcher(
                dag,
                state,
                report,
                backend=backend,
                pools=pools,
                admission=self.admission,
                runtimes=runtimes,
                telemetry=telemetry,
                observer=self.observer,
                place=place_fn,
                store_root=self.store_root,
                retries=self.profile.retries,
                poll_seconds=self.poll_seconds,
            ).run()
        finally:
            # 6. nothing of this run stays
            pools.close()
            report.wall = time.time() - started
            self.observer.close()
        return report

    # ---------------------------------------------------------------- steps

    def _settle_cached(self, dag: Dag, state: RunState, report: RunReport) -> None:
        """A stored artifact counts only if its files are what its meta records; a corrupt one is said,
        evicted and made again by this run."""
        for nid, rec in state.records.items():
            found = store.find(self.store_root, rec.stage, rec.key)
            if found.evicted:
                self.observer.event(
                    f"{dag.nodes[nid].name}: stored artifact was corrupt ({found.evicted}); making it again", "warning"
                )
            if found.artifact is not None:
                report.artifacts[nid] = found.artifact
                state.mark_cached(nid, time.time())

    def _place(self, dag: Dag, exclude: set[str], done: set[str]):
        """The one place a run asks for a placement (``placing.place``)."""
        return place(dag, self.profile, self.policy, exclude=exclude, done=done, placer=self.placer)

    def _pools(self, backend: Backend, runtimes: StageRuntimes) -> PoolProvider:
        if self.pool_provider is not None:
            return self.pool_provider(backend, runtimes)
        return RunPools(backend, runtimes, self.worker_factory)

    @staticmethod
    def _ray_backend() -> Backend:
        from orchestrator.execution.ray_backend import RayBackend

        return RayBackend()


class _PoolReturn:
    """Gives a stage's pool back as soon as its last node settles (settled nodes never run again)."""

    def __init__(self, pools: PoolProvider) -> None:
        self.pools = pools

    def node_settled(self, record, seconds) -> None:
        pass

    def stage_settled(self, stage: str) -> None:
        self.pools.stage_done(stage)


def _totals(dag: Dag) -> dict[str, int]:
    totals: dict[str, int] = {}
    for nid in dag.topo_order():
        stage = dag.nodes[nid].stage
        totals[stage] = totals.get(stage, 0) + 1
    return totals
