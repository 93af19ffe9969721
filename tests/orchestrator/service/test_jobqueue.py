"""Job-level admission: how many jobs run at once, and which waiting job goes next."""

from __future__ import annotations

from orchestrator.service.jobqueue import JobQueue
from orchestrator.service.service import KaipaiService
from tests.orchestrator.service.test_service import offer


def rank_by(order: list[str]):
    return lambda job: (1, float(order.index(job)), 0.0, job)


def test_without_a_limit_every_job_is_admitted():
    queue = JobQueue(None)
    assert queue.fill(["a", "b", "c"], rank_by(["a", "b", "c"])) == []
    assert all(queue.is_admitted(j) for j in "abc")
    assert queue.position("a", ["a"], rank_by(["a"])) is None


def test_the_best_ranked_jobs_fill_the_room_and_a_leaver_makes_room_for_the_next():
    queue = JobQueue(2)
    order = ["c", "a", "b", "d"]
    assert sorted(queue.fill(["a", "b", "c", "d"], rank_by(order))) == ["a", "c"]
    assert queue.fill(["a", "b", "c", "d"], rank_by(order)) == []  # full
    assert queue.position("d", ["a", "b", "c", "d"], rank_by(order)) == 2
    queue.leave("c")
    assert queue.fill(["a", "b", "d"], rank_by(order)) == ["b"]


def limited(settings: dict, limit: int) -> KaipaiService:
    return KaipaiService({**settings, "max_running_jobs": limit})


def test_a_job_not_admitted_gets_no_slot_even_when_slots_are_free(settings):
    service = limited(settings, 1)
    service.register("j1", "a", "first", 5)
    service.register("j2", "b", "second", 5)
    assert service.exchange("j1", [offer("n1", kind="cpu", zone=None)])["grants"]
    assert service.exchange("j2", [offer("m1", kind="cpu", zone=None)])["grants"] == []  # two cpu slots free
    view = service.job("j2")
    assert view["admitted"] is False and view["queue_position"] == 1
    service.finish("j1", "SUCCEEDED")
    assert service.exchange("j2")["grants"] == [("m1", view_zone(service, "j2", "m1"))]


def view_zone(service: KaipaiService, job: str, node: str) -> str:
    return service.leases[(job, node)]["zone"]


def test_an_urgent_job_submitted_last_is_admitted_before_the_low_priority_jobs_queued_ahead(settings):
    service = limited(settings, 1)
    service.register("running", "b", "already running", 5)
    service.exchange("running", [offer("r1", kind="cpu", zone=None)])
    for name in ("low1", "low2"):
        service.register(name, "b", name, 1)
        service.exchange(name, [offer(f"{name}-n", kind="cpu", zone=None)])
    service.register("urgent", "a", "urgent", 9)
    service.exchange("urgent", [offer("u1", kind="cpu", zone=None)])
    assert [service.job(j)["queue_position"] for j in ("urgent", "low1", "low2")] == [1, 2, 3]
    assert [service.job(j)["admitted_at"] for j in ("urgent", "low1", "low2")] == [None, None, None]
    service.finish("running", "SUCCEEDED")
    assert service.exchange("urgent")["grants"]
    assert service.exchange("low1")["grants"] == []
    assert service.job("urgent")["admitted_at"] >= service.job("urgent")["submitted"]  # when it took its place
    assert service.job("low1")["admitted_at"] is None


def test_a_job_that_ran_keeps_its_place_when_its_driver_comes_back_after_going_silent(settings, monkeypatch):
    import orchestrator.service.service as module

    service = limited(settings, 1)
    service.register("old", "b", "old", 1)
    service.exchange("old", [offer("o1", kind="cpu", zone=None)])  # admitted, RUNNING
    service.register("new", "a", "new", 9)
    clock = [module.time.time()]
    monkeypatch.setattr(module.time, "time", lambda: clock[0])
    clock[0] += module.LEASE_SECONDS + 1
    service.exchange("new")  # "old" is silent past the lease: it loses its grant and its place
    assert service.queue.admitted == {"new"}
    service.finish("new", "SUCCEEDED")
    service.exchange("old", [offer("o2", kind="cpu", zone=None)])
    assert service.job("old")["admitted"] is True


def test_cluster_status_counts_admitted_and_waiting_jobs(settings):
    from orchestrator.service.views import status_lines

    service = limited(settings, 1)
    service.register("j1", "a", "first", 5)
    service.register("j2", "b", "second", 5)
    service.exchange("j1", [offer("n1", kind="cpu", zone=None)])
    view = service.status()
    assert view["max_running_jobs"] == 1
    assert [j["admitted"] for j in view["jobs"]] == [True, False]
    assert "jobs admitted 1/1, 1 waiting for admission" in status_lines(view)


def test_after_a_restart_the_running_jobs_get_their_places_back_before_a_queued_one(settings):
    first = limited(settings, 1)
    first.register("running", "a", "running", 1)
    first.exchange("running", [offer("r1", kind="cpu", zone=None)])
    first.register("queued", "b", "queued", 9)
    first.exchange("queued", [offer("q1", kind="cpu", zone=None)])
    second = limited(settings, 1)  # the service actor restarted: the journal has both jobs
    assert second.exchange("queued", [offer("q1", kind="cpu", zone=None)])["grants"] == []
    assert second.exchange("running", [offer("r2", kind="cpu", zone=None)])["grants"]
    assert second.queue.admitted == {"running"}
