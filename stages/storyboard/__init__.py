"""The storyboard stage: a Script and its characters in, shots with size, camera, duration and prompt out.

Backends: ``rules`` (:mod:`stages.storyboard.rules`, deterministic and offline: cutting in
:mod:`~stages.storyboard.grouping`, size and camera in :mod:`~stages.storyboard.framing`) and ``llm``
(:mod:`stages.storyboard.llm`, which falls back to the rules per scene). Both number lines with
:mod:`~stages.storyboard.numbering` and read :mod:`~stages.storyboard.options`.
"""
