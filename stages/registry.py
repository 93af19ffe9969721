"""Which class implements each (stage, backend). Imported lazily so CPU backends never import torch."""

from __future__ import annotations

import importlib

from stages.base import Stage

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
    ("gates", "ffmpeg"): "stages.gates.stage:QualityGates",
}


def backends_of(stage: str) -> list[str]:
    return sorted(b for (s, b) in BACKENDS if s == stage)


def stage_class(stage: str, backend: str) -> type[Stage]:
    try:
        target = BACKENDS[(stage, backend)]
    except KeyError:
        known = ", ".join(backends_of(stage)) or "none"
        raise KeyError(f"no backend {backend!r} for stage {stage!r} (known: {known})") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
