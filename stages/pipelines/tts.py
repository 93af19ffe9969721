"""Text-to-speech family: VITS/MMS-class models (``VitsModel`` + its tokenizer) and, for Bark-class
models, the transformers ``text-to-speech`` pipeline.

A voice per character: a multi-speaker model gets a speaker id per character; a single-speaker one
(most MMS checkpoints) gets a per-character seed and a pitch shift applied afterwards by the stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stages.pipelines.loading import LoadedModel, load_pretrained, load_tiny, set_threads

if TYPE_CHECKING:
    from stages.voice.tts import TTSOptions


class UnspeakableText(ValueError):
    """The model's tokenizer keeps nothing of the text (e.g. Chinese for an English-only MMS model)."""


class Speech(LoadedModel):
    default_model = "facebook/mms-tts-eng"
    options: TTSOptions

    def __init__(self, options: TTSOptions) -> None:
        super().__init__(options)
        self.engine = options.engine
        self.tokenizer: Any = None

    def _load_pretrained(self) -> Any:
        if self.engine == "pipeline":
            from transformers import pipeline

            return load_pretrained(
                self.model_id,
                lambda mid, **kw: pipeline(
                    "text-to-speech", model=mid, model_kwargs=kw, dtype=self.settings.torch_dtype()
                ),
            )
        from transformers import AutoTokenizer, VitsModel

        self.tokenizer = load_pretrained(self.model_id, AutoTokenizer.from_pretrained)
        return load_pretrained(self.model_id, VitsModel.from_pretrained)

    def load(self) -> None:
        if self.pipe is None and self.settings.tiny:
            set_threads(self.options)
            self.device = self.settings.torch_device()
            self.pipe, self.tokenizer = load_tiny(self.model_id)  # a tiny VITS is (model, tokenizer)
            self._place()
            self.loads += 1
            return
        super().load()

    def _place(self) -> None:
        if self.engine == "vits" and hasattr(self.pipe, "to"):
            self.pipe.to(self.device)

    @property
    def speakers(self) -> int:
        config = getattr(self.pipe, "config", None)
        return int(getattr(config, "num_speakers", 1) or 1)

    def speak(self, text: str, speaker: int, seed: int) -> tuple[Any, int]:
        """(mono float waveform, sampling rate); the same text, speaker and seed give the same audio."""
        import torch

        self.load()
        torch.manual_seed(seed)
        if self.engine == "pipeline":
            result = self.pipe(text)
            audio = result["audio"]
            return audio.reshape(-1), int(result["sampling_rate"])
        encoded = self.tokenizer(text, return_tensors="pt")
        ids = encoded["input_ids"]
        pad = self.tokenizer.pad_token_id
        if ids.numel() == 0 or bool((ids == pad).all()):
            raise UnspeakableText(
                f"model {self.model_id!r} cannot read this text (its tokenizer keeps none of it): "
                f"{text[:40]!r}; choose a TTS model for the script's language"
            )
        kwargs: dict[str, Any] = {k: v.to(self.device) for k, v in encoded.items()}
        if self.speakers > 1:
            kwargs["speaker_id"] = speaker % self.speakers
        with torch.inference_mode():
            waveform = self.pipe(**kwargs).waveform
        return waveform[0].float().cpu().numpy(), int(self.pipe.config.sampling_rate)
