"""DAG planning: the shape of params.py's table, and exact invalidation by an edit."""

from __future__ import annotations

import pytest

from orchestrator.dag import plan_dag
from stages.errors import InputError
from tests.orchestrator.conftest import fake_profile, make_job
from tests.orchestrator.storyboards import make_storyboard


def test_one_node_per_unit_of_work(job, profile):
    board = make_storyboard(episodes=2, shots=3, lines_per_shot=2)
    dag = plan_dag(job, board, profile)
    counts = {stage: len(nodes) for stage, nodes in dag.by_stage().items()}
    assert counts == {
        "character": 2,
        "keyframe": 6,
        "motion": 6,
        "voice": 14,
        "mux": 6,
        "subtitles": 2,
        "assembly": 2,
    }
    # 阿福 is in the cast list but never appears: no sheet; the narrator has none either.
    assert {n.unit for n in dag.by_stage()["character"]} == {"林晚", "顾沉"}
    assert dag.nodes["voice:ep01-l007"].params["character"] is None
    assert dag.nodes["voice:ep01-l001"].params["character"]["name"] == "林晚"
    assert dag.nodes["keyframe:ep01-s01-sh002"].name == "keyframe ep01-s01-sh002"


def test_inputs_follow_the_params_table(job, profile):
    dag = plan_dag(job, make_storyboard(episodes=1, shots=2), profile)
    keyframe = dag.nodes["keyframe:ep01-s01-sh001"]
    assert keyframe.inputs == {"characters": ["character:林晚"]}
    assert keyframe.params["characters"][0]["name"] == "林晚"
    assert "lines" not in keyframe.params["shot"]
    assert dag.nodes["motion:ep01-s01-sh001"].inputs == {"keyframe": ["keyframe:ep01-s01-sh001"]}
    mux = dag.nodes["mux:ep01-s01-sh002"]
    assert mux.inputs == {
        "motion": ["motion:ep01-s01-sh002"],
        "voices": ["voice:ep01-l003", "voice:ep01-l004", "voice:ep01-l005"],
    }
    assert mux.list_inputs == {"voices"}
    assert mux.params["shot"]["lines"][0]["id"] == "ep01-l003"  # a whole Shot: the stage validates it
    subs = dag.nodes["subtitles:ep01"]
    assert subs.inputs["voices"] == [f"voice:ep01-l{i:03d}" for i in range(1, 6)]
    assembly = dag.nodes["assembly:ep01"]
    assert assembly.inputs == {
        "shots": ["mux:ep01-s01-sh001", "mux:ep01-s01-sh002"],
        "subtitles": ["subtitles:ep01"],
        "cover": ["keyframe:ep01-s01-sh001"],
    }
    assert assembly.params["music"] is None
    assert assembly.params["job"] == {
        "title": "测试",
        "width": 720,
        "height": 1280,
        "fps": 24,
        "aspect": "9:16",
        "style": "",
        "language": "zh",
        "seed": 0,
        "platform": "none",
        "review": False,
    }
    assert mux.params["scene"]["id"] == mux.params["shot"]["scene"]  # heading, place and time for text and sound
    assert "gates:ep01" not in dag.nodes  # a profile without a gates stage plans none
    order = dag.topo_order()
    assert all(order.index(dep) < order.index(nid) for nid, n in dag.nodes.items() for dep in n.deps)


def _changed(a, b) -> set[str]:
    assert a.nodes.keys() == b.nodes.keys()
    return {nid for nid in a.nodes if a.nodes[nid].key != b.nodes[nid].key}


def test_plan_is_deterministic(job, profile):
    a = plan_dag(job, make_storyboard(), profile)
    b = plan_dag(job, make_storyboard(), profile)
    assert _changed(a, b) == set()
    assert len({n.key for n in a.nodes.values()}) == len(a.nodes)


def test_one_line_edit_invalidates_exactly_its_dependents(job, profile):
    board = make_storyboard(episodes=2, shots=3)
    before = plan_dag(job, board, profile)
    edited = board.model_copy(deep=True)
    edited.episodes[0].shots[1].lines[0].text = "改过的台词"
    after = plan_dag(job, edited, profile)
    assert _changed(before, after) == {
        "voice:ep01-l003",
        "mux:ep01-s01-sh002",
        "subtitles:ep01",
        "assembly:ep01",
    }


def test_setting_and_spec_changes_invalidate_what_they_touch(tmp_path, job, profile):
    board = make_storyboard(episodes=1, shots=2)
    base = plan_dag(job, board, profile)
    voices = plan_dag(job, board, fake_profile({"voice": {"rate": 2}}))
    assert {nid.split(":")[0] for nid in _changed(base, voices)} == {"voice", "mux", "subtitles", "assembly"}
    wide = plan_dag(make_job(tmp_path, aspect="16:9"), board, profile)
    assert _changed(base, wide) == set(base.nodes)


def test_music_enters_the_assembly_key_by_content(tmp_path, profile):
    from orchestrator.jobspec import MusicSpec

    (tmp_path / "bed.mp3").write_bytes(b"one")
    job = make_job(tmp_path, music=MusicSpec(path="bed.mp3"))
    board = make_storyboard(episodes=1, shots=1)
    first = plan_dag(job, board, profile)
    assert first.nodes["assembly:ep01"].params["music"]["path"] == str(tmp_path / "bed.mp3")
    (tmp_path / "bed.mp3").write_bytes(b"two")
    assert _changed(first, plan_dag(job, board, profile)) == {"assembly:ep01"}


def test_critical_path(job, profile):
    dag = plan_dag(job, make_storyboard(episodes=1, shots=2), profile)
    cost = {nid: 1.0 for nid in dag.nodes}
    cost["voice:ep01-l003"] = 10.0
    cost["mux:ep01-s01-sh002"] = 2.0  # one longest chain (through subtitles it is 12 s, not 13)
    path, length = dag.critical_path(cost)
    assert path == ["voice:ep01-l003", "mux:ep01-s01-sh002", "assembly:ep01"]
    assert length == 13.0
    path, length = dag.critical_path(lambda n: 1.0)
    assert length == 5.0 and path[0].startswith("character:") and path[-1] == "assembly:ep01"


def test_unknown_backend_is_an_input_error(job, fakes):
    profile = fake_profile()
    profile.stages["voice"].backend = "nope"
    with pytest.raises(InputError, match="no backend 'nope'"):
        plan_dag(job, make_storyboard(), profile)


def test_script_edit_through_the_real_storyboard_rerenders_no_picture(tmp_path, repo):
    """A real edit changes a line's length, so the rules storyboard plans its shot longer; the
    keyframe and motion must still keep their keys (pictures depend on what is seen, not said)."""
    import shutil

    from orchestrator import frontend
    from orchestrator.config import load_profile

    profile = load_profile(repo / "configs" / "local.yaml")
    folder = tmp_path / "job"
    shutil.copytree(repo / "examples" / "datong-wall", folder)

    def plan():
        job, script, _ = frontend.load(folder / "job.yaml")
        return plan_dag(job, frontend.storyboard_rules(job, script, profile), profile)

    before = plan()
    script = folder / "script.txt"
    text = script.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("陈砚") and "：" in x)
    longer = line + "我说过的话，从来都算数，你等着看吧。"
    script.write_text(text.replace(line, longer, 1), encoding="utf-8")
    after = plan()

    changed = {n for n in before.nodes if before.nodes[n].key != after.nodes[n].key}
    assert {before.nodes[n].stage for n in changed} == {"voice", "mux", "subtitles", "sound", "assembly", "gates"}
    assert sum(before.nodes[n].stage == "voice" for n in changed) == 1
    assert sum(before.nodes[n].stage == "mux" for n in changed) == 1
    gates = before.nodes[next(n for n in changed if before.nodes[n].stage == "gates")]
    assert gates.inputs == {
        "episode": [f"assembly:{gates.unit}"],
        "subtitles": [f"subtitles:{gates.unit}"],
        "sound": [f"sound:{gates.unit}"],  # its measurement, used only for the packets it measured
    }
    sound = before.nodes[f"sound:{gates.unit}"]
    assert set(sound.deps) <= {n for n, node in before.nodes.items() if node.stage == "voice"}  # beside the muxes
    assert before.nodes[f"assembly:{gates.unit}"].inputs["sound"] == [sound.id]


# ---------------------------------------------------------------- the example job: what an edit re-makes


def _plan_example(folder, profile):
    from orchestrator import frontend

    job, script, _ = frontend.load(folder / "job.yaml")
    board = frontend.storyboard_rules(job, script, profile)
    return board, plan_dag(job, board, profile)


def _edited_example(tmp_path, repo, old: str, new: str):
    import shutil

    folder = tmp_path / "job"
    shutil.copytree(repo / "examples" / "datong-wall", folder)
    spec = folder / "job.yaml"
    text = spec.read_text(encoding="utf-8")
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new), encoding="utf-8")
    return folder


@pytest.fixture(params=["local", "datong"])
def example_profile(request, repo):
    from orchestrator.config import load_profile

    return load_profile(repo / "configs" / f"{request.param}.yaml")


def test_every_planned_node_carries_exactly_its_stages_params_model(repo, example_profile):
    from stages.params import PARAMS

    _, dag = _plan_example(repo / "examples" / "datong-wall", example_profile)
    for node in dag.nodes.values():
        assert PARAMS[node.stage].model_validate(node.params).dump() == node.params, node.id
    for node in dag.by_stage()["character"] + dag.by_stage()["keyframe"]:
        looks = [node.params["character"]] if node.stage == "character" else node.params["characters"]
        assert all(set(look) == {"name", "appearance", "seed", "reference"} for look in looks), node.id


def test_a_new_voice_re_makes_only_her_lines_their_mux_the_subtitles_and_assemblies(tmp_path, repo, example_profile):
    board, before = _plan_example(repo / "examples" / "datong-wall", example_profile)
    folder = _edited_example(tmp_path, repo, "voice: cmn-latn-pinyin+f3", "voice: cmn-latn-pinyin+f4")
    _, after = _plan_example(folder, example_profile)

    hers = {
        (ep.id, shot.id, line.id)
        for ep in board.episodes
        for shot in ep.shots
        for line in shot.lines
        if line.character == "林晚"
    }
    assert len(hers) == 10
    expected = (
        {f"voice:{line}" for _, _, line in hers}
        | {f"mux:{shot}" for _, shot, _ in hers}
        | {f"{stage}:{ep}" for ep, _, _ in hers for stage in ("subtitles", "sound", "assembly", "gates")}
    )
    assert _changed(before, after) == expected


def test_a_new_look_re_makes_her_sheet_and_pictures_and_no_voice(tmp_path, repo, example_profile):
    board, before = _plan_example(repo / "examples" / "datong-wall", example_profile)
    folder = _edited_example(tmp_path, repo, "米色工装外套", "深蓝色工装外套")
    _, after = _plan_example(folder, example_profile)

    shots = {(ep.id, shot.id) for ep in board.episodes for shot in ep.shots if "林晚" in shot.characters}
    assert len(shots) == 17
    expected = (
        {"character:林晚"}
        | {f"{stage}:{shot}" for _, shot in shots for stage in ("keyframe", "motion", "mux")}
        | {f"{stage}:{ep}" for ep, _ in shots for stage in ("assembly", "gates")}
    )
    assert _changed(before, after) == expected
    assert not any(nid.startswith(("voice:", "subtitles:")) for nid in _changed(before, after))


def test_a_review_cut_re_makes_only_the_muxes_and_what_joins_them(job, profile):
    board = make_storyboard(episodes=1, shots=2)
    release = plan_dag(job, board, profile)
    review = plan_dag(job, board, profile, review=True)
    changed = _changed(release, review)
    assert changed and {release.nodes[n].stage for n in changed} <= {"mux", "assembly", "gates"}
    assert {n for n in release.nodes if release.nodes[n].stage == "mux"} <= changed
    for nid, node in review.nodes.items():
        assert node.params["job"]["review"] == (node.stage == "mux"), nid
