"""Names and lines with ASS or shell syntax reach the subtitle file as text, never as codes."""

from __future__ import annotations

import re

import pytest

from stages.models import Line
from stages.subtitles.ass import line_text
from stages.subtitles.escape import ass_join, ass_plaintext

HOSTILE_NAMES = ["林晚{\\pos(0,0)}", "陈砚$(x)", "{\\b1}顾沉", "C:\\New\\h", "a}b{c", "`rm -rf /`"]


def unescaped_override(event_text: str) -> bool:
    """True if libass would see an override block: a ``{`` not preceded by a backslash."""
    return re.search(r"(?<!\\)\{", event_text) is not None


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_speaker_name_with_ass_syntax_shows_as_typed(name):
    line = Line(id="ep01-l001", kind="dialogue", character=name, text="你好{\\i1}")
    text = line_text(line, "zh", with_speaker=True)
    event = ass_join([text])
    assert not unescaped_override(event)
    assert ass_plaintext(event) == f"{name}：你好{{\\i1}}"
