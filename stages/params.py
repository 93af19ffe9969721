"""What the planner hands each stage as ``params`` and ``inputs``: the contract between
``orchestrator/dag.py`` and the stage backends. Every field here enters the artifact key.

    stage       unit        params                                           inputs
    character   character   job, character                                   -
    keyframe    shot        job, episode, scene, shot, characters            characters: [character]
    motion      shot        job, shot                                        keyframe: keyframe
    voice       line        job, line, character (None for a narrator)       -
    subtitles   episode     job, episode, shots (id, duration, lines)        voices: [voice] (line order)
    mux         shot        job, shot (whole), scene                         motion, voices: [voice]
    assembly    episode     job, episode, music (or None)                    shots: [mux], subtitles, cover: keyframe
    gates       episode     job, episode                                     episode: assembly, subtitles

``job`` is :class:`JobContext` dumped; ``character``/``characters`` are ``stages.models.Character``
dumps; ``shot``, ``scene``, ``line`` are dumps of the storyboard models; ``episode`` is
``{"id", "number", "title"}``. Output files: character ``sheet.png``, keyframe ``keyframe.png``,
motion ``clip.mp4`` (lossless), voice ``line.wav`` (meta ``duration``, ``samples``, ``speech``,
``pauses``), subtitles ``episode.ass`` and ``episode.srt`` (meta ``lines``: each line's cue span),
mux ``shot.mp4`` (the picture's one encode, text burned in) and ``shot.wav`` (meta ``frames``,
``samples``, ``cues``, ``speech``, ``text``), assembly ``episode.mp4``, ``episode.srt``, ``cover.jpg``
(meta ``duration``, ``planned``, ``shots``, ``text``, ``speech``), gates ``gates.json`` (meta
``passed``, ``gates``, ``failed``). Each meta names its main file as ``file``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class JobContext(BaseModel):
    """The job-wide settings a stage may use. Only what changes outputs belongs here."""

    model_config = ConfigDict(extra="forbid")

    title: str
    width: int
    height: int
    fps: int
    aspect: Literal["9:16", "16:9"]
    style: str = ""
    language: Literal["zh", "en"] = "zh"
    seed: int = 0
    platform: str = "none"  # a key of stages.platforms.PLATFORM_PRESETS: safe areas, loudness, labels
    review: bool = False  # a review cut: internal shot ids and camera notes drawn on the picture


class MusicParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str  # absolute path on the shared filesystem
    sha256: str  # so a changed file changes the key even at the same path
    volume: float = 0.25
    duck: bool = True
