"""The stage contract, for every registered backend (in the spirit of diffusers' PipelineTesterMixin).

Each backend: its options round-trip and refuse what they do not declare, its key settings are
stable and leave out what only says where it runs, its class attributes are what the registry
says, and ``run`` on typed params writes the files its stage declares (CPU backends for real,
model backends with the tiny random models of ``workers/tiny.py``, as ``configs/tiny.yaml`` does).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orchestrator.config import load_profile
from stages.base import Artifact, Resources, StageOptions
from stages.model_stage import ModelOptions
from stages.models import Character, Line, Scene, Shot
from stages.params import (
    OUTPUTS,
    PARAMS,
    AssemblyParams,
    CharacterLook,
    CharacterParams,
    DubParams,
    EpisodeHeader,
    GatesParams,
    JobContext,
    KeyframeParams,
    LocaliseParams,
    MotionParams,
    MuxParams,
    ShotPicture,
    ShotTiming,
    SoundParams,
    SoundShot,
    Speaker,
    StemParams,
    StoryboardParams,
    SubtitlesParams,
    TranslateParams,
    VoiceParams,
)
from stages.parsing import parse_script
from stages.registry import BACKENDS, stage_class
from stages.store import artifact_key
from tests.conftest import REPO

REAL = sorted(BACKENDS)  # collected at import, before any test registers its fakes
MODEL = [(s, b) for s, b in REAL if stage_class(s, b).family is not None]
SLOW_TO_RUN = set(MODEL)  # tiny models, but torch and diffusers take seconds to import and run on a CPU
TINY = load_profile(REPO / "configs" / "tiny.yaml")
# Model backends the tiny profile does not use (it has one per stage), with their tiny options.
TINY_ELSEWHERE = {("translate", "llm"): {"model": "tiny:qwen2", "device": "cpu", "max_new_tokens": 12}}
# Backends that exist to say why they cannot make anything (the offline profile's translate).
REFUSING = {("translate", "none")}


def options_for_a_run(stage: str, backend: str) -> StageOptions:
    """Defaults for CPU backends; the tiny profile's options (tiny random models) for model backends."""
    cls = stage_class(stage, backend)
    if cls.family is None:
        return cls.Options()
    if (stage, backend) in TINY_ELSEWHERE:
        return cls.Options.model_validate(TINY_ELSEWHERE[stage, backend])
    settings = TINY.stage(stage)
    assert settings.backend == backend, f"configs/tiny.yaml should use {stage}/{backend}"
    return settings.options


@pytest.mark.parametrize(("stage", "backend"), REAL)
def test_class_attributes_are_the_registry_entry(stage, backend):
    cls = stage_class(stage, backend)
    assert (cls.name, cls.backend) == (stage, backend)
    assert isinstance(cls.resources, Resources) and cls.batch_size >= 1
    assert issubclass(cls.Options, StageOptions)
    assert cls.Options.model_config.get("extra") == "forbid"
    if cls.family is not None:
        assert issubclass(cls.Options, ModelOptions) and cls.resources.num_gpus > 0
        assert cls.Options().chosen_model() is None  # no model named: the family's default is used


@pytest.mark.parametrize(("stage", "backend"), REAL)
def test_options_round_trip(stage, backend):
    model = stage_class(stage, backend).Options
    for options in (model(), options_for_a_run(stage, backend)):
        again = model.model_validate_json(options.model_dump_json())
        assert again == options
        assert model.model_validate(options.model_dump(exclude_unset=True)).key_settings() == options.key_settings()
    assert model().key_settings() == {}  # defaults alone add nothing to a key


@pytest.mark.parametrize(("stage", "backend"), REAL)
def test_bad_options_are_refused(stage, backend):
    model = stage_class(stage, backend).Options
    with pytest.raises(ValidationError, match="no_such_option"):
        model.model_validate({"no_such_option": 1})
    for name in model.model_fields:
        with pytest.raises(ValidationError, match=name):
            model.model_validate({name: [["not", "a", "value"]]})


@pytest.mark.parametrize(("stage", "backend"), REAL)
def test_keys_are_stable(stage, backend):
    cls = stage_class(stage, backend)
    options = options_for_a_run(stage, backend)

    def key(opts: StageOptions) -> str:
        return artifact_key(stage, cls.version, backend, cls(opts).key_settings(), {"unit": "u1"}, {})

    first = key(options)
    assert key(cls.Options.model_validate(options.model_dump(exclude_unset=True))) == first
    if cls.family is not None:  # where a model runs is not what it makes
        moved = options.model_copy(update={"device": "cuda", "threads": 3, "cpu_offload": True})
        assert key(moved) == first
        assert key(options.model_copy(update={"model": "tiny:other"}, deep=True)) != first


# ---------------------------------------------------------------- run: declared outputs exist


ZH_SCRIPT = (
    "第1集 重逢\n\n1-1 夜 内 总裁办公室\n人物：林晚、顾沉\n△林晚推门而入。\n林晚：你以为我还会回来吗？\n顾沉：回来。\n"
)


def typed_params(stage: str, sample: Any) -> dict[str, Any]:
    """The stage's params as the planner makes them: its model in ``stages/params.py``, dumped."""
    job = JobContext.model_validate(sample.JOB)
    characters = [Character.model_validate(c) for c in sample.CHARACTERS]
    shot = Shot.model_validate(sample.SHOTS[0])
    episode = EpisodeHeader.model_validate(sample.EPISODE)
    line = Line.model_validate(sample.LINES[0])
    timing = [ShotTiming(id=s["id"], duration=s["duration"], lines=s["lines"]) for s in sample.SHOTS]
    made = {
        "storyboard": lambda: StoryboardParams(job=job, script=parse_script(ZH_SCRIPT), characters=characters),
        "character": lambda: CharacterParams(job=job, character=CharacterLook.of(characters[0])),
        "keyframe": lambda: KeyframeParams(
            job=job,
            episode=episode,
            scene=Scene.model_validate(sample.SCENE),
            shot=ShotPicture.of(shot, 1.5),
            characters=[CharacterLook.of(c) for c in characters],
        ),
        "motion": lambda: MotionParams(job=job, shot=ShotPicture.of(shot, 1.5)),
        "voice": lambda: VoiceParams(
            job=job, line=Line.model_validate(sample.LINES[0]), character=Speaker.of(characters[0])
        ),
        "subtitles": lambda: SubtitlesParams(
            job=job,
            episode=episode,
            shots=[ShotTiming(id=s["id"], duration=s["duration"], lines=s["lines"]) for s in sample.SHOTS],
        ),
        "mux": lambda: MuxParams(job=job, shot=shot, scene=Scene.model_validate(sample.SCENE)),
        "assembly": lambda: AssemblyParams(job=job, episode=episode, music=None),
        "sound": lambda: SoundParams(
            job=job,
            episode=episode,
            music=None,
            shots=[
                SoundShot(id=s["id"], duration=s["duration"], lines=len(s["lines"]), scene=sample.SCENE)
                for s in sample.SHOTS
            ],
        ),
        "gates": lambda: GatesParams(job=job, episode=episode),
        "translate": lambda: TranslateParams(id=line.id, text=line.text, source="zh", target="en"),
        "localise": lambda: LocaliseParams(job=job, episode=episode, shots=timing, language="en"),
        "dub": lambda: DubParams(job=job, line=line, character=Speaker.of(characters[0]), language="en"),
        "stem": lambda: StemParams(episode=episode.id, music=None),
    }
    params = made[stage]()
    assert isinstance(params, PARAMS[stage])
    return params.dump()


@pytest.fixture
def upstream(request) -> dict[str, Any]:
    """The session's real artifacts each stage takes as inputs (made once, by the CPU backends)."""
    get = request.getfixturevalue
    return {
        "storyboard": lambda: {},
        "character": lambda: {},
        "keyframe": lambda: {"characters": get("sheets")},
        "motion": lambda: {"keyframe": get("keyframes")[0]},
        "voice": lambda: {},
        "subtitles": lambda: {"voices": get("voices")},
        "mux": lambda: {"motion": get("motions")[0], "voices": get("voices")},
        "assembly": lambda: {"shots": get("muxes"), "subtitles": get("subtitles"), "cover": get("keyframes")[0]},
        "sound": lambda: {"voices": get("voices")},
        "gates": lambda: {"episode": get("assembled"), "subtitles": get("subtitles")},
        "translate": lambda: {},
        "localise": lambda: {"voices": get("voices"), "translations": translations(request, get("voices"))},
        "dub": lambda: {"translation": translations(request, get("voices"))[0], "original": get("voices")[0]},
        "stem": lambda: {"shots": get("muxes"), "master": get("assembled")},
    }


def translations(request, voices) -> list[Artifact]:
    """One translation artifact per line of the sample episode, in line order (what ``translate`` writes)."""
    import json

    sample = request.getfixturevalue("sample")
    folder = request.getfixturevalue("tmp_path") / "translations"
    made = []
    for i, line in enumerate(ln for shot in sample.SHOTS for ln in shot["lines"]):
        (folder / str(i)).mkdir(parents=True, exist_ok=True)
        record = {"id": line["id"], "text": f"Line {i} in English.", "subtitle": f"Line {i} in English."}
        (folder / str(i) / "translation.json").write_text(json.dumps(record), encoding="utf-8")
        made.append(Artifact(f"t{i}", folder / str(i), {"file": "translation.json"}))
    return made


@pytest.mark.parametrize(
    ("stage", "backend"),
    [
        pytest.param(s, b, marks=pytest.mark.slow) if (s, b) in SLOW_TO_RUN else (s, b)
        for s, b in REAL
        if (s, b) not in REFUSING
    ],
)
def test_declared_outputs_exist_after_run(stage, backend, sample, upstream, stage_run, tmp_path: Path):
    instance = stage_class(stage, backend)(options_for_a_run(stage, backend))
    params = typed_params(stage, sample)
    try:
        artifact: Artifact = stage_run(instance, params, upstream[stage](), tmp_path / "out")
    finally:
        instance.teardown()
    declared = OUTPUTS[stage]
    assert artifact.meta["file"] == declared[0]
    for name in declared:
        assert (artifact.path / name).is_file() and (artifact.path / name).stat().st_size > 0, name


@pytest.mark.parametrize(("stage", "backend"), sorted(REFUSING))
def test_refusing_backends_refuse_as_bad_input(stage, backend, sample, tmp_path):
    from stages.errors import InputError

    with pytest.raises(InputError, match="no machine-translation model"):
        stage_class(stage, backend)().run(typed_params(stage, sample), {}, tmp_path)


def test_a_new_shot_field_is_a_decision_for_pictures():
    """ShotPicture is Shot less what pictures must not see: a field added to Shot fails here until it is
    either added to ShotPicture (pictures depend on it) or left out in ``ShotPicture.of``."""
    assert set(ShotPicture.model_fields) == set(Shot.model_fields) - {"lines", "captions"}
