"""Cue resolution against the known cast: each rule of stages.parsing.cues, and names that keep their lines."""

from __future__ import annotations

import pytest

from stages.parsing import parse_script
from stages.parsing.cues import resolve_cue, resolve_name

CAST = ("沈乐", "林芳", "沈明远", "赵亮", "男同学")


@pytest.mark.parametrize(
    ("cue", "kind", "character", "parenthetical"),
    [
        ("沈乐", "dialogue", "沈乐", None),
        ("沈乐（冷笑）", "dialogue", "沈乐", "冷笑"),
        ("沈乐(OS)", "voiceover", "沈乐", None),
        ("沈乐惊喜OS", "voiceover", "沈乐", "惊喜"),
        ("沈乐内心OS", "voiceover", "沈乐", None),
        ("沈乐V.O.", "voiceover", "沈乐", None),
        ("林芳温柔摸沈乐头打断", "dialogue", "林芳", "温柔摸沈乐头打断"),
        ("沈明远瞪了一眼赵亮方向", "dialogue", "沈明远", "瞪了一眼赵亮方向"),
        ("男同学2", "dialogue", "男同学2", None),
        ("男同学甲（起哄）", "dialogue", "男同学甲", "起哄"),
        ("字幕", "caption", None, None),
        ("屏幕字幕", "caption", None, None),
        ("插入画面", "action", None, None),
        ("手机画面", "action", None, None),
        ("镜头语言", "action", None, None),
        ("特效", "action", None, None),
        ("音效", "action", None, None),
        ("空镜", "action", None, None),
        ("黑场", "transition", None, None),
        ("本集死亡", "note", None, None),
        ("旁白", "narration", None, None),
        ("旁白（低沉）", "narration", None, "低沉"),
        ("系统音", "narration", "系统", None),
        ("画外音", "narration", "画外音", None),
        ("路人甲", "dialogue", "路人甲", None),
    ],
)
def test_cues(cue, kind, character, parenthetical):
    read = resolve_cue(cue, CAST)
    assert read is not None
    assert (read.kind, read.character, read.parenthetical) == (kind, character, parenthetical)
    assert not read.ambiguous


def test_a_long_unknown_cue_is_a_speaker_flagged_ambiguous_and_a_sentence_is_no_cue():
    assert resolve_cue("他回头看着门口的方向", CAST).ambiguous
    assert resolve_cue("他说，走吧", CAST) is None


def test_a_known_name_wins_over_labels_and_marks():
    assert resolve_cue("字幕", ("字幕",)).character == "字幕"
    assert resolve_cue("林晚OS", ("林晚OS",)).kind == "dialogue"


@pytest.mark.parametrize("name", ["林晚{\\pos(0,0)}", "陈砚$(x)", "A&B<i>", "王{\\b1}", "Mia_01"])
def test_any_name_keeps_its_lines_with_or_without_a_cast_list(name):
    """Issue 9 case 6: a name with ASS overrides or shell-like text never turns its lines into action."""
    for text in (f"1-1 日 内 家\n{name}：你好。\n", f"1-1 日 内 家\n人物：{name}\n{name}：你好。\n"):
        beats = [b for ep in parse_script(text, "zh").episodes for s in ep.scenes for b in s.beats]
        assert [(b.kind, b.text) for b in beats] == [("dialogue", "你好。")]
        assert beats[0].character and beats[0].character.startswith(name[:2])


def test_resolve_name_maps_a_model_s_spelling_to_the_cast():
    assert resolve_name("沈乐（冷笑）", CAST) == "沈乐"
    assert resolve_name("沈乐OS", CAST) == "沈乐"
    assert resolve_name("maya", ("MAYA",)) == "MAYA"
    assert resolve_name("陌生人", CAST) is None
