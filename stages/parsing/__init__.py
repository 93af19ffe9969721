"""Script parsing: Chinese micro-drama text and Fountain into one :class:`stages.models.Script`.

``parse_script`` is the one entry point. Every problem a user can fix comes out as
:class:`stages.errors.InputError` naming the file and line; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from stages.errors import InputError
from stages.models import Script
from stages.parsing.detect import detect_format, detect_language
from stages.parsing.fountain import parse_fountain
from stages.parsing.reading import Parsed, Reading, readings_from_beats
from stages.parsing.unicode import clean_text
from stages.parsing.zh import read_zh

MAX_SCRIPT_CHARS = 1_000_000

ScriptFormat = Literal["auto", "zh", "fountain"]

__all__ = ["MAX_SCRIPT_CHARS", "Parsed", "Reading", "detect_format", "detect_language", "parse_script", "read_script"]


def parse_script(text: str, fmt: ScriptFormat = "auto", file: Path | str = "<script>") -> Script:
    """Parse a script in the given format (``auto`` detects it). Raises InputError on bad input."""
    return read_script(text, fmt, file).script


def read_script(
    text: str, fmt: ScriptFormat = "auto", file: Path | str = "<script>", known: Iterable[str] = ()
) -> Parsed:
    """Parse, keeping how each line was read and the warnings. ``known``: names the spec describes,
    so that cues are resolved against them as well as against the script's own cast."""
    if len(text) > MAX_SCRIPT_CHARS:
        raise InputError(f"script is {len(text)} characters; the limit is {MAX_SCRIPT_CHARS}", file=file)
    text = clean_text(text)
    if fmt == "auto":
        fmt = detect_format(text)
    if fmt == "zh":
        parsed = read_zh(text, file, known)
    elif fmt == "fountain":
        script = parse_fountain(text, file)
        parsed = Parsed(script, file, readings_from_beats(script))
    else:
        raise InputError(f"unknown script format {fmt!r} (auto, zh, fountain)", file=file, field="script_format")
    _check_not_empty(parsed.script, file)
    return parsed


def _check_not_empty(script: Script, file: Path | str) -> None:
    """A script needs at least a scene heading or a spoken line. Implicit scenes have ``line == 0``."""
    scenes = [scene for ep in script.episodes for scene in ep.scenes]
    spoken = any(b.spoken for scene in scenes for b in scene.beats)
    if not spoken and not any(scene.line for scene in scenes):
        raise InputError(
            "the script has no scene and no spoken line (is it the right file and format?)", file=file, line=1
        )
