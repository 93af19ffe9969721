"""The driver's admission seam against a real service object (in-process: calls go straight through)."""

from __future__ import annotations

import threading
import types

import pytest

from orchestrator.execution.admission import Request
from orchestrator.service.client import EXCHANGE_SECONDS, JobCancelled, ServiceAdmission, ServiceProgress
from orchestrator.service.service import KaipaiService
from tests.conftest import ZONES


class Direct:
    """``actor.method.remote(...)`` as a plain call, so the service runs in this process."""

    def __init__(self, target):
        self.target = target

    def __getattr__(self, name):
        return types.SimpleNamespace(remote=getattr(self.target, name))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def tick(self, seconds=EXCHANGE_SECONDS):
        self.now += seconds


@pytest.fixture
def direct(monkeypatch, service):
    import ray

    monkeypatch.setattr(ray, "get", lambda value, **_: value)
    return Direct(service)


def admission_for(direct, job, clock, studio="a", priority=5):
    epoch = direct.target.register(job, studio, job, priority)["epoch"]
    return ServiceAdmission(direct, job, epoch, clock=clock)


def test_a_node_waits_for_its_grant_and_gives_the_slot_back(direct):
    clock = Clock()
    first, second = admission_for(direct, "j1", clock), admission_for(direct, "j2", clock)
    grant = first.admit(Request("n1", "keyframe", ZONES[0], 1.0))
    assert grant is not None and grant.zone == ZONES[0]
    clock.tick()
    assert second.admit(Request("m1", "keyframe", ZONES[0], 1.0)) is None  # the zone's one gpu slot is taken
    clock.tick(3.0)
    first.release("n1", grant, "done")
    first.sync(force=True)  # the release reaches the service
    clock.tick()
    assert second.admit(Request("m1", "keyframe", ZONES[0], 1.0)).zone == ZONES[0]
    assert first.estimate("keyframe") == pytest.approx(3.0 + EXCHANGE_SECONDS)  # learnt from what it used


def test_after_a_service_restart_the_driver_offers_its_queue_again(direct, settings, monkeypatch):
    clock = Clock()
    blocker, waiter = admission_for(direct, "j1", clock), admission_for(direct, "j2", clock)
    assert blocker.admit(Request("n1", "keyframe", ZONES[0], 1.0)) is not None
    clock.tick()
    assert waiter.admit(Request("m1", "keyframe", ZONES[0], 1.0)) is None
    direct.target = KaipaiService(settings)  # the actor restarted: empty queue, journal replayed
    clock.tick()
    assert waiter.admit(Request("m1", "keyframe", ZONES[0], 1.0)) is None  # sees the new epoch, re-offers
    clock.tick()
    assert waiter.admit(Request("m1", "keyframe", ZONES[0], 1.0)).zone == ZONES[0]  # the new service granted it


def test_a_node_first_offered_to_the_restarted_service_is_granted_in_that_same_answer(direct, settings):
    clock = Clock()
    admission = admission_for(direct, "j1", clock)
    running = admission.admit(Request("assembly", "assembly", ZONES[0], 0.0))
    direct.target = KaipaiService(settings)  # restarted while assembly runs under the old grant
    clock.tick()
    grant = admission.admit(Request("gates", "gates", ZONES[0], 0.0))  # sent to the new service at once
    assert grant is not None and grant.zone == ZONES[0]  # not lost: the new service holds its slot for it
    admission.release("assembly", running, "done")
    assert ("j1", "gates") in direct.target.leases


def test_a_cancelled_job_stops_its_run(direct):
    clock = Clock()
    admission = admission_for(direct, "j1", clock)
    direct.target.cancel("j1")
    with pytest.raises(JobCancelled):
        admission.admit(Request("n1", "voice", None, 0.0))


def test_a_failed_remote_call_is_reported_by_its_cause_not_ray_s_frame():
    from orchestrator.service.driver import _one_line

    remote = RuntimeError("\x1b[36mray::KaipaiService.place()\x1b[39m (pid=1)\n  File x\nAttributeError: boom")
    assert _one_line(remote) == "AttributeError: boom"
    assert _one_line(RuntimeError("run failed\ndetails")) == "run failed"


def test_a_call_in_flight_when_the_service_died_is_asked_again_of_its_successor(monkeypatch):
    import ray
    from ray.exceptions import ActorDiedError

    import orchestrator.service.client as client

    monkeypatch.setattr(ray, "get", lambda value, **_: value)
    monkeypatch.setattr(client.time, "sleep", lambda seconds: None)
    calls = []

    def place(*args):
        calls.append(args)
        if len(calls) == 1:
            raise ActorDiedError()
        return "placed"

    assert client.call_service(types.SimpleNamespace(remote=place), "job", timeout=5) == "placed"
    assert calls == [("job",), ("job",)]


def test_other_errors_of_a_service_call_are_raised_at_once(monkeypatch):
    import ray

    import orchestrator.service.client as client

    monkeypatch.setattr(ray, "get", lambda value, **_: value)

    def place(*args):
        raise ValueError("no zone is left to place on")

    with pytest.raises(ValueError, match="no zone"):
        client.call_service(types.SimpleNamespace(remote=place), "job")


class ProgressCalls:
    """A service that only hears progress; each call is kept, and signalled."""

    def __init__(self):
        self.calls: list[dict] = []
        self.arrived = threading.Event()
        self.progress = types.SimpleNamespace(remote=self._progress)

    def _progress(self, job_id, stages, left):
        self.calls.append(stages)
        self.arrived.set()


def test_progress_held_back_by_the_interval_is_sent_when_it_ends_not_with_the_next_update():
    service = ProgressCalls()
    progress = ServiceProgress(None, service, "j1", types.SimpleNamespace(estimate=lambda stage: 1.0))
    progress.PROGRESS_SECONDS = 0.2
    progress.start({"keyframe": 5})
    service.arrived.clear()
    for _ in range(4):  # a burst right after the start: held back
        progress.update("keyframe", "done")
    assert service.calls[-1]["keyframe"]["done"] == 0
    assert service.arrived.wait(5), "the held-back progress was never sent"
    assert service.calls[-1]["keyframe"]["done"] == 4  # no further update was needed to send it
    progress.close()
    assert service.calls[-1]["keyframe"] == {"total": 5, "done": 4}


def _placed_job_with_its_first_node_granted(direct, job):
    """Job j1 (one episode, two shots) placed through the service, its first node granted 2 s ago."""
    from orchestrator.dag import plan_dag
    from orchestrator.placement.topology import Topology, Zone
    from orchestrator.service.client import ServicePlacer
    from tests.orchestrator.conftest import fake_profile
    from tests.orchestrator.storyboards import make_storyboard

    profile = fake_profile(topology=Topology(zones=[Zone(name=z, cpus=1) for z in ZONES]))
    dag = plan_dag(job, make_storyboard(episodes=1, shots=2), profile)
    clock, placer = Clock(), ServicePlacer(direct, "j1")
    epoch = direct.target.register("j1", "a", "j1", 5)["epoch"]
    admission = ServiceAdmission(direct, "j1", epoch, clock=clock, on_new_epoch=placer.place_again)
    placer(dag, profile, "kaipai")
    grant = admission.admit(Request(dag.topo_order()[0], "storyboard", None, 0.0))
    clock.tick(2.0)
    return dag, clock, admission, grant


def test_after_a_service_restart_the_driver_places_its_job_again_with_what_ran_counted_done(direct, settings, job):
    dag, clock, admission, grant = _placed_job_with_its_first_node_granted(direct, job)
    first, second = dag.topo_order()[:2]
    admission.release(first, grant, "done")
    admission.sync(force=True)
    direct.target = KaipaiService(settings)  # restarted: its journal has the job, not its DAG
    assert not direct.target.plan
    clock.tick()
    admission.admit(Request(second, dag.nodes[second].stage, None, 0.0))  # sees the new epoch
    plan = direct.target.plan
    assert plan is not None and plan.knows("j1")  # placed again, so every later job is placed beside it
    assert first in plan.jobs["j1"].done and second not in plan.jobs["j1"].done


def test_a_node_whose_call_failed_is_not_counted_done_when_the_job_is_placed_again(direct, settings, job):
    dag, clock, admission, grant = _placed_job_with_its_first_node_granted(direct, job)
    first, second = dag.topo_order()[:2]
    admission.release(first, grant, "failed")  # it ran two seconds and failed: its retry is still to come
    admission.sync(force=True)
    assert first not in direct.target.plan.jobs["j1"].done  # the running service's plan keeps it to place
    assert ("j1", first) not in direct.target.leases  # its slot is free all the same
    direct.target = KaipaiService(settings)  # restarted: the driver places its job again
    clock.tick()
    admission.admit(Request(second, dag.nodes[second].stage, None, 0.0))
    assert direct.target.plan.knows("j1") and first not in direct.target.plan.jobs["j1"].done


def test_a_run_whose_nodes_all_hold_long_grants_keeps_its_lease_by_its_heartbeat(direct, monkeypatch):
    import orchestrator.service.service as service_module
    from orchestrator.service.service import LEASE_SECONDS

    wall = [1000.0]
    monkeypatch.setattr(service_module.time, "time", lambda: wall[0])
    clock = Clock()
    admission, other = admission_for(direct, "j1", clock), admission_for(direct, "j2", clock, studio="b")
    assert admission.admit(Request("n1", "motion", ZONES[0], 1.0)) is not None  # a half-hour shot starts
    for _ in range(3):  # nothing else is ready: only the loop's tick talks to the service
        wall[0] += LEASE_SECONDS * 0.6
        clock.tick(LEASE_SECONDS * 0.6)
        admission.tick()
        other.sync(force=True)  # another driver's call makes the service expire silent leases
    assert ("j1", "n1") in direct.target.leases  # still its slot: not handed to anyone else


def _studio_a_holding_both_gpus(direct, settings, monkeypatch):
    """A service with two GPUs and rule 5 on; studio a's job holds both (n1 the younger), b's is registered."""
    import orchestrator.service.service as service_module

    wall = [1000.0]
    monkeypatch.setattr(service_module.time, "time", lambda: wall[0])
    slots = {ZONES[0]: {"gpu": 2, "cpu": 1}}
    rules = {"studios": {"a": 1, "b": 1}, "preempt": True, "preempt_after_seconds": 5.0}
    direct.target = KaipaiService({**settings, "slots": slots, "fair_share": rules})
    clock = Clock()
    holder, taker = admission_for(direct, "ja", clock, studio="a"), admission_for(direct, "jb", clock, studio="b")
    grants = []
    for i in range(2):
        grants.append(holder.admit(Request(f"n{i}", "motion", ZONES[0], 1.0)))
        clock.tick(0.3)
        wall[0] += 1.0
    return wall, clock, holder, taker, grants


def test_a_slot_taken_back_by_the_service_stops_the_call_and_the_node_is_granted_again(direct, settings, monkeypatch):
    wall, clock, holder, taker, grants = _studio_a_holding_both_gpus(direct, settings, monkeypatch)
    assert all(g is not None for g in grants)  # nobody else waited: a holds both GPUs
    assert holder.admit(Request("n2", "motion", ZONES[0], 1.0)) is None  # a wants a third
    clock.tick(0.3)
    assert taker.admit(Request("m0", "motion", ZONES[0], 1.0)) is None  # b waits
    wall[0] += 6.0  # past preempt_after_seconds
    clock.tick(0.3)
    grant = taker.admit(Request("m0", "motion", ZONES[0], 1.0))
    assert grant is not None and grant.zone == ZONES[0]  # a's youngest grant was taken back for b
    clock.tick(0.3)
    holder.tick()
    assert holder.to_stop() == ["n1"] and holder.to_stop() == []  # the loop is told once to stop n1
    holder.release("n1", grants[1], "preempted")  # its call stopped between two steps
    holder.sync(force=True)
    service = direct.target
    assert ("ja", "n1") not in service.leases and ("jb", "m0") in service.leases
    assert service.status()["preemptions"] == 1
    assert service.fair.queued("ja") == 2  # n1 queued again in its old place, before n2
    clock.tick(3.0)
    taker.release("m0", grant, "done")
    taker.sync(force=True)
    clock.tick(0.3)
    again = holder.admit(Request("n1", "motion", ZONES[0], 1.0))
    assert again is not None and again.zone == ZONES[0]  # b is done: n1 runs again, nothing failed


def test_a_node_taken_back_that_finished_before_it_could_stop_is_not_run_again(direct, settings, monkeypatch):
    wall, clock, holder, taker, grants = _studio_a_holding_both_gpus(direct, settings, monkeypatch)
    holder.admit(Request("n2", "motion", ZONES[0], 1.0))
    clock.tick(0.3)
    taker.admit(Request("m0", "motion", ZONES[0], 1.0))
    wall[0] += 6.0
    clock.tick(0.3)
    assert taker.admit(Request("m0", "motion", ZONES[0], 1.0)) is not None
    clock.tick(0.3)
    holder.tick()
    assert holder.to_stop() == ["n1"]
    holder.release("n1", grants[1], "done")  # its last step had already run: it finished
    holder.sync(force=True)
    assert direct.target.fair.queued("ja") == 1  # only n2 waits; n1 is not run twice
