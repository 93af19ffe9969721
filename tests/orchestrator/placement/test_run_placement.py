"""``kaipai run`` on the 3-zone test cluster places with the simulator's placer, and runs there."""

from __future__ import annotations

from orchestrator.dag import plan_dag
from orchestrator.execution.executor import Executor
from orchestrator.placement import placedag, simulator
from orchestrator.placement.policies import PLACERS
from orchestrator.placement.topology import Topology, Zone
from orchestrator.progress import QuietProgress
from tests.conftest import ZONES
from tests.orchestrator.conftest import fake_profile
from tests.orchestrator.storyboards import make_storyboard


def test_run_places_with_the_same_placer_the_simulator_uses(
    ray_cluster, ray_session, job, fakes, tmp_path, monkeypatch
):
    made = []

    def recording(name, seed=0):
        made.append(PLACERS[name](seed))
        return made[-1]

    monkeypatch.setattr(placedag, "make_placer", recording)
    monkeypatch.setattr(simulator, "make_placer", recording)
    profile = fake_profile(topology=Topology(zones=[Zone(name=z, cpus=2) for z in ZONES]))
    dag = plan_dag(job, make_storyboard(episodes=2, shots=2), profile)
    report = Executor(profile, tmp_path, observer=QuietProgress()).run(dag)
    assert report.ok, report.failure_summary()
    assert len(made) == 1 and type(made[0]) is PLACERS["kaipai"]
    planned = placedag.place_dag(dag, profile)
    simulated = simulator.make_placer("kaipai")
    assert type(simulated) is type(made[0])  # kaipai simulate builds the same class through the same call
    where = {n["NodeID"]: n["Labels"].get("zone") for n in ray_session.nodes()}
    for nid, rec in report.records.items():
        assert rec.zone == planned.zone[nid], nid
        assert where[rec.node] == rec.zone, nid
