"""The fair-share policy on its own, with a fake clock: weights, work conservation, priority, no starvation."""

from __future__ import annotations

import pytest

from orchestrator.service.fairshare import FairShare, Policy, Request


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def backlog(fair: FairShare, studio: str, n: int, *, job: str | None = None, priority: int = 5, cost: float = 1.0):
    for i in range(n):
        fair.submit(Request(job or f"{studio}-job", studio, f"{studio}-{job}-{i}", "gpu", None, cost, priority))


def run(fair: FairShare, clock: Clock, grants: int, slots: int = 1) -> list[Request]:
    """Grant and finish one request at a time on ``slots`` slots, each using exactly its estimate."""
    out: list[Request] = []
    running: list[Request] = []
    for _ in range(grants):
        while len(running) < slots:
            request = fair.grant(lambda r: True)
            if request is None:
                break
            running.append(request)
        if not running:
            break
        done = running.pop(0)
        clock.now += done.cost
        fair.settle(done.job, done.node, done.cost)
        out.append(done)
    return out


def shares(granted: list[Request]) -> dict[str, float]:
    total = sum(r.cost for r in granted)
    result: dict[str, float] = {}
    for r in granted:
        result[r.studio] = result.get(r.studio, 0.0) + r.cost / total
    return result


def test_contended_time_is_divided_by_weight():
    clock = Clock()
    fair = FairShare(Policy(weights={"a": 3, "b": 2, "c": 1}), clock)
    for studio in "abc":
        backlog(fair, studio, 1000)
    got = shares(run(fair, clock, 600))
    assert got["a"] == pytest.approx(3 / 6, abs=0.01)
    assert got["b"] == pytest.approx(2 / 6, abs=0.01)
    assert got["c"] == pytest.approx(1 / 6, abs=0.01)


def test_uneven_costs_are_shared_by_seconds_not_by_count():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    backlog(fair, "long", 300, cost=10.0)
    backlog(fair, "short", 3000, cost=1.0)
    got = shares(run(fair, clock, 1000))
    assert got["long"] == pytest.approx(0.5, abs=0.02)


def test_an_idle_cluster_gives_one_studio_everything():
    clock = Clock()
    fair = FairShare(Policy(weights={"small": 1, "big": 100}), clock)
    backlog(fair, "small", 50)
    granted = [fair.grant(lambda r: True) for _ in range(50)]
    assert all(r is not None and r.studio == "small" for r in granted)
    assert fair.grant(lambda r: True) is None


def test_a_studio_back_from_idle_banks_no_credit():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    backlog(fair, "a", 500)
    run(fair, clock, 100)  # a alone for 100 s
    backlog(fair, "b", 500)
    got = run(fair, clock, 100)
    b_share = sum(1 for r in got if r.studio == "b") / len(got)
    assert b_share == pytest.approx(0.5, abs=0.05)  # not 100 grants in a row to catch up


def test_priority_orders_work_within_a_studio():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    backlog(fair, "a", 5, job="low", priority=1)
    backlog(fair, "a", 5, job="high", priority=9)
    granted = run(fair, clock, 10)
    assert [r.job for r in granted] == ["high"] * 5 + ["low"] * 5


def test_priority_jumps_across_studios_only_up_to_the_limit():
    clock = Clock()
    policy = Policy(jump_per_priority=10.0, max_jump=20.0)
    fair = FairShare(policy, clock)
    backlog(fair, "urgent", 500, priority=9)  # bonus capped at 20 virtual seconds
    backlog(fair, "normal", 500, priority=5)
    granted = run(fair, clock, 400)
    first_normal = next(i for i, r in enumerate(granted) if r.studio == "normal")
    assert first_normal == 21  # max_jump seconds ahead, and the tie at the limit goes to the older request
    lead = sum(1 for r in granted if r.studio == "urgent") - sum(1 for r in granted if r.studio == "normal")
    assert lead <= 21


def test_no_studio_starves_behind_higher_priorities():
    clock = Clock()
    fair = FairShare(Policy(jump_per_priority=100.0, max_jump=30.0), clock)
    for studio in ("p9a", "p9b", "p9c"):
        backlog(fair, studio, 300, priority=9)
    backlog(fair, "p0", 5, priority=0)
    granted = run(fair, clock, 200)
    assert sum(1 for r in granted if r.studio == "p0") == 5


def test_an_old_low_priority_job_ages_past_new_urgent_ones():
    clock = Clock()
    fair = FairShare(Policy(aging_seconds=10.0), clock)
    backlog(fair, "a", 1, job="old", priority=1)
    served_old_at = None
    for step in range(200):
        fair.submit(Request(f"new{step}", "a", f"n{step}", "gpu", None, 1.0, 9))
        request = fair.grant(lambda r: True)
        clock.now += 1.0
        fair.settle(request.job, request.node, 1.0)
        if request.job == "old":
            served_old_at = step
            break
    assert served_old_at is not None and served_old_at <= 81  # 8 levels x 10 s, then the tie goes to age


def test_a_request_only_goes_where_a_slot_fits():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    fair.submit(Request("j1", "a", "x", "gpu", "zone-a", 1.0))
    fair.submit(Request("j2", "b", "y", "gpu", "zone-b", 1.0))
    granted = fair.grant(lambda r: r.zone == "zone-b")
    assert granted is not None and granted.node == "y"
    assert fair.grant(lambda r: r.zone == "zone-b") is None
    assert fair.queued() == 1


def test_withdraw_drops_only_that_jobs_queue():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    backlog(fair, "a", 3, job="j1")
    backlog(fair, "a", 2, job="j2")
    assert len(fair.withdraw("j1")) == 3
    assert fair.queued() == 2 and fair.queued("j1") == 0


def test_measured_seconds_replace_the_estimate():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    backlog(fair, "a", 1, cost=1.0)
    request = fair.grant(lambda r: True)
    assert fair.usage("a") == pytest.approx(1.0)  # the estimate, prepaid at the grant
    fair.settle(request.job, request.node, 7.5)
    assert fair.usage("a") == pytest.approx(7.5) and fair.charged["a"] == pytest.approx(7.5)


def test_a_long_grant_is_charged_as_it_runs_not_all_at_once():
    clock = Clock()
    fair = FairShare(Policy(horizon_seconds=30.0), clock)
    backlog(fair, "a", 1, cost=1800.0)
    request = fair.grant(lambda r: True)
    assert fair.usage("a") == pytest.approx(30.0)  # its estimate up to the horizon, at once
    clock.now = 600.0
    assert fair.usage("a") == pytest.approx(630.0)  # then a second per second, the horizon ahead
    clock.now = 1790.0
    assert fair.usage("a") == pytest.approx(1800.0)  # never beyond its estimate...
    clock.now = 1900.0
    assert fair.usage("a") == pytest.approx(1900.0)  # ...unless it overruns
    fair.settle(request.job, request.node, 1900.0)
    assert fair.usage("a") == pytest.approx(1900.0)


def test_a_studio_of_long_tasks_holds_its_weight_in_gpus_while_it_runs():
    """Four slots, studio "long" (weight 1) with 1000 s tasks, "short" (weight 1) with 1 s tasks:
    charged at the grant, "long" would hold one slot in four for 1000 s; charged as it runs, two."""
    clock = Clock()
    fair = FairShare(Policy(horizon_seconds=30.0), clock)
    backlog(fair, "long", 10, cost=1000.0)
    backlog(fair, "short", 100_000, cost=1.0)
    running: list[tuple[float, Request]] = []
    held = []
    for _ in range(3000):
        while len(running) < 4:
            request = fair.grant(lambda r: True)
            running.append((clock.now + request.cost, request))
        running.sort(key=lambda x: x[0])
        end, done = running.pop(0)
        clock.now = end
        fair.settle(done.job, done.node, done.cost)
        if clock.now > 200:
            held.append(sum(1 for _, r in running if r.studio == "long"))
    assert sum(held) / len(held) == pytest.approx(2.0, abs=0.25)


class BusySlots:
    """``n`` slots kept busy from the fair-share queue, each request using exactly its estimate."""

    def __init__(self, fair: FairShare, clock: Clock, n: int) -> None:
        self.fair, self.clock, self.n = fair, clock, n
        self.running: list[tuple[float, Request]] = []

    def run(self, seconds: float) -> list[Request]:
        """Grant and finish for ``seconds``; returns the requests granted meanwhile, in order."""
        granted: list[Request] = []
        end = self.clock.now + seconds
        while True:
            while len(self.running) < self.n:
                request = self.fair.grant(lambda r: True)
                if request is None:
                    break
                granted.append(request)
                self.running.append((self.clock.now + request.cost, request))
            self.running.sort(key=lambda x: x[0])
            if not self.running or self.running[0][0] > end:
                self.clock.now = end
                return granted
            self.clock.now, done = self.running.pop(0)
            self.fair.settle(done.job, done.node, done.cost)


def test_a_studio_that_keeps_one_task_running_banks_no_credit():
    """Idleness banks no credit, and neither does an empty queue: "a" keeps one slot of four busy
    with a long task and nothing queued while "b" uses the other three; when "a" queues again it
    starts level with "b" (SFQ: a flow that becomes backlogged starts at the system's virtual time),
    not 200 device-seconds ahead, which would give it every grant for the next 70 s or so."""
    clock = Clock()
    fair = FairShare(Policy(), clock)
    slots = BusySlots(fair, clock, 4)
    backlog(fair, "a", 1, job="long", cost=10_000.0)
    backlog(fair, "b", 10_000)
    slots.run(100.0)
    assert fair.virtual_time("b") - fair.virtual_time("a") > 150  # the credit "a" would bank
    backlog(fair, "a", 100, job="burst")
    assert fair.virtual_time("a") == pytest.approx(fair.virtual_time("b"))
    got = slots.run(20.0)
    a_share = sum(1 for r in got if r.studio == "a") / len(got)
    assert a_share == pytest.approx(1 / 3, abs=0.05)  # with its long task, half of the four slots


# ---------------------------------------------------------------- taking GPUs back (rule 5)


def preempting(clock: Clock, capacity: int, **rules) -> FairShare:
    fair = FairShare(Policy(preempt=True, preempt_after_seconds=5.0, preempt_within_seconds=60.0, **rules), clock)
    fair.capacity["gpu"] = capacity
    return fair


def hold(fair: FairShare, clock: Clock, studio: str, n: int, cost: float = 100.0) -> list[Request]:
    """``studio`` is granted ``n`` long requests, one a second (the last granted is the youngest)."""
    backlog(fair, studio, n, cost=cost)
    granted = []
    for _ in range(n):
        granted.append(fair.grant(lambda r: True))
        clock.now += 1.0
    return granted


def test_preemption_is_off_unless_the_policy_asks_for_it():
    clock = Clock()
    fair = FairShare(Policy(), clock)
    hold(fair, clock, "a", 4)
    backlog(fair, "a", 2, job="more", cost=100.0)
    backlog(fair, "b", 4)
    clock.now += 60.0
    assert fair.reclaim(capacity=4) is None and len(fair.running) == 4


def test_a_studio_below_its_share_takes_gpus_back_from_the_youngest_grants_of_one_over_it():
    clock = Clock()
    fair = preempting(clock, capacity=4)
    held = hold(fair, clock, "a", 4)  # granted while nobody else waited: work-conserving
    backlog(fair, "a", 2, job="more", cost=100.0)  # a still wants more
    backlog(fair, "b", 4)
    assert fair.reclaim(capacity=4) is None  # b has not waited preempt_after_seconds yet
    clock.now += 5.0
    taken = [fair.reclaim(capacity=4) for _ in range(3)]
    assert [victim for _, victim in taken[:2]] == [held[3], held[2]]  # youngest first: least work lost
    assert all(taker.studio == "b" for taker, _ in taken[:2])
    assert taken[2] is None  # two each: equal weights, equal shares; a keeps its older two
    assert sum(1 for r in fair.running.values() if r.studio == "a") == 2
    assert fair.queued("a-job") == 2  # the victims are queued again, not lost
    assert fair.usage("a") >= 2 * (clock.now - 3.0)  # a paid for what it held


def test_a_grant_is_taken_back_once_and_never_after_it_has_run_too_long():
    clock = Clock()
    fair = preempting(clock, capacity=2)
    held = hold(fair, clock, "a", 2)
    backlog(fair, "a", 1, job="more", cost=100.0)
    backlog(fair, "b", 1)
    clock.now += 5.0
    _, victim = fair.reclaim(capacity=2)
    assert victim == held[1]
    fair.settle(*next((r.job, r.node) for r in fair.running.values() if r.studio == "b"), 1.0)
    assert fair.grant(lambda r: True) == held[1]  # its old place: the head of a's queue
    clock.now += 60.0
    backlog(fair, "c", 2)
    clock.now += 5.0
    assert fair.reclaim(capacity=2) is None  # of a's two grants, one was taken back once, the other ran 72 s


def test_with_preemption_a_free_slot_goes_first_to_a_studio_below_its_share():
    for preempt, winner in ((False, "a"), (True, "b")):
        clock = Clock()
        fair = FairShare(Policy(preempt=preempt), clock)
        fair.capacity["gpu"] = 4
        fair.charged["b"] = 1000.0  # b used much more in the past: by virtual time a goes first
        hold(fair, clock, "a", 3, cost=10.0)
        backlog(fair, "a", 3, job="more", cost=10.0)
        backlog(fair, "b", 3, cost=10.0)
        assert fair.grant(lambda r: True).studio == winner  # with it, b holds 0 of its 2: it is owed the slot


def test_a_studio_alone_in_the_queue_takes_nothing_back():
    clock = Clock()
    fair = preempting(clock, capacity=2)
    hold(fair, clock, "a", 2)  # a queues nothing more: what it holds is its own
    backlog(fair, "b", 2)
    clock.now += 30.0
    assert fair.reclaim(capacity=2) is None


def test_each_kind_of_slot_is_divided_by_weight_on_its_own():
    """A studio whose jobs spend CPU-seconds as well gets no fewer GPU-seconds for it."""
    clock = Clock()
    fair = FairShare(Policy(weights={"a": 1, "b": 1}), clock)
    for studio in "ab":
        backlog(fair, studio, 100)
    cpu = [Request("a-cpu", "a", f"c{i}", "cpu", None, 5.0) for i in range(20)]
    gpu_grants: list[str] = []
    for i in range(40):  # one GPU slot and one CPU slot; a also keeps the CPU slot busy
        if i < len(cpu):
            fair.submit(cpu[i])
        granted = fair.grant(lambda r: r.kind == "gpu")
        cpu_grant = fair.grant(lambda r: r.kind == "cpu")
        clock.now += 1.0
        fair.settle(granted.job, granted.node, 1.0)
        gpu_grants.append(granted.studio)
        if cpu_grant is not None:
            fair.settle(cpu_grant.job, cpu_grant.node, 5.0)
    assert gpu_grants.count("a") == gpu_grants.count("b") == 20
    assert fair.usage("a") > fair.usage("b")  # in all, a was charged its CPU-seconds too
