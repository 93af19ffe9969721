"""Which class implements each (stage, backend): the one table. Imported lazily so CPU backends never import torch.

Everything else about a backend is a class attribute of its stage class, read through here: its typed
``Options`` (profiles are checked against them), ``resources``, ``batch_size`` and model ``family``
(the warm worker class and the default model, for the pools, the planner and the cost model).
"""

from __future__ import annotations

import importlib

from stages.base import ModelFamily, Resources, Stage, StageOptions

# (stage, backend) -> "module:Class". Strings, so nothing is imported until a backend is used.
BACKENDS: dict[tuple[str, str], str] = {
    ("storyboard", "rules"): "stages.storyboard.rules:RulesStoryboard",
    ("storyboard", "llm"): "stages.storyboard.llm:LLMStoryboard",
    ("character", "card"): "stages.keyframe.card:CharacterCard",
    ("keyframe", "card"): "stages.keyframe.card:KeyframeCard",
    ("character", "diffusers"): "stages.keyframe.diffusion:CharacterSheetDiffusion",
    ("keyframe", "diffusers"): "stages.keyframe.diffusion:KeyframeDiffusion",
    ("motion", "kenburns"): "stages.motion.kenburns:KenBurnsMotion",
    ("motion", "diffusers"): "stages.motion.diffusion:ImageToVideoMotion",
    ("voice", "espeak"): "stages.voice.espeak:EspeakVoice",
    ("voice", "transformers"): "stages.voice.tts:TransformersVoice",
    ("subtitles", "ass"): "stages.subtitles.ass:AssSubtitles",
    ("mux", "ffmpeg"): "stages.mux.shot_mux:ShotMux",
    ("assembly", "ffmpeg"): "stages.assembly.episode:EpisodeAssembly",
    ("sound", "ffmpeg"): "stages.sound.episode:EpisodeSound",
    ("gates", "ffmpeg"): "stages.gates.stage:QualityGates",
    ("translate", "transformers"): "stages.translate.marian:MarianTranslate",
    ("translate", "none"): "stages.translate.local:NoTranslate",
    ("translate", "llm"): "stages.translate.instruct:InstructTranslate",
    ("localise", "ass"): "stages.translate.subtitles:LocalisedSubtitles",
    ("dub", "transformers"): "stages.translate.dub:TransformersDub",
    ("dub", "espeak"): "stages.translate.dub:EspeakDub",
    ("stem", "ffmpeg"): "stages.translate.stem:MEStem",
}


def stage_names() -> list[str]:
    return sorted({s for s, _ in BACKENDS})


def backends_of(stage: str) -> list[str]:
    return sorted(b for (s, b) in BACKENDS if s == stage)


def stage_class(stage: str, backend: str) -> type[Stage]:
    try:
        target = BACKENDS[(stage, backend)]
    except KeyError:
        if not backends_of(stage):
            raise KeyError(f"no stage {stage!r} (stages: {', '.join(stage_names())})") from None
        raise KeyError(f"no backend {backend!r} for stage {stage!r} (known: {', '.join(backends_of(stage))})") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def options_class(stage: str, backend: str) -> type[StageOptions]:
    """The typed options a profile may give this backend."""
    return stage_class(stage, backend).Options


def declared_resources(stage: str, backend: str) -> Resources:
    """What one task of this backend needs, before the profile's overrides."""
    return stage_class(stage, backend).resources


def model_family(stage: str, backend: str) -> ModelFamily | None:
    """The model family of a model backend (its warm worker and default model); None for CPU backends."""
    return stage_class(stage, backend).family


def default_model(stage: str, backend: str) -> str | None:
    """The model this backend loads when its options name none (None: it needs no model)."""
    try:
        family = model_family(stage, backend)
    except KeyError:
        return None
    return family.default_model if family else None
