"""Shared fixtures for the media stages: a tiny job (180x320 at 12 fps), two characters, one shot, and a
session-wide chain of real artifacts (keyframe -> motion, voices -> mux -> subtitles -> assembly) so each
stage's test checks real inputs made once."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from stages.base import Artifact, Stage

JOB = {"title": "城墙{\\b1}下", "width": 180, "height": 320, "fps": 12, "aspect": "9:16", "language": "zh"}
CHARACTERS = [
    {"name": "林晚", "appearance": "二十五岁的女律师，短发，黑色风衣", "seed": 7},
    {"name": "顾沉", "appearance": "冷面总裁，男，西装", "seed": 3},
]
SCENE = {
    "id": "ep01-s01",
    "heading": "1-1 夜 内 总裁办公室",
    "location": "总裁办公室",
    "time": "night",
    "interior": True,
}
LINES = [
    {"id": "ep01-l001", "kind": "dialogue", "character": "林晚", "text": "你以为我还会回来吗？"},
    {"id": "ep01-l002", "kind": "dialogue", "character": "顾沉", "text": "-{\\b1}回来。"},
]
SHOTS = [
    {
        "id": "ep01-s01-sh001",
        "scene": "ep01-s01",
        "size": "medium",
        "camera": "push-in",
        "duration": 1.5,
        "characters": ["林晚", "顾沉"],
        "prompt": "two people in an office",
        "action": "林晚推门而入。",
        "lines": LINES,
    },
    {
        "id": "ep01-s01-sh002",
        "scene": "ep01-s01",
        "size": "wide",
        "camera": "pan",
        "duration": 1.0,
        "characters": [],
        "prompt": "the city at night",
        "lines": [],
    },
]
EPISODE = {"id": "ep01", "number": 1, "title": "重逢"}


def run_stage(stage: Stage, params: dict[str, Any], inputs: dict, out: Path) -> Artifact:
    """Run a stage as a worker would (setup, then run into an empty folder) and wrap its output."""
    out.mkdir(parents=True, exist_ok=True)
    stage.setup()
    meta = stage.run(params, inputs, out)
    return Artifact(out.name, out, meta)


def decoded_pcm(path: Path) -> np.ndarray:
    """A media file's audio as mono 16 kHz float samples (ffmpeg decodes, numpy measures)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "16000", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.int16).astype(np.float64) / 32768.0


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


@pytest.fixture(scope="session")
def sample() -> SimpleNamespace:
    """The tiny job's data (JOB, CHARACTERS, SCENE, LINES, SHOTS, EPISODE) for tests to build params from."""
    return SimpleNamespace(JOB=JOB, CHARACTERS=CHARACTERS, SCENE=SCENE, LINES=LINES, SHOTS=SHOTS, EPISODE=EPISODE)


@pytest.fixture(scope="session")
def stage_run() -> Callable[..., Artifact]:
    return run_stage


@pytest.fixture(scope="session")
def pcm() -> Callable[[Path], np.ndarray]:
    return decoded_pcm


@pytest.fixture(scope="session")
def loudness() -> Callable[[np.ndarray], float]:
    return rms


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def sheets(media_dir) -> list[Artifact]:
    from stages.keyframe.card import CharacterCard

    return [
        run_stage(CharacterCard(), {"job": JOB, "character": c}, {}, media_dir / f"sheet-{i}")
        for i, c in enumerate(CHARACTERS)
    ]


@pytest.fixture(scope="session")
def keyframes(media_dir, sheets) -> list[Artifact]:
    from stages.keyframe.card import KeyframeCard

    made = []
    for i, shot in enumerate(SHOTS):
        cast = [c for c in CHARACTERS if c["name"] in shot["characters"]]
        params = {"job": JOB, "episode": EPISODE, "scene": SCENE, "shot": shot, "characters": cast}
        made.append(run_stage(KeyframeCard(), params, {"characters": sheets}, media_dir / f"keyframe-{i}"))
    return made


@pytest.fixture(scope="session")
def motions(media_dir, keyframes) -> list[Artifact]:
    from stages.motion.kenburns import KenBurnsMotion

    pairs = enumerate(zip(SHOTS, keyframes, strict=True))
    return [
        run_stage(KenBurnsMotion(), {"job": JOB, "shot": shot}, {"keyframe": kf}, media_dir / f"motion-{i}")
        for i, (shot, kf) in pairs
    ]


@pytest.fixture(scope="session")
def voices(media_dir) -> list[Artifact]:
    from stages.models import Character
    from stages.params import Speaker
    from stages.voice.espeak import EspeakVoice

    by_name = {c["name"]: Speaker.of(Character.model_validate(c)).model_dump() for c in CHARACTERS}
    return [
        run_stage(
            EspeakVoice(),
            {"job": JOB, "line": line, "character": by_name.get(line["character"])},
            {},
            media_dir / f"voice-{i}",
        )
        for i, line in enumerate(LINES)
    ]


@pytest.fixture(scope="session")
def muxes(media_dir, motions, voices) -> list[Artifact]:
    from stages.mux.shot_mux import ShotMux

    out, used = [], 0
    for i, (shot, motion) in enumerate(zip(SHOTS, motions, strict=True)):
        mine = voices[used : used + len(shot["lines"])]
        used += len(shot["lines"])
        out.append(
            run_stage(
                ShotMux(),
                {"job": JOB, "shot": shot, "scene": SCENE},
                {"motion": motion, "voices": mine},
                media_dir / f"mux-{i}",
            )
        )
    return out


@pytest.fixture(scope="session")
def subtitles(media_dir, voices) -> Artifact:
    from stages.subtitles.ass import AssSubtitles

    shots = [{"id": s["id"], "duration": s["duration"], "lines": s["lines"]} for s in SHOTS]
    return run_stage(
        AssSubtitles(), {"job": JOB, "episode": EPISODE, "shots": shots}, {"voices": voices}, media_dir / "subtitles"
    )


@pytest.fixture(scope="session")
def assembled(media_dir, muxes, subtitles, keyframes) -> Artifact:
    """The tiny episode, assembled once (for the gates)."""
    from stages.assembly.episode import EpisodeAssembly

    return run_stage(
        EpisodeAssembly(),
        {"job": JOB, "episode": EPISODE, "music": None},
        {"shots": muxes, "subtitles": subtitles, "cover": keyframes[0]},
        media_dir / "assembled",
    )
