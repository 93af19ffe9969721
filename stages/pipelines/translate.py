"""Seq2seq translation family: Marian / opus-mt (or any ``AutoModelForSeq2SeqLM``), loaded once per worker.

Greedy by default so the same line always gives the same translation (content addressing relies on it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from stages.pipelines.loading import TransformersModel

if TYPE_CHECKING:
    pass


class TranslationModel(TransformersModel):
    default_model = "Helsinki-NLP/opus-mt-zh-en"
    auto_model = "AutoModelForSeq2SeqLM"

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
