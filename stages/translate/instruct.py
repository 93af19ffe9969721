"""The ``llm`` translate backend: an instruct LLM (Qwen2.5, Llama class) translates each line in its scene.

For GPU profiles. The chat family of the storyboard (``stages.pipelines.llm.ChatModel``: a
transformers causal LM with its chat template, from a Hugging Face id in the cache, a local folder,
or ``tiny:qwen2``; ``HF_HUB_OFFLINE=1`` keeps it off the network) is told the scene's heading, the
previous lines and who speaks, the names it must keep (the series' glossary) and the subtitle
length, and answers with the line's translation only. A reply that drops a glossary name is sent
back once with the names it missed; the record and the meta say which names were still missed.
Greedy by default: the same line in the same scene always gives the same translation.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import Inputs, Resources
from stages.model_stage import ModelOptions, ModelStage
from stages.params import TranslateParams
from stages.pipelines.llm import ChatModel
from stages.storyboard.llm import CAUSAL_LM
from stages.translate.fit import fit_subtitle
from stages.translate.glossary import names_in
from stages.translate.record import given_translation, write_record

LANGUAGE_NAMES = {"zh": "Chinese", "en": "English", "es": "Spanish", "id": "Indonesian", "fr": "French",
                  "de": "German", "vi": "Vietnamese", "ja": "Japanese", "ko": "Korean", "ru": "Russian",
                  "ar": "Arabic", "pt": "Portuguese", "pt-BR": "Brazilian Portuguese", "th": "Thai",
                  "ms": "Malay", "tr": "Turkish", "it": "Italian", "hi": "Hindi"}  # fmt: skip
_LEAD = re.compile(r"^\s*(?:translation|译文|answer)\s*[:：]\s*", re.I)
_QUOTES = "\"'“”‘’「」『』"


class InstructTranslateOptions(ModelOptions):
    """The instruct LLM's settings (the profile's ``stages.translate.options``)."""

    max_chars: int = Field(42, ge=10, le=120, description="Characters per subtitle line.")
    subtitle_lines: int = Field(2, ge=1, le=4, description="Subtitle lines a translation may fill.")
    context_lines: int = Field(4, ge=0, le=8, description="The scene's previous lines shown with each line.")
    max_new_tokens: int = Field(160, ge=8, le=2048)
    temperature: float = Field(0.0, ge=0, le=5, description="0: greedy (the same line gives the same translation).")
    retries: int = Field(1, ge=0, le=4, description="Re-asks when a reply drops a glossary name.")


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, LANGUAGE_NAMES.get(code.split("-")[0], code))


def translation_messages(line: TranslateParams, max_chars: int, rows: int) -> list[dict[str, str]]:
    """The chat: what to do (system), then the scene, the previous lines, the names and the line (user)."""
    source, target = language_name(line.source), language_name(line.target)
    system = (
        f"You translate the dialogue of a short drama from {source} into {target} for subtitles and dubbing. "
        "Translate the last line only, in the voice of its speaker, reading the scene and the earlier lines "
        f"for who is addressed and what is meant. Keep it short: at most {rows} subtitle lines of "
        f"{max_chars} characters. Write names exactly as the glossary spells them. "
        "Reply with the translation alone: no quotes, no notes, no speaker name."
    )
    parts = []
    if line.scene:
        parts.append(f"Scene: {line.scene}")
    if line.glossary:
        parts.append("Glossary: " + "; ".join(f"{k} = {v}" for k, v in line.glossary.items()))
    if line.context:
        parts.append("Earlier lines:\n" + "\n".join(f"- {c}" for c in line.context))
    who = f" ({line.character})" if line.character else ""
    parts.append(f"Line to translate{who}: {line.text}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def clean_reply(reply: str) -> str:
    """The translation in a reply: its first non-empty line, without a 'Translation:' lead or quotes."""
    for row in reply.splitlines():
        row = _LEAD.sub("", row).strip().strip(_QUOTES).strip()
        if row:
            return row
    return ""


class InstructTranslate(ModelStage):
    name: ClassVar[str] = "translate"
    backend: ClassVar[str] = "llm"
    version: ClassVar[str] = "1"
    resources: ClassVar[Resources] = Resources(num_cpus=1, num_gpus=0.5)
    family = CAUSAL_LM
    Options = InstructTranslateOptions
    options: InstructTranslateOptions
    model_class = ChatModel  # tests may swap ``self.model`` for any object with ``chat(messages, seed)``

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        line = TranslateParams.model_validate(params)
        if line.given is not None:  # the studio's own translation: no model
            return given_translation(out, line, self.options.max_chars, self.options.subtitle_lines)
        text, missed, asked = self.translate(line)
        fitted = fit_subtitle(text, self.options.max_chars, self.options.subtitle_lines)
        how = "scene" if line.context or line.scene else "line"
        write_record(out, line, text, fitted.text, how)
        return {
            "file": "translation.json",
            "target": line.target,
            "model": self.model.model_id,
            "overlong": fitted.overlong,
            "context": how,
            "context_lines": len(line.context),
            "asked": asked,
            "glossary_missed": missed,
        }

    def translate(self, line: TranslateParams) -> tuple[str, list[str], int]:
        """(translation, glossary spellings still missing, how many times the model was asked)."""
        messages = translation_messages(line, self.options.max_chars, self.options.subtitle_lines)
        keep = names_in(line.text, line.glossary)
        text, missed = "", keep
        for attempt in range(1 + self.options.retries):
            reply = self.model.chat(messages, seed=attempt)
            text = clean_reply(reply)
            missed = [name for name in keep if name not in text]
            if text and not missed:
                return text, [], attempt + 1
            problem = f"it dropped {', '.join(missed)}" if text else "it was empty"
            messages = [
                *messages,
                {"role": "assistant", "content": reply},
                {"role": "user", "content": f"That reply is not usable: {problem}. Reply with the translation only."},
            ]
        if not text:
            raise ValueError(f"translate {line.id}/{line.target}: the model gave no translation")
        return text, missed, 1 + self.options.retries
