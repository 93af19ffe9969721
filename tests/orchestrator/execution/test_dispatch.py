"""The dispatch loop on the in-process backend: the same run behaviour as on Ray, in milliseconds."""

from __future__ import annotations

from orchestrator.config import PoolSettings
from orchestrator.dag import plan_dag
from orchestrator.execution.admission import AdmitAll, Grant
from orchestrator.execution.executor import Executor
from orchestrator.execution.pools import RunPools
from orchestrator.placement.topology import Topology, Zone
from orchestrator.progress import QuietProgress
from tests.orchestrator.conftest import fake_profile
from tests.orchestrator.execution.inprocess import Call, InProcessBackend
from tests.orchestrator.fakes import fake_worker_factory
from tests.orchestrator.storyboards import make_storyboard


def run_inprocess(job, profile, store, board=None, backend=None, **kwargs):
    dag = plan_dag(job, board or make_storyboard(episodes=1, shots=2), profile)
    observer = QuietProgress()
    backend = backend or InProcessBackend()
    executor = Executor(profile, store, observer=observer, backend=backend, poll_seconds=0.01, **kwargs)
    return dag, executor.run(dag), observer, backend


def test_every_node_runs_once_then_all_is_cached(job, profile, tmp_path):
    dag, report, observer, backend = run_inprocess(job, profile, tmp_path)
    assert report.ok and report.count("done") == len(dag.nodes) == len(backend.tasks)
    assert sorted(t.name for t in backend.tasks) == sorted(n.name for n in dag.nodes.values())
    assert observer.counts["voice"]["done"] == 5
    _, again, _, backend = run_inprocess(job, profile, tmp_path)
    assert again.count("cached") == len(dag.nodes) and backend.tasks == []


def test_a_flaky_stage_is_retried_and_a_broken_one_fails_alone(job, fakes, tmp_path):
    flaky = tmp_path / "flaky"
    flaky.mkdir()
    profile = fake_profile({"keyframe": {"flaky_dir": str(flaky)}, "motion": {"fail": ["ep01-s01-sh002"]}}, retries=1)
    _, report, observer, _ = run_inprocess(job, profile, tmp_path / "store", board=make_storyboard(episodes=2, shots=2))
    assert all(r.attempts == 2 for r in report.records.values() if r.stage == "keyframe")
    (failed,) = report.failed
    assert failed.id == "motion:ep01-s01-sh002" and failed.attempts == 2
    assert failed.error == "ValueError: fake failure in motion ep01-s01-sh002"
    assert {nid for nid, r in report.records.items() if r.status == "skipped"} == {
        "mux:ep01-s01-sh002",
        "assembly:ep01",
    }
    assert sum("retrying" in m for _, m in observer.events) == 4 + 1  # four keyframes, the motion's first try


def test_a_pool_that_cannot_start_fails_its_stage_once(job, fakes, tmp_path):
    profile = fake_profile({"keyframe": {"missing_model": "kaipai-test/none"}}, retries=3)
    profile.stages["keyframe"].pool = PoolSettings()
    _, report, observer, _ = run_inprocess(
        job, profile, tmp_path, board=make_storyboard(episodes=1, shots=3), worker_factory=fake_worker_factory
    )
    keyframes = [r for r in report.records.values() if r.stage == "keyframe"]
    assert all(r.status == "failed" and r.error.startswith("ModelMissing: model 'kaipai-test/none'") for r in keyframes)
    assert [m for level, m in observer.events if level == "error"] == [
        "keyframe workers could not start: ModelMissing: "
        + keyframes[0].error.removeprefix("ModelMissing: ")
        + " (3 keyframe task(s) failed, not retried)"
    ]
    assert all(r.status == "done" for r in report.records.values() if r.stage == "voice")


def test_batches_go_to_the_pool_and_the_pool_is_given_back(job, fakes, tmp_path):
    profile = fake_profile()
    profile.stages["keyframe"].pool = PoolSettings(batch_size=3)
    _, report, _, backend = run_inprocess(
        job, profile, tmp_path, board=make_storyboard(episodes=1, shots=7), worker_factory=fake_worker_factory
    )
    assert report.ok
    batches = [name for method, name in backend.calls if method == "run_batch"]
    assert batches and any("+" in name for name in batches)
    assert ("shutdown", "shutdown") in backend.calls and all(a.killed for a in backend.actors)


class Rationed:
    """Admits one node at a time, into a zone of its own choosing: the seam a cluster service uses."""

    def __init__(self) -> None:
        self.busy: str | None = None
        self.refused = 0
        self.released: list[str] = []
        self.outcomes: list[tuple[str, str]] = []  # (node, outcome) in the order the grants came back

    def admit(self, request):
        if self.busy is not None:
            self.refused += 1
            return None
        self.busy = request.node
        return Grant("service-zone", lease=f"lease-{request.node}")

    def release(self, node, grant, outcome):
        assert grant.lease == f"lease-{node}" and self.busy == node
        self.busy = None
        self.released.append(node)
        self.outcomes.append((node, outcome))

    def tick(self):
        self.ticks_while_busy = getattr(self, "ticks_while_busy", 0) + (self.busy is not None)

    def to_stop(self):
        return []


class TakesBack(Rationed):
    """Takes the slot of the first ``stage`` node it granted back once, while its call runs."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage, self.victim, self.asked = stage, None, False

    def admit(self, request):
        grant = super().admit(request)
        if grant is not None and self.victim is None and request.stage == self.stage:
            self.victim = request.node
        return grant

    def to_stop(self):
        if self.victim is not None and not self.asked and self.busy == self.victim:
            self.asked = True
            return [self.victim]
        return []


class Deferred(InProcessBackend):
    """Calls run when the loop waits for them, not when sent: the loop can ask one to stop meanwhile."""

    def _call(self, fn, *args):
        return Call(value=(fn, args))

    def wait(self, handles, timeout, *, every=False):
        for handle in handles:
            if isinstance(handle.value, tuple):
                fn, args = handle.value
                done = InProcessBackend._call(fn, *args)
                handle.value, handle.error = done.value, done.error
        return list(handles)


def test_admission_decides_when_and_where_each_node_runs(job, profile, tmp_path):
    admission = Rationed()
    dag, report, _, backend = run_inprocess(job, profile, tmp_path, admission=admission)
    assert report.ok and admission.refused > 0
    assert sorted(admission.released) == sorted(dag.nodes)  # every grant given back once
    assert admission.ticks_while_busy > 0  # it heard from the run while a node held its one slot
    assert {t.zone for t in backend.tasks} == {"service-zone"}
    assert {r.zone for r in report.records.values()} == {"service-zone"}


def test_each_grant_comes_back_saying_whether_its_node_finished(job, fakes, tmp_path):
    flaky = tmp_path / "flaky"
    flaky.mkdir()
    profile = fake_profile({"keyframe": {"flaky_dir": str(flaky)}, "motion": {"fail": ["ep01-s01-sh002"]}}, retries=1)
    admission = Rationed()
    dag, report, _, _ = run_inprocess(job, profile, tmp_path / "store", admission=admission)
    keyframe = next(nid for nid in dag.nodes if nid.startswith("keyframe:"))
    assert [o for n, o in admission.outcomes if n == keyframe] == ["failed", "done"]  # its retry, then done
    assert [o for n, o in admission.outcomes if n == "motion:ep01-s01-sh002"] == ["failed", "failed"]
    done = {n for n, o in admission.outcomes if o == "done"}
    assert done == {nid for nid, r in report.records.items() if r.status == "done"}


def test_a_node_whose_slot_is_taken_back_stops_runs_again_and_the_run_succeeds(job, profile, tmp_path):
    admission = TakesBack("keyframe")
    store = tmp_path / "store"
    dag, report, observer, backend = run_inprocess(job, profile, store, admission=admission, backend=Deferred())
    victim = admission.victim
    assert victim is not None and admission.asked
    assert [o for n, o in admission.outcomes if n == victim] == ["preempted", "done"]  # not failed: run again
    assert "failed" not in {o for _, o in admission.outcomes}
    assert report.ok and report.records[victim].status == "done" and report.records[victim].attempts == 1
    assert report.records[victim].preempted == 1  # the manifest says it was taken back once
    assert report.artifacts[victim].file().exists()  # its artifact, made by the second call
    assert sum(1 for t in backend.tasks if t.key == dag.nodes[victim].key) == 2
    assert not list((store / ".interrupt").glob("*"))  # the stop marker is gone once the call stopped
    assert any("taken back" in message for _, message in observer.events)


def test_a_pool_provider_replaces_the_runs_own_pools(job, fakes, tmp_path):
    made = []

    def provider(backend, runtimes):
        pools = RunPools(backend, runtimes, fake_worker_factory)
        made.append(pools)
        return pools

    profile = fake_profile()
    profile.stages["voice"].pool = PoolSettings(size={"*": 2})
    _, report, _, backend = run_inprocess(job, profile, tmp_path, pool_provider=provider, admission=AdmitAll())
    assert report.ok and len(made) == 1
    assert len([a for a in backend.actors if a.spec.stage == "voice"]) == 2


def test_a_lost_zone_is_placed_again(job, fakes, tmp_path):
    zones = ["za", "zb"]
    profile = fake_profile(topology=Topology(zones=[Zone(name=z, cpus=2) for z in zones]))
    calls = []

    def placer(dag, profile, policy="kaipai", *, exclude_zones=(), done=()):
        calls.append(set(exclude_zones))
        left = [z for z in zones if z not in exclude_zones]

        class P:
            zone = dict.fromkeys(dag.nodes, left[-1])
            makespan = 1.0

        return P()

    backend = InProcessBackend(zones=set(zones))
    backend.lost = {"zb"}  # the zone dies after the first placement: every call there fails
    backend.alive_zones = lambda: set(zones) if len(calls) < 1 else {"za"}
    _, report, observer, _ = run_inprocess(job, profile, tmp_path, backend=backend, placer=placer)
    assert report.ok, report.failure_summary()
    assert calls == [set(), {"zb"}]
    assert report.replacements[0]["lost_zones"] == ["zb"]
    assert {r.zone for r in report.records.values()} == {"za"}
    assert any("re-placed" in m for _, m in observer.events)
