"""The storyboard stage: a Script and its characters in, shots with size, camera, duration and prompt out.

Backends: ``rules`` (:mod:`stages.storyboard.rules`, deterministic and offline) and ``llm``
(:mod:`stages.storyboard.llm`, which falls back to the rules per scene).
"""
