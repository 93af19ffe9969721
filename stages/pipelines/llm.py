"""Causal-LM family: a transformers chat model (Qwen2.5, Llama class) answering with its chat template.

Loaded once per worker. ``chat`` is greedy by default so the same scene gives the same storyboard;
``temperature`` in the options turns sampling on (seeded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stages.pipelines.loading import TransformersModel

if TYPE_CHECKING:
    from stages.storyboard.llm import LLMStoryboardOptions


class ChatModel(TransformersModel):
    default_model = "Qwen/Qwen2.5-7B-Instruct"
    auto_model = "AutoModelForCausalLM"
    options: LLMStoryboardOptions

    def _model_kwargs(self) -> dict[str, Any]:
        kwargs = super()._model_kwargs()
        if self.settings.cpu_offload and self.device.startswith("cuda"):
            kwargs["device_map"] = "auto"  # accelerate spills layers to CPU when the GPU is full
        return kwargs

    def _check_loaded(self) -> None:
        if self.tokenizer.chat_template is None:
            raise ValueError(f"model {self.model_id!r} has no chat template; use an instruct/chat model")

    def chat(self, messages: list[dict[str, str]], seed: int = 0) -> str:
        """The assistant's reply to ``messages`` (role/content dicts), decoded without special tokens."""
        import torch

        self.load()
        encoded = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        encoded = {k: v.to(self.pipe.device) for k, v in encoded.items()}
        temperature = self.options.temperature
        kwargs: dict[str, Any] = {
            "max_new_tokens": self.options.max_new_tokens,
            "do_sample": temperature > 0,
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        }
        if self.tokenizer.unk_token_id is not None:  # "<unk>" is never text of a reply (a random model says it)
            kwargs["suppress_tokens"] = [self.tokenizer.unk_token_id]
        if temperature > 0:
            kwargs["temperature"] = temperature
            torch.manual_seed(seed)
        with torch.inference_mode():
            output = self.pipe.generate(**encoded, **kwargs)
        prompt_length = encoded["input_ids"].shape[1]
        return self.tokenizer.decode(output[0][prompt_length:], skip_special_tokens=True)
