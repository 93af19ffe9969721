"""Reading ``translate`` artifacts back: a line's words replaced by its translation's subtitle rows.

A leaf of ``stages/`` (like ``errors.py``): the release mux and the ``localise`` stage both use it, and
neither package imports the other.

The release's ``localise`` (its SRT) and each release ``mux`` (its burned cues) both read the same
records through here, and both lay the cues out with ``stages.subtitles.cues.shot_cues``: the soft
track, the SRT and the burned text agree by construction, while each shot depends only on the
translations of its own lines.
"""

from __future__ import annotations

import json
from typing import Any

from stages.base import Artifact
from stages.models import Line


def script_family(language: str) -> str:
    """The subtitle style to use: Chinese fonts and punctuation for zh*, Latin for the rest."""
    return "zh" if language.startswith("zh") else "en"


def read_translations(artifacts: Any) -> dict[str, dict[str, Any]]:
    """Line id -> its ``translation.json`` record, from one artifact or a list of them."""
    items = artifacts if isinstance(artifacts, list) else ([artifacts] if artifacts else [])
    records = {}
    for artifact in items:
        if not isinstance(artifact, Artifact):
            raise ValueError(f"expected a translate artifact, got {type(artifact).__name__}")
        record = json.loads(artifact.file().read_text(encoding="utf-8"))
        records[str(record["id"])] = record
    return records


def translated_lines(lines: list[Line], artifacts: Any, what: str) -> list[Line]:
    """``lines`` with each text replaced by its translation's subtitle rows; every line must have one."""
    records = read_translations(artifacts)
    missing = [line.id for line in lines if line.id not in records]
    if missing:
        raise ValueError(f"{what}: no translation of line {', '.join(missing)}")
    extra = sorted(set(records) - {line.id for line in lines})
    if extra:
        raise ValueError(f"{what}: translations of another shot's lines: {', '.join(extra)}")
    return [line.model_copy(update={"text": records[line.id]["subtitle"]}) for line in lines]


# ISO 639-2 codes for the MP4 subtitle track's language tag (players show and pick tracks by it).
ISO639_2 = {"zh": "chi", "en": "eng", "es": "spa", "id": "ind", "fr": "fre", "de": "ger", "vi": "vie",
            "ja": "jpn", "ko": "kor", "ru": "rus", "ar": "ara", "pt": "por", "th": "tha", "ms": "may",
            "tr": "tur", "it": "ita", "hi": "hin"}  # fmt: skip


def track_language(code: str) -> str:
    """``pt-BR`` -> ``por``; a code with no entry is ``und`` (undetermined), as MP4 expects."""
    return ISO639_2.get(code, ISO639_2.get(code.split("-")[0], "und"))
