from hypothesis import given
from hypothesis import strategies as st

from stages.media.palette import character_badge, character_colour
from stages.media.text import NO_LINE_START, display_width, wrap_text


def test_display_width_counts_cjk_as_two_columns():
    assert display_width("林晚") == 4
    assert display_width("ab") == 2
    assert display_width("林a，") == 5


def test_cjk_wraps_by_width_and_prefers_punctuation():
    rows = wrap_text("林晚推开总裁办公室的门，冷冷地看着他，一句话也没有说。", 20)
    assert all(display_width(r) <= 20 for r in rows)
    assert "".join(rows) == "林晚推开总裁办公室的门，冷冷地看着他，一句话也没有说。"
    assert rows[1].endswith("，")  # broke after the comma in the row's tail


def test_closing_punctuation_never_starts_a_row():
    rows = wrap_text("一二三四五六七八九，。", 20)
    assert all(r[0] not in NO_LINE_START for r in rows)


def test_english_wraps_between_words():
    rows = wrap_text("Mary walks into the office and says nothing", 12)
    assert rows == ["Mary walks", "into the", "office and", "says nothing"]


@given(st.text(alphabet="林晚总裁，。！abc d-{}\\", min_size=0, max_size=80), st.integers(4, 30))
def test_wrapping_keeps_every_visible_character(text, width):
    rows = wrap_text(text, width)
    assert all(display_width(r) <= width for r in rows)
    assert "".join(rows).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_character_colour_and_badge_are_stable_and_distinct():
    assert character_colour("林晚", 7) == character_colour("林晚", 7)
    assert character_colour("林晚", 7) != character_colour("顾沉", 3)
    assert character_badge("林晚") == "林"
    assert character_badge("Mary Jane") == "MJ"
