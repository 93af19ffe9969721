"""Format and language detection."""

from __future__ import annotations

import pytest

from stages.parsing import detect_format, detect_language, parse_script
from tests.conftest import EXAMPLES


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("第1集\n1-1 日 内 办公室\n△她走进来。\n林晚：你好。\n", "zh"),
        ("林晚：你好。\n顾沉：好久不见。\n", "zh"),
        ("INT. HOUSE - DAY\n\nBOB\nHello.\n", "fountain"),
        ("Title: X\nAuthor: Y\n\nEXT. FIELD - NIGHT\n\nRain.\n", "fountain"),
        ("BOB\nHello there.\n\nALICE\nHi.\n", "fountain"),
        # Fountain written in Chinese: the screenplay marks win over the script's language.
        ("INT. 咖啡馆 - NIGHT\n\nLIN\n你好。\n\nGU\n好久不见。\n\nEXT. 街 - DAY\n\n雨。\n", "fountain"),
    ],
)
def test_detect_format(text, fmt):
    assert detect_format(text) == fmt


def test_detect_language():
    assert detect_language("林晚：你好，今天天气不错。") == "zh"
    assert detect_language("BOB\nHello there, how are you today?") == "en"
    assert detect_language("") == "en"


def test_examples_are_detected():
    assert parse_script((EXAMPLES / "datong-wall" / "script.txt").read_text(), "auto").format == "zh"
    assert parse_script((EXAMPLES / "fountain-short" / "script.fountain").read_text(), "auto").format == "fountain"
