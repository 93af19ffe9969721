"""The model backends' own decisions: prompts, seeds, sizes, frame counts, retiming, voices per character."""

from __future__ import annotations

import numpy as np
import pytest

from stages.keyframe.diffusion import CharacterSheetDiffusion, KeyframeDiffusion, character_seed, keyframe_seed
from stages.media.probe import probe
from stages.models import Character
from stages.motion.diffusion import ImageToVideoMotion, ImageToVideoOptions, encode_clip, motion_seed
from stages.params import CharacterLook, Speaker
from stages.pipelines.video import KINDS, kind_of
from stages.voice.tts import TransformersVoice, pitch_factor, speaker_for

JOB = {
    "title": "t",
    "width": 180,
    "height": 320,
    "fps": 12,
    "aspect": "9:16",
    "style": "ink wash",
    "language": "zh",
    "seed": 5,
}
LIN = {"name": "林晚", "appearance": "young woman, red coat", "seed": 3}  # a CharacterLook, as pictures see it
GU = {"name": "顾沉", "appearance": "man in a black suit", "seed": 1}
OPTIONS = {"model": "tiny:sd", "max_side": 64, "multiple": 8, "negative_prompt": "blurry"}


def shot(characters, **extra):
    return {
        "id": "ep01-s02-sh003",
        "scene": "ep01-s02",
        "size": "close-up",
        "camera": "pan",
        "duration": 2.0,
        "characters": characters,
        "prompt": "she turns away",
        "action": "",
        "lines": [],
        **extra,
    }


def test_keyframe_uses_the_lead_characters_seed_and_appearance():
    sheet = CharacterSheetDiffusion(OPTIONS).prepare({"job": JOB, "character": LIN}, {})
    frame = KeyframeDiffusion(OPTIONS).prepare(
        {"job": JOB, "shot": shot(["林晚", "顾沉"]), "scene": {}, "characters": [LIN, GU]}, {}
    )
    assert frame.seed == sheet.seed == character_seed(JOB, LIN)
    assert "young woman, red coat" in frame.prompt and "man in a black suit" in frame.prompt
    assert "close-up" in frame.prompt and frame.prompt.endswith("ink wash")
    assert frame.negative_prompt == "blurry"
    assert (frame.width, frame.height) == (40, 64)  # the job's aspect within max_side, multiples of 8


def test_shots_without_characters_get_their_own_seed_and_a_new_job_seed_changes_it():
    stage = KeyframeDiffusion(OPTIONS)
    a = stage.prepare({"job": JOB, "shot": shot([]), "characters": []}, {})
    b = stage.prepare({"job": {**JOB, "seed": 6}, "shot": shot([]), "characters": []}, {})
    assert a.seed != b.seed
    assert "林晚" not in a.prompt


def test_a_rerolls_seed_replaces_the_derived_one_in_keyframe_and_motion():
    params = {"job": JOB, "shot": shot(["林晚"]), "scene": {}, "characters": [LIN], "seed": 99}
    assert KeyframeDiffusion(OPTIONS).prepare(params, {}).seed == 99
    assert keyframe_seed({**params, "seed": None}, [LIN]) == character_seed(JOB, LIN)
    assert motion_seed({"job": JOB, "shot": shot([]), "seed": 99}) == 99
    assert motion_seed({"job": JOB, "shot": shot([])}) != 99


def test_key_settings_leave_out_where_the_model_runs():
    stage = KeyframeDiffusion({**OPTIONS, "device": "cuda", "cpu_offload": True, "dtype": "float16"})
    assert stage.key_settings() == {**OPTIONS, "dtype": "float16"}


@pytest.mark.parametrize(
    ("pipeline", "wanted", "frames"),
    [("ltx-i2v", 48, 49), ("wan-i2v", 81, 81), ("wan-i2v", 30, 29), ("cogvideox-i2v", 2, 9)],
)
def test_frame_counts_follow_each_pipelines_rule(pipeline, wanted, frames):
    assert KINDS[pipeline].frames(wanted) == frames


def test_pipeline_is_guessed_from_the_model_id():
    def kind(**options):
        return kind_of(ImageToVideoOptions(**options))

    assert kind(model="Wan-AI/Wan2.1-I2V-14B-720P-Diffusers") == "wan-i2v"
    assert kind(model="THUDM/CogVideoX-5b-I2V") == "cogvideox-i2v"
    assert kind(model="Lightricks/LTX-Video") == "ltx-i2v"
    assert kind(model="tiny:ltx") == "ltx-i2v"
    assert kind(model="some/model", pipeline="wan-i2v") == "wan-i2v"
    assert kind() == "wan-i2v"  # no model: the family's default, Wan2.1 I2V
    assert ImageToVideoOptions(pipeline="ltx-i2v").chosen_model() == "Lightricks/LTX-Video"
    with pytest.raises(ValueError, match="pipeline"):
        ImageToVideoOptions(pipeline="sora")


def test_motion_frames_come_from_the_shot_length_at_model_fps():
    stage = ImageToVideoMotion({"model": "Lightricks/LTX-Video", "max_frames": 97})
    assert stage._wanted_frames(2.0) == 48
    assert stage._wanted_frames(30.0) == 97
    assert ImageToVideoMotion({"model": "tiny:ltx", "frames": 9})._wanted_frames(5.0) == 9


@pytest.mark.parametrize("duration", [0.75, 2.0, 3.3])
def test_clip_is_retimed_to_exactly_the_shot(tmp_path, duration):
    frames = np.random.default_rng(0).random((9, 32, 24, 3), dtype=np.float32)
    out = tmp_path / "clip.mp4"
    written = encode_clip(frames, 24.0, out, 180, 320, 12, duration, preset="ultrafast")
    info = probe(out)
    assert written == round(duration * 12) == info.frames
    assert (info.width, info.height, info.fps) == (180, 320, 12)
    assert abs(info.duration - duration) < 1 / 12 + 1e-3


def test_voice_per_character_on_multi_and_single_speaker_models():
    lin, gu = (Speaker.of(Character(**c)) for c in (LIN, GU))
    assert (lin.gender, gu.gender) == ("f", "m")  # read from the appearance: no pitch given
    assert speaker_for(None, 4) == 0
    assert speaker_for(lin, 4) in (1, 2, 3)
    assert speaker_for(Speaker(name="x", voice="2"), 4) == 2
    assert speaker_for(lin, 1) == 0
    assert pitch_factor(lin, single_speaker=False) == 1.0
    assert pitch_factor(lin, single_speaker=True) > 1.0  # reads as a woman: raised
    assert pitch_factor(gu, single_speaker=True) < 1.0  # reads as a man: lowered
    assert pitch_factor(Speaker(name="y", pitch=99), single_speaker=False) > 1.2


def test_pictures_and_voices_see_only_their_share_of_a_character():
    full = Character(name="林晚", appearance="young woman", voice="f3", pitch=60, speed=170, seed=3, reference="a.png")
    assert CharacterLook.of(full).model_dump() == {
        "name": "林晚",
        "appearance": "young woman",
        "seed": 3,
        "reference": "a.png",
    }
    voiced = Speaker.of(full)
    assert voiced.gender is None  # voice and pitch given: the appearance is not read
    assert Speaker.of(full.model_copy(update={"appearance": "an old man"})) == voiced


def test_same_line_same_voice_bytes(tmp_path):
    stage = TransformersVoice({"model": "tiny:vits"})
    stage.setup()
    params = {
        "job": JOB,
        "character": Speaker.of(Character(**LIN)).model_dump(),
        "line": {"id": "ep01-l001", "kind": "dialogue", "character": "林晚", "text": "你好，顾沉。"},
    }
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    meta = stage.run(params, {}, tmp_path / "a")
    stage.run(params, {}, tmp_path / "b")
    assert (tmp_path / "a" / "line.wav").read_bytes() == (tmp_path / "b" / "line.wav").read_bytes()
    assert meta["duration"] >= 0.3 and probe(tmp_path / "a" / "line.wav").sample_rate == 48_000


def test_lead_characters_sheet_is_the_ip_adapter_reference(tmp_path):
    from PIL import Image

    from stages.base import Artifact

    sheets = []
    for name, colour in (("林晚", (200, 0, 0)), ("顾沉", (0, 0, 200))):
        folder = tmp_path / name
        folder.mkdir()
        Image.new("RGB", (8, 8), colour).save(folder / "sheet.png")
        sheets.append(Artifact(name, folder, {"file": "sheet.png", "name": name}))
    stage = KeyframeDiffusion(OPTIONS)
    stage.model.uses_reference = True  # as after loading a pipeline with an IP-Adapter
    request = stage.prepare(
        {"job": JOB, "shot": shot(["顾沉", "林晚"]), "characters": [LIN, GU]}, {"characters": sheets}
    )
    assert request.reference.getpixel((0, 0)) == (0, 0, 200)  # the lead (first in the shot) is 顾沉
    assert request.seed == character_seed(JOB, GU)
    stage.model.uses_reference = False
    assert (
        stage.prepare({"job": JOB, "shot": shot(["顾沉"]), "characters": [GU]}, {"characters": sheets[1:]}).reference
        is None
    )
