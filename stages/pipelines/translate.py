"""Seq2seq translation family: Marian / opus-mt (or any ``AutoModelForSeq2SeqLM``), loaded once per worker.

Greedy by default so the same line always gives the same translation (content addressing relies on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stages.pipelines.loading import LoadedModel, load_pretrained, load_tiny, set_threads

if TYPE_CHECKING:
    from stages.model_stage import ModelOptions


class TranslationModel(LoadedModel):
    default_model = "Helsinki-NLP/opus-mt-zh-en"

    def __init__(self, options: ModelOptions) -> None:
        super().__init__(options)
        self.tokenizer: Any = None

    def load(self) -> None:
        if self.pipe is not None:
            return
        set_threads(self.options)
        self.device = self.settings.torch_device()
        if self.settings.tiny:
            self.pipe, self.tokenizer = load_tiny(self.model_id)
        else:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            self.tokenizer = load_pretrained(self.model_id, AutoTokenizer.from_pretrained)
            dtype = self.settings.torch_dtype()
            self.pipe = load_pretrained(self.model_id, AutoModelForSeq2SeqLM.from_pretrained, dtype=dtype)
        self.pipe.to(self.device)
        self.pipe.eval()
        self.loads += 1

    def translate(self, texts: list[str]) -> list[str]:
        """One translation per text, in order."""
        import torch

        self.load()
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, truncation=True)
        batch = {k: v.to(self.pipe.device) for k, v in batch.items() if k in ("input_ids", "attention_mask")}
        kwargs = {
            "max_new_tokens": int(getattr(self.options, "max_new_tokens", 128)),
            "num_beams": int(getattr(self.options, "num_beams", 1)),
            "do_sample": False,
        }
        with torch.inference_mode():
            output = self.pipe.generate(**batch, **kwargs)
        return [t.strip() for t in self.tokenizer.batch_decode(output, skip_special_tokens=True)]
