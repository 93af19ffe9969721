"""One warm-worker class per model family, so the pools can tell families apart (and batch per family).

The model code itself (pipelines, loading, tiny models) lives in ``stages/pipelines/``; the stages that use it
in ``stages/``. These classes only name the family a pool serves.
"""

from __future__ import annotations

from workers.pool import StageWorker


class TextToImageWorker(StageWorker):
    """Character sheets and keyframes: one text-to-image pipeline held warm, batched prompts."""

    family = "text-to-image"


class ImageToVideoWorker(StageWorker):
    """Motion clips: one image-to-video pipeline held warm; LTX-class pipelines batch shots."""

    family = "image-to-video"


class TTSWorker(StageWorker):
    """Voice lines: one TTS model held warm."""

    family = "text-to-speech"


class LLMWorker(StageWorker):
    """Storyboards: one chat model held warm (chatty, latency-bound: keep it near the studio)."""

    family = "causal-lm"


class TranslationWorker(StageWorker):
    """Translations: one seq2seq MT model (Marian / opus-mt, NLLB) held warm."""

    family = "translation"
