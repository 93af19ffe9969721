"""Which language codes a job may ask for, and which opus-mt model translates each pair."""

from __future__ import annotations

import re

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z]{2,4})?$")
MAX_LANGUAGES = 8
# Pairs with a published Helsinki-NLP/opus-mt checkpoint (source-target); others need ``models:``.
OPUS_PAIRS = {("zh", "en"), ("en", "zh"), ("en", "es"), ("en", "id"), ("en", "fr"), ("en", "de"), ("en", "vi"),
              ("en", "ja"), ("en", "ru"), ("en", "ar"), ("zh", "vi"), ("es", "en"), ("id", "en")}  # fmt: skip


def opus_model(source: str, target: str) -> str | None:
    """The opus-mt checkpoint for ``source -> target``, or None when none is published."""
    if (source, target) in OPUS_PAIRS:
        return f"Helsinki-NLP/opus-mt-{source}-{target}"
    return None


def release_languages_wanted(spec_languages: list[str], platform: str) -> list[str]:
    """The spec's languages, then the platform preset's defaults (e.g. youtube: en), each once.

    A studio that publishes to an overseas platform gets that platform's language without asking;
    the spec's own list comes first and is never shortened.
    """
    from stages.platforms.presets import PLATFORM_PRESETS

    preset = PLATFORM_PRESETS.get(platform)
    extra = list(preset.languages) if preset is not None else []
    return list(dict.fromkeys([*spec_languages, *extra]))
