"""The dispatch loop: ready nodes go to the backend (as tasks, to pool actors, in batches), results come back.

One turn of the loop:

1. release the retries whose pause is over;
2. ask admission again about the ready nodes it held back;
3. give each free pool actor a batch of the ready nodes of its stage;
4. wait (briefly) for calls to end and settle each: done, retried, resubmitted or failed;
5. let the pools do their housekeeping (reap retired actors);
6. every ``poll_seconds``, look for zones that lost their nodes and place their work again.

All decisions about a node's fate are the run state's transitions (``state.py``) and the failure
policy (``failures.py``); this module keeps only what is in flight.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from orchestrator.dag import Dag, Node
from orchestrator.execution.admission import Admission, Grant, Outcome, Request
from orchestrator.execution.backend import Backend, TaskCall
from orchestrator.execution.failures import Verdict, judge_stage_error, judge_system_error
from orchestrator.execution.observer import RunObserver
from orchestrator.execution.pools import PoolProvider
from orchestrator.execution.report import RunReport
from orchestrator.execution.runtime import StageRuntimes
from orchestrator.execution.state import RunState
from orchestrator.execution.status import TaskStatus
from orchestrator.execution.telemetry import Telemetry
from orchestrator.execution.zones import PlaceFn, lost_zones, replan, stranded
from stages.pipelines import interrupt


def _preempted(error: BaseException) -> bool:
    """A call stopped because its slot was taken back (``StageFailed.preempted``, maybe in Ray's wrapper)."""
    cause = getattr(error, "cause", None) or error
    return getattr(cause, "preempted", False) is True or getattr(error, "preempted", False) is True


@dataclass
class Flight:
    """One call in flight: the nodes it carries (a batch carries several), the actor, if pooled, and
    the token that names its stop marker (``stages.pipelines.interrupt``)."""

    nodes: list[str]
    actor: Any | None
    stop_token: str


class Dispatcher:
    """Drives one run's state to the end through a backend."""

    def __init__(
        self,
        dag: Dag,
        state: RunState,
        report: RunReport,
        *,
        backend: Backend,
        pools: PoolProvider,
        admission: Admission,
        runtimes: StageRuntimes,
        telemetry: Telemetry,
        observer: RunObserver,
        place: PlaceFn,
        store_root: str,
        retries: int,
        poll_seconds: float,
    ) -> None:
        self.dag, self.state, self.report = dag, state, report
        self.backend, self.pools, self.admission = backend, pools, admission
        self.runtimes, self.telemetry, self.observer = runtimes, telemetry, observer
        self.place, self.store_root = place, store_root
        self.retries, self.poll_seconds = retries, poll_seconds
        self.in_flight: dict[Any, Flight] = {}  # handle -> what it carries
        self.flight_of: dict[str, Any] = {}  # node -> handle
        self.grants: dict[str, Grant] = {}
        self.held: list[str] = []  # ready, not admitted yet
        self.waiting: dict[str, list[str]] = {}  # batching stage -> admitted nodes not sent to an actor yet
        self.stopping: set[str] = set()  # nodes in flight whose call was asked to stop (slot taken back)

    # ---------------------------------------------------------------- the loop

    def run(self) -> None:
        for nid in self.state.ready():
            self.submit(nid)
        last_zone_check = 0.0
        while self.in_flight or self.state.retry_at or self.held or any(self.waiting.values()):
            self._release_retries()
            self._admit_held()
            self._send_batches()
            self._stop_taken_back()
            for handle in self._wait():
                if handle in self.in_flight:
                    self._settle(handle)
            self.pools.tick()
            self.admission.tick()
            if self.state.zoned and time.time() - last_zone_check >= self.poll_seconds:
                last_zone_check = time.time()
                self._check_zones()

    def _wait(self) -> list[Any]:
        if self.in_flight:
            return self.backend.wait(list(self.in_flight), self.poll_seconds)
        next_retry = self.state.next_retry()
        pause = next_retry - time.time() if next_retry is not None else self.poll_seconds
        time.sleep(min(self.poll_seconds, max(0.0, pause)))
        return []

    def _release_retries(self) -> None:
        for nid in self.state.due_retries(time.time()):
            self.submit(nid)

    def _admit_held(self) -> None:
        held, self.held = self.held, []
        for nid in held:
            self.submit(nid)

    # ---------------------------------------------------------------- submission

    def submit(self, nid: str) -> None:
        """Dispatch a ready node (or a retry) if admission grants it; else hold it for the next turn."""
        node = self.dag.nodes[nid]
        if self.state.status(nid).settled:  # e.g. its stage's workers could not start while it waited
            return
        runtime = self.runtimes(node.stage)
        grant = self.admission.admit(Request(nid, node.stage, self.state.zone_for(nid), runtime.gpus))
        if grant is None:
            self.held.append(nid)
            return
        self.grants[nid] = grant
        self.state.mark_running(nid, grant.zone, at=time.time())
        self.telemetry.queued(node.stage, +1)
        if runtime.batch_size > 1:
            self.waiting.setdefault(node.stage, []).append(nid)  # goes out with the next free actor
            return
        self._dispatch_one(node, grant.zone)

    def _dispatch_one(self, node: Node, zone: str | None) -> None:
        runtime = self.runtimes(node.stage)
        inputs = self._inputs_of(node)
        actor = None
        token = interrupt.new_token()
        if runtime.pool is not None:
            actor = self.pools.actor_for(node.stage, zone)
            handle = self.backend.call_actor(
                actor, "run_node", node.name, node.key, node.params, inputs, self.store_root, token
            )
            self.pools.acquire(actor)
        else:
            call = TaskCall(
                node.name,
                runtime.target,
                runtime.options,
                node.key,
                node.params,
                inputs,
                self.store_root,
                runtime.resources,
                zone,
                token,
            )
            handle = self.backend.run_task(call)
        self._in_flight(handle, [node.id], actor, token)

    def _send_batches(self) -> None:
        """Give each free actor of a batching stage up to ``batch_size`` of the nodes ready now.

        Nothing waits for a batch to fill: an idle actor takes what is ready, and whatever becomes
        ready while the actors are busy makes up their next batches.
        """
        for stage, waiting in self.waiting.items():
            nids = [nid for nid in waiting if not self.state.status(nid).settled]
            for nid in set(waiting) - set(nids):  # failed while waiting (its zone lost for good)
                self._unqueue(nid)
            pool = self.runtimes(stage).pool
            assert pool is not None
            by_zone: dict[str | None, list[str]] = {}
            for nid in nids:
                by_zone.setdefault(self.grants[nid].zone, []).append(nid)
            left: list[str] = []
            for zone, group in by_zone.items():
                while group:
                    actor = self.pools.actor_for(stage, zone)
                    if self.pools.load(actor) >= pool.max_concurrency:
                        break
                    self._send_batch(actor, zone, group[: pool.batch_size])
                    group = group[pool.batch_size :]
                left += group
            self.waiting[stage] = left

    def _send_batch(self, actor: Any, zone: str | None, batch: list[str]) -> None:
        tasks = []
        for nid in batch:
            node = self.dag.nodes[nid]
            self.state.records[nid].zone = zone
            tasks.append((node.key, node.params, self._inputs_of(node)))
        first = self.dag.nodes[batch[0]]
        name = first.name + (f" +{len(batch) - 1}" if len(batch) > 1 else "")
        token = interrupt.new_token()
        handle = self.backend.call_actor(actor, "run_batch", name, tasks, self.store_root, token)
        self.pools.acquire(actor)
        self._in_flight(handle, list(batch), actor, token)

    def _in_flight(self, handle: Any, nids: list[str], actor: Any | None, token: str) -> None:
        self.in_flight[handle] = Flight(nids, actor, token)
        for nid in nids:
            self.flight_of[nid] = handle

    def _inputs_of(self, node: Node) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for name, ids in node.inputs.items():
            arts = [self.report.artifacts[i] for i in ids]
            inputs[name] = arts if name in node.list_inputs else arts[0]
        return inputs

    # ---------------------------------------------------------------- results

    def _settle(self, handle: Any) -> None:
        flight = self._land(handle)
        for nid in flight.nodes:
            self.state.mark_attempted(nid)
        try:
            result = self.backend.result(handle)
        except Exception as exc:
            if _preempted(exc):
                for nid in flight.nodes:
                    self._give_back(nid, "preempted")
                for nid in flight.nodes:
                    self._taken_back(nid)
                return
            for nid in flight.nodes:
                self._give_back(nid, "failed")
            on_error = self._system_failure if self.backend.is_system_error(exc) else self._failure
            for nid in flight.nodes:
                on_error(nid, exc)
            return
        outcomes = result if isinstance(result, list) else [result]
        for nid, outcome in zip(flight.nodes, outcomes, strict=True):  # every slot back before any child asks
            error = outcome.get("error")
            self._give_back(nid, "done" if error is None else "preempted" if _preempted(error) else "failed")
        for nid, outcome in zip(flight.nodes, outcomes, strict=True):
            if "error" not in outcome:
                self._done(nid, outcome)
            elif _preempted(outcome["error"]):
                self._taken_back(nid)
            else:
                self._failure(nid, outcome["error"])

    def _land(self, handle: Any) -> Flight:
        """A call ended (or was cancelled): it leaves the flight table and frees its actor slot; its
        grants are given back by the caller, who knows how the call ended (``_give_back``)."""
        flight = self.in_flight.pop(handle)
        for nid in flight.nodes:
            self.flight_of.pop(nid, None)
            self.telemetry.queued(self.dag.nodes[nid].stage, -1)
            if nid in self.stopping:  # the worker clears its marker; this covers a worker that died
                self.stopping.discard(nid)
                interrupt.clear(self.store_root, flight.stop_token)
        if flight.actor is not None:
            self.pools.release(flight.actor)
        return flight

    def _unqueue(self, nid: str) -> None:
        """An admitted node leaves without being sent (failed while it waited for a batch)."""
        self.telemetry.queued(self.dag.nodes[nid].stage, -1)
        self._give_back(nid, "cancelled")

    def _give_back(self, nid: str, outcome: Outcome) -> None:
        """The node's grant, if it holds one, goes back to admission, saying how its call ended."""
        grant = self.grants.pop(nid, None)
        if grant is not None:
            self.admission.release(nid, grant, outcome)

    def _stop_taken_back(self) -> None:
        """Admission took these nodes' slots back: ask their calls to stop between two steps (a
        marker file the worker watches, ``stages.pipelines.interrupt``). A call that cannot stop
        (no steps to stop between) runs to its end and counts as done."""
        for nid in self.admission.to_stop():
            if nid in self.flight_of and nid not in self.stopping:
                self.stopping.add(nid)
                interrupt.request_stop(self.store_root, self.in_flight[self.flight_of[nid]].stop_token)

    def _taken_back(self, nid: str) -> None:
        """Stopped because its slot was taken back: not a failure; asked for again at once."""
        node = self.dag.nodes[nid]
        self.observer.event(f"{node.name}: its GPU was taken back for another studio; it runs again", "info")
        self.state.mark_preempted(nid, time.time())

    def _done(self, nid: str, outcome: dict[str, Any]) -> None:
        self.report.artifacts[nid] = outcome["artifact"]
        for child in self.state.mark_done(nid, outcome, at=time.time()):
            self.submit(child)

    def _failure(self, nid: str, exc: BaseException, final: bool = False) -> None:
        rec = self.state.records[nid]
        decision = judge_stage_error(exc, rec.attempts, self.retries, final=final)
        if decision.verdict == Verdict.RETRY:
            node = self.dag.nodes[nid]
            self.observer.event(f"{node.name} failed (attempt {rec.attempts}): {decision.error}; retrying", "warning")
            self.state.mark_retry(nid, decision.error, time.time() + decision.delay)
            return
        self.fail(nid, decision.error)

    def _system_failure(self, nid: str, exc: BaseException) -> None:
        """A worker or node went away: resubmit (the attempt not counted), or fail its whole stage once."""
        if self.state.status(nid).settled:  # failed already with its stage's other nodes
            return
        decision = judge_system_error(exc, self.state.system_failures.get(nid, 0) + 1)
        if decision.verdict == Verdict.STAGE_BROKEN:
            self._stage_cannot_start(self.dag.nodes[nid].stage, decision.error)
            return
        self.state.mark_system_failure(nid)
        if decision.verdict == Verdict.FAIL:
            self._failure(nid, exc, final=True)
            return
        if self.state.zoned:
            self._check_zones()
        rec = self.state.records[nid]
        if rec.status == TaskStatus.RUNNING and nid not in self.flight_of:
            node = self.dag.nodes[nid]
            self.observer.event(f"{node.name}: {decision.error}; resubmitting", "warning")
            self.pools.actor_lost(node.stage, rec.zone)
            self.state.mark_retry(nid, None, time.time() + decision.delay)

    def _stage_cannot_start(self, stage: str, cause: str) -> None:
        """A pool actor died in its constructor: every retry would too. Fail the stage once, say why once."""
        victims = [nid for nid in self.state.nodes_of_stage(stage) if self.state.status(nid).open]
        self.observer.event(
            f"{stage} workers could not start: {cause} ({len(victims)} {stage} task(s) failed, not retried)", "error"
        )
        for nid in self.waiting.pop(stage, []):
            self._unqueue(nid)
        for nid in victims:
            self.state.retry_at.pop(nid, None)
            if nid in self.flight_of:
                self.cancel(nid)
            self.fail(nid, cause, quiet=True)
        self.pools.stage_done(stage)

    def fail(self, nid: str, error: str, quiet: bool = False) -> None:
        """Final failure: recorded, shown (unless said once for many already), dependents skipped."""
        already = self.state.status(nid).settled
        self.state.mark_failed(nid, error, time.time())
        if not quiet and not already:
            self.observer.event(f"{self.dag.nodes[nid].name} failed: {error}", "error")

    def cancel(self, nid: str) -> list[str]:
        """Cancel the call that carries ``nid`` (with the rest of its batch); returns the nodes it carried."""
        handle = self.flight_of.get(nid)
        if handle is None or handle not in self.in_flight:
            self.flight_of.pop(nid, None)
            return []
        flight = self._land(handle)
        for carried in flight.nodes:
            self._give_back(carried, "cancelled")
        self.backend.cancel(handle, force=flight.actor is None)
        return flight.nodes

    # ---------------------------------------------------------------- zone loss

    def _check_zones(self) -> None:
        lost = lost_zones(self.state, self.backend.alive_zones())
        if lost:
            self._replace(lost)

    def _replace(self, lost: set[str]) -> None:
        names = ", ".join(sorted(lost))
        self.observer.event(f"zone {names} lost its nodes; placing the remaining work again", "warning")
        try:
            plan = replan(self.state, lost, self.place)
        except Exception as exc:
            self.observer.event(f"no placement without {sorted(self.state.excluded)}: {exc}", "error")
            for nid in stranded(self.state, lost):
                zone = self.state.planned_zone[nid]
                self.cancel(nid)
                self._failure(nid, RuntimeError(f"zone {zone} lost and no zone left"), final=True)
            return
        # Resubmit what ran in the lost zone (a batch as a whole); what waits (pending, a retry in the
        # delay queue, a node waiting for a batch) goes to its new zone when its turn comes.
        for nid in plan.moved:
            if nid in self.flight_of:
                for again in self.cancel(nid):
                    self.submit(again)
        for nid in plan.moved:
            if nid in self.grants and nid not in self.flight_of:  # waiting for a batch: follow the move
                self.grants[nid] = Grant(plan.moved[nid], self.grants[nid].lease)
        self.pools.zones_lost(lost)
        self.report.replacements.append(
            {
                "lost_zones": sorted(lost),
                "at": round(time.time() - self.state.started, 3),
                "moved": plan.moved,
                "makespan": getattr(plan.placement, "makespan", None),
            }
        )
        self.observer.event(f"re-placed {len(plan.moved)} task(s) away from {names}", "warning")
