"""The LLM storyboard: valid answers become shots, invalid ones are sent back, then the rules take over.

The tiny random LM (``tiny:qwen2``) never writes valid JSON, so it drives the retry and fallback path
for real. The valid path uses a scripted stand-in for the model (test-only), injected as ``stage.model``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from orchestrator import frontend
from stages.storyboard.llm import LLMStoryboard, extract_json

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "datong-wall" / "job.yaml"


@pytest.fixture(scope="module")
def example():
    job, script, _ = frontend.load(EXAMPLE)
    characters, _ = frontend.characters_for(job, script)
    return job, script, characters, frontend.storyboard_params(job, script, characters)


class ScriptedLM:
    """Test-only stand-in for a chat model: answers each scene from ``answer(line_ids, cast, attempt)``."""

    model_id = "scripted"

    def __init__(self, answer):
        self.answer = answer
        self.conversations: list[list[dict]] = []

    def load(self) -> None:
        pass

    def chat(self, messages, seed=0):
        self.conversations.append(list(messages))
        scene = messages[1]["content"]
        ids = re.findall(r"^(L\d+) ", scene, re.M)
        cast = re.search(r"^Cast: (.*)$", scene, re.M).group(1)
        attempt = (len(messages) - 2) // 2
        return self.answer(ids, [c for c in cast.split(", ") if c != "none listed"], attempt)


def good_answer(ids, cast, attempt):
    """Two lines per shot, each shot a close-up push-in; an establishing shot first."""
    shots = [
        {
            "lines": [],
            "size": "wide",
            "camera": "pan",
            "duration": 2.5,
            "characters": [],
            "prompt": "establishing view of the scene",
            "reason": "open wide",
        }
    ]
    for i in range(0, len(ids), 2):
        shots.append(
            {
                "lines": ids[i : i + 2],
                "size": "close-up",
                "camera": "push-in",
                "duration": 3.0,
                "characters": cast[:1],
                "prompt": "faces in tension",
                "reason": "exchange",
            }
        )
    return "Here you go:\n```json\n" + json.dumps({"shots": shots}) + "\n```"


def run_board(stage, params, tmp_path):
    meta = stage.run(params, {}, tmp_path)
    return meta, json.loads((tmp_path / "storyboard.json").read_text(encoding="utf-8"))


def script_lines(script):
    return [(b.kind, b.text) for ep in script.episodes for sc in ep.scenes for b in sc.beats if b.spoken]


def board_lines(board):
    return [(ln["kind"], ln["text"]) for ep in board["episodes"] for shot in ep["shots"] for ln in shot["lines"]]


def test_valid_answers_become_shots_with_every_line_verbatim(example, tmp_path):
    _, script, _, params = example
    stage = LLMStoryboard({"retries": 1})
    stage.model = ScriptedLM(good_answer)
    meta, board = run_board(stage, params, tmp_path)
    assert meta["by_model"] == meta["scenes"] > 0 and meta["fallback"] == 0
    assert board_lines(board) == script_lines(script)
    first = board["episodes"][0]["shots"][0]
    assert (first["size"], first["camera"], first["id"]) == ("wide", "pan", "ep01-s01-sh001")
    ids = [ln["id"] for ln in board["episodes"][0]["shots"][1]["lines"]]
    assert ids[0] == "ep01-l001"  # the rules backend's numbering, so the two can mix


def test_invalid_answer_is_sent_back_with_the_error_then_accepted(example, tmp_path):
    _, script, _, params = example

    def drops_a_line_first(ids, cast, attempt):
        if attempt == 0 and len(ids) > 1:
            return json.dumps(
                {"shots": [{"lines": ids[1:], "size": "medium", "camera": "static", "duration": 3, "prompt": "p"}]}
            )
        return good_answer(ids, cast, attempt)

    stage = LLMStoryboard({"retries": 2})
    stage.model = ScriptedLM(drops_a_line_first)
    meta, board = run_board(stage, params, tmp_path)
    assert meta["fallback"] == 0 and meta["attempts"] > meta["scenes"]
    retried = next(c for c in stage.model.conversations if len(c) > 2)
    assert "missing ['L1']" in retried[-1]["content"]
    assert board_lines(board) == script_lines(script)


@pytest.mark.parametrize(
    "bad",
    [
        "no json at all",
        '{"shots": [{"lines": ["L2", "L1"], "size": "medium", "camera": "static", "duration": 3, "prompt": "p"}]}',
        '{"shots": [{"lines": [{"id": "L1", "text": "a changed line"}], "size": "medium", "camera": "static",'
        ' "duration": 3, "prompt": "p"}]}',
        '{"shots": [{"lines": [], "size": "huge", "camera": "static", "duration": 3, "prompt": "p"}]}',
        '{"shots": [{"lines": [], "size": "wide", "camera": "static", "duration": 3, "prompt": "p",'
        ' "characters": ["Nobody"]}]}',
    ],
)
def test_bad_answers_fall_back_to_the_rules_scene(example, tmp_path, bad):
    job, script, _, params = example
    stage = LLMStoryboard({"retries": 1})
    stage.model = ScriptedLM(lambda ids, cast, attempt: bad)
    meta, board = run_board(stage, params, tmp_path)
    assert meta["by_model"] == 0 and meta["fallback"] == meta["scenes"]
    assert meta["attempts"] == 2 * meta["scenes"]
    rules = frontend.storyboard_rules(job, script).model_dump(mode="json")
    assert board == rules


@pytest.mark.slow
def test_tiny_random_lm_exercises_retry_and_fallback(example, tmp_path):
    from workers.pool import worker_class_for

    job, script, _, params = example
    worker = worker_class_for("storyboard", "llm")(
        "storyboard", "llm", {"model": "tiny:qwen2", "max_new_tokens": 16, "retries": 1}
    )
    artifact = worker.execute("sb", params, {}, tmp_path)
    scenes = artifact.meta["scenes"]
    assert artifact.meta["fallback"] == scenes and artifact.meta["attempts"] == 2 * scenes
    board = json.loads(artifact.file().read_text(encoding="utf-8"))
    assert board == frontend.storyboard_rules(job, script).model_dump(mode="json")
    assert worker.stats()["loads"] == 1


def test_extract_json_reads_fenced_or_bare_objects():
    assert extract_json('x ```json\n{"a": 1}\n``` y') == {"a": 1}
    assert extract_json('sure: {"shots": []} done') == {"shots": []}


def test_the_model_s_spelling_of_a_name_is_resolved_to_the_cast(example, tmp_path):
    """The parser's cast resolution applies to the model's answer: 林晚（冷笑） or 林晚OS is 林晚."""
    _, _, _, params = example

    def noted_names(ids, cast, attempt):
        answer = json.loads(good_answer(ids, cast, attempt).split("```json\n")[1].split("\n```")[0])
        for shot in answer["shots"]:
            shot["characters"] = [f"{name}（冷笑）" for name in shot["characters"]] + [f"{n}OS" for n in cast[1:2]]
        return json.dumps(answer)

    stage = LLMStoryboard({"retries": 0})
    stage.model = ScriptedLM(noted_names)
    meta, board = run_board(stage, params, tmp_path)
    assert meta["by_model"] == meta["scenes"] and meta["fallback"] == 0
    names = {c["name"] for c in board["characters"]}
    in_shots = {name for ep in board["episodes"] for shot in ep["shots"] for name in shot["characters"]}
    assert in_shots and in_shots <= names
