"""``translation.json``, the one record every translate backend writes (and a studio's given line)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from stages.params import TranslateParams
from stages.translate.fit import fit_subtitle


def write_record(out: Path, line: TranslateParams, text: str, subtitle: str, context: str) -> None:
    """``translation.json``: the translation, its subtitle rows, the source, and how context was used."""
    record = {
        "id": line.id,
        "target": line.target,
        "text": text,
        "subtitle": subtitle,
        "source": line.text,
        "context": context,
    }
    temp = out / ".translation.json.part"
    temp.write_text(json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8")
    temp.replace(out / "translation.json")


def given_translation(out: Path, line: TranslateParams, max_chars: int = 42, rows: int = 2) -> dict[str, Any]:
    """The studio's own translation of ``line`` (``line.given``), fitted to the subtitle rows: no model."""
    assert line.given is not None
    fitted = fit_subtitle(line.given, max_chars, rows)
    write_record(out, line, line.given, fitted.text, "given")
    return {"file": "translation.json", "target": line.target, "model": None, "overlong": fitted.overlong,
            "context": "given"}  # fmt: skip
