"""Line breaking: the breaks the issue found inside words, sentence ends first, balanced rows."""

import pytest

from stages.media.text import display_width
from stages.subtitles.breaking import break_cues, phrases

# Each pair must never be split by a row break or a cue split (issue 12's list).
WORDS = ["见过", "太多", "这些", "山崖", "等着", "意思", "一封信"]
TEXTS = [
    "我见过太多归人。这些山崖等着你，你懂我的意思吗？他给我留了一封信。",
    "见过太多归人的城墙，这些年一直在等着有人回来，你知道这些山崖是什么意思吗？",
    "他没说话，只把一封信放在桌上，信里写满了这些年他见过的人和事。",
]


def _breaks(cues: list[list[str]]) -> list[str]:
    """The text around each break: the last two characters before and the first two after."""
    rows = [row for cue in cues for row in cue]
    return [rows[i][-2:] + "|" + rows[i + 1][:2] for i in range(len(rows) - 1)]


@pytest.mark.parametrize("columns", [12, 16, 20, 26, 34])
@pytest.mark.parametrize("text", TEXTS)
def test_no_break_inside_a_word(text, columns):
    cues = break_cues(text, "zh", columns)
    assert "".join(r for cue in cues for r in cue) == text  # nothing lost or added
    joined = "|".join(r for cue in cues for r in cue)
    for word in WORDS:
        if word in text:
            assert word in joined, f"{word} split: {_breaks(cues)}"


@pytest.mark.parametrize("columns", [10, 14, 20, 30])
@pytest.mark.parametrize("text", TEXTS)
def test_rows_fit_and_never_hold_a_lone_character(text, columns):
    for cue in break_cues(text, "zh", columns):
        assert 1 <= len(cue) <= 2
        for row in cue:
            assert display_width(row) <= columns
            assert sum(ch.isalnum() for ch in row) >= 2, cue
            assert row[0] not in "，。！？、；：", cue


def test_cues_end_at_sentence_ends_when_they_can():
    cues = break_cues("我见过太多归人。这些山崖等着你，你懂我的意思吗？他给我留了一封信。", "zh", 18)
    assert all(cue[-1][-1] in "。？，" for cue in cues)


def test_two_rows_are_balanced():
    cue = break_cues("城墙上的风吹了六百年，吹老了多少守城的人", "zh", 24)[0]
    assert len(cue) == 2
    assert abs(display_width(cue[0]) - display_width(cue[1])) <= 8


def test_english_prefers_a_sentence_end_to_any_space():
    cues = break_cues("She sits. The doors hiss shut, and the tram pulls away into the rain.", "en", 30)
    assert cues[0] == ["She sits."]
    assert all(display_width(r) <= 30 for cue in cues for r in cue)


def test_punctuation_stays_with_the_phrase_before_it():
    assert all(p[0] not in "，。？" for p in phrases("你以为我还会回来吗？不会了。", "zh"))
