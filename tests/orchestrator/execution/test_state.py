"""The run state on its own: transitions, what they tell listeners (once), and a JSON round trip."""

from __future__ import annotations

import json

import pytest

from orchestrator.dag import plan_dag
from orchestrator.execution.state import RunState
from orchestrator.execution.status import TaskStatus
from tests.orchestrator.storyboards import make_storyboard


class Recorder:
    def __init__(self) -> None:
        self.nodes: list[tuple[str, str, float | None]] = []
        self.stages: list[str] = []

    def node_settled(self, record, seconds):
        self.nodes.append((record.id, record.status.value, seconds))

    def stage_settled(self, stage):
        self.stages.append(stage)


def state_for(job, profile, **board):
    dag = plan_dag(job, make_storyboard(**board), profile)
    state = RunState.for_dag(dag, started=100.0)
    recorder = Recorder()
    state.listeners.append(recorder)
    return dag, state, recorder


def result(start=101.0, finish=103.0, **extra):
    return {"node": "n1", "start": start, "finish": finish, "cpu_seconds": 0.5, **extra}


def test_only_roots_are_ready_and_finishing_them_readies_their_children(job, profile):
    dag, state, _ = state_for(job, profile, episodes=1, shots=1)
    roots = {nid for nid, node in dag.nodes.items() if not node.deps}
    assert set(state.ready()) == roots
    character = next(nid for nid in roots if nid.startswith("character:"))
    state.mark_running(character, "z1")
    ready = state.mark_done(character, result())
    assert ready and all(character in dag.nodes[c].deps for c in ready)
    rec = state.records[character]
    assert (rec.status, rec.zone, rec.start, rec.finish, rec.node) == (TaskStatus.DONE, "z1", 1.0, 3.0, "n1")


def test_each_settlement_is_told_once_and_a_stage_once_when_its_last_node_settles(job, profile):
    _, state, recorder = state_for(job, profile, episodes=1, shots=2)
    voices = state.nodes_of_stage("voice")
    for nid in voices[:-1]:
        state.mark_running(nid, None)
        state.mark_done(nid, result(batch=2))
    assert "voice" not in recorder.stages
    state.mark_cached(voices[-1], at=105.0)
    state.mark_cached(voices[-1], at=106.0)  # a second settlement of the same node changes nothing
    assert recorder.stages.count("voice") == 1
    told = [n for n in recorder.nodes if n[0] in voices]
    assert len(told) == len(voices)
    assert told[0][1:] == ("done", 1.0)  # a batch of two shares its two seconds
    assert told[-1][1:] == ("cached", None)
    assert state.records[voices[-1]].start == 5.0


def test_failure_skips_what_needs_it_and_nothing_else(job, profile):
    _, state, recorder = state_for(job, profile, episodes=2, shots=2)
    motion = "motion:ep01-s01-sh002"
    state.mark_running(motion, None)
    skipped = state.mark_failed(motion, "ValueError: broken", at=110.0)
    assert set(skipped) == {"mux:ep01-s01-sh002", "assembly:ep01"}
    assert state.records[motion].error == "ValueError: broken" and state.records[motion].finish == 10.0
    assert all(state.records[s].error == f"needs {motion}, which failed" for s in skipped)
    assert [n[1] for n in recorder.nodes] == ["failed", "skipped", "skipped"]
    assert state.mark_failed(motion, "again", at=111.0) == [] and state.records[motion].error == "ValueError: broken"


def test_retries_wait_their_turn_and_system_failures_do_not_count_as_attempts(job, profile):
    _, state, _ = state_for(job, profile, episodes=1, shots=1)
    a, b = state.nodes_of_stage("voice")[:2]
    for nid in (a, b):
        state.mark_running(nid, None)
        state.mark_attempted(nid)
    state.mark_retry(a, "ConnectionError: x", at=10.0)
    state.mark_retry(b, None, at=5.0)
    assert state.next_retry() == 5.0
    assert state.due_retries(now=7.0) == [b] and state.due_retries(now=20.0) == [a]
    assert state.mark_system_failure(b) == 1 and state.records[b].attempts == 0
    assert state.records[a].status == TaskStatus.RUNNING and state.records[a].error == "ConnectionError: x"


def test_the_state_survives_a_json_round_trip(job, profile):
    _, state, _ = state_for(job, profile, episodes=1, shots=2)
    first = state.ready()[0]
    state.mark_running(first, "z2")
    state.mark_done(first, result())
    state.zoned, state.excluded = True, {"z3"}
    state.mark_retry(state.ready()[0], "E: x", at=50.0)
    text = json.dumps(state.to_json())
    again = RunState.from_json(json.loads(text))
    assert again == state
    assert again.ready() == state.ready()
    assert again.records[first].status is TaskStatus.DONE


def test_a_state_taken_over_from_a_dead_driver_reopens_what_was_running(job, profile):
    _, state, _ = state_for(job, profile, episodes=1, shots=1)
    first, second = state.ready()[:2]
    state.mark_running(first, "z1")
    state.mark_running(second, "z1")
    state.mark_retry(second, "E: x", at=50.0)
    again = RunState.from_json(state.to_json())
    assert sorted(again.reopen_running()) == sorted([first, second])
    assert first in again.ready() and second in again.ready() and again.retry_at == {}


def test_a_node_records_the_slot_it_held_from_dispatch_to_its_result_around_its_run(job, profile):
    dag, state, _ = state_for(job, profile, episodes=1, shots=1)
    character = next(nid for nid, node in dag.nodes.items() if nid.startswith("character:") and not node.deps)
    state.mark_running(character, "z1", at=state.started + 0.5)
    state.mark_done(character, result(), at=state.started + 3.4)
    rec = state.records[character]
    assert (rec.dispatched, rec.start, rec.finish) == (0.5, 1.0, 3.0) and rec.returned == pytest.approx(3.4)
    assert {"dispatched": 0.5, "returned": 3.4}.items() <= rec.to_json().items()
