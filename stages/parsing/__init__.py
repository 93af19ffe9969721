"""Script parsing: Chinese micro-drama text and Fountain into one :class:`stages.models.Script`.

``parse_script`` is the one entry point. Every problem a user can fix comes out as
:class:`stages.errors.InputError` naming the file and line; nothing else escapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from stages.errors import InputError
from stages.models import Script
from stages.parsing.detect import detect_format, detect_language
from stages.parsing.fountain import parse_fountain
from stages.parsing.zh import parse_zh

MAX_SCRIPT_CHARS = 1_000_000

ScriptFormat = Literal["auto", "zh", "fountain"]

__all__ = ["MAX_SCRIPT_CHARS", "detect_format", "detect_language", "parse_script"]


def parse_script(text: str, fmt: ScriptFormat = "auto", file: Path | str = "<script>") -> Script:
    """Parse a script in the given format (``auto`` detects it). Raises InputError on bad input."""
    if len(text) > MAX_SCRIPT_CHARS:
        raise InputError(f"script is {len(text)} characters; the limit is {MAX_SCRIPT_CHARS}", file=file)
    text = text.removeprefix("\ufeff")
    if fmt == "auto":
        fmt = detect_format(text)
    if fmt == "zh":
        script = parse_zh(text, file)
    elif fmt == "fountain":
        script = parse_fountain(text, file)
    else:
        raise InputError(f"unknown script format {fmt!r} (auto, zh, fountain)", file=file, field="script_format")
    _check_not_empty(script, file)
    return script


def _check_not_empty(script: Script, file: Path | str) -> None:
    """A script needs at least a scene heading or a spoken line. Implicit scenes have ``line == 0``."""
    scenes = [scene for ep in script.episodes for scene in ep.scenes]
    spoken = any(b.spoken for scene in scenes for b in scene.beats)
    if not spoken and not any(scene.line for scene in scenes):
        raise InputError(
            "the script has no scene and no spoken line (is it the right file and format?)", file=file, line=1
        )
