"""Which voices this machine's espeak-ng has, so a misspelt voice is caught by ``kaipai validate``.

espeak-ng refuses an unknown language voice only when it runs, and silently ignores an unknown
variant (``+zz``); both are checked here against ``espeak-ng --voices`` and ``--voices=variant``.
"""

from __future__ import annotations

import functools
import re

from stages.media.ffmpeg_run import run_tool

OTHER_LANGUAGE = re.compile(r"\(([^\s()]+)\s+\d+\)")


def _names(listing: str) -> frozenset[str]:
    """Language codes, file names and alternative language codes of ``espeak-ng --voices`` output."""
    names: set[str] = set()
    for row in listing.splitlines()[1:]:
        fields = row.split()
        if len(fields) < 5:
            continue
        language, file = fields[1], fields[4]
        names.update({language.lower(), file.lower(), file.rsplit("/", 1)[-1].lower()})
        names.update(m.lower() for m in OTHER_LANGUAGE.findall(row))
    return frozenset(names)


@functools.lru_cache(maxsize=1)
def installed_voices() -> tuple[frozenset[str], frozenset[str]]:
    """(language voices, variants) known to the installed espeak-ng, lower-cased."""
    languages = run_tool(["espeak-ng", "--voices"], "espeak-ng voice list", timeout=30).stdout.decode()
    variants = run_tool(["espeak-ng", "--voices=variant"], "espeak-ng variant list", timeout=30).stdout.decode()
    return _names(languages), frozenset(n.removeprefix("!v/") for n in _names(variants))


def unknown_voice_part(voice: str) -> str | None:
    """The part of ``language+variant`` espeak-ng does not have, or None when it has both."""
    languages, variants = installed_voices()
    language, _, variant = voice.partition("+")
    if language.lower() not in languages:
        return f"espeak-ng has no voice {language!r} (see `espeak-ng --voices`)"
    if variant and variant.lower() not in variants:
        return f"espeak-ng has no variant {variant!r} (see `espeak-ng --voices=variant`)"
    return None
