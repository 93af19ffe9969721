"""The Chinese micro-drama parser on every convention of DESIGN.md and their common variations."""

from __future__ import annotations

import pytest

from stages.errors import InputError
from stages.models import Beat, Script
from stages.parsing import MAX_SCRIPT_CHARS, parse_script
from stages.parsing.zh import cn_number, match_dialogue, match_heading


def parse(text: str) -> Script:
    return parse_script(text, "zh", "t.txt")


def beats(script: Script) -> list[Beat]:
    return [b for ep in script.episodes for s in ep.scenes for b in s.beats]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1", 1),
        ("12", 12),
        ("１２", 12),
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百零三", 103),
        ("两", 2),
    ],
)
def test_chinese_and_arabic_numbers(text, number):
    assert cn_number(text) == number


@pytest.mark.parametrize(
    ("heading", "number", "title"),
    [
        ("第1集", 1, ""),
        ("第一集", 1, ""),
        ("第十二集 重逢", 12, "重逢"),
        ("第 3 集：《雨夜》", 3, "雨夜"),
        ("第１０集", 10, ""),
        ("第十集", 10, ""),
    ],
)
def test_episode_headings(heading, number, title):
    script = parse(f"{heading}\n林晚：你好。\n")
    assert [(ep.number, ep.title, ep.line) for ep in script.episodes] == [(number, title, 1)]


@pytest.mark.parametrize(
    ("line", "location", "time", "interior"),
    [
        ("1-2 日 内 总裁办公室", "总裁办公室", "day", True),
        ("1-2 总裁办公室 日 内", "总裁办公室", "day", True),
        ("3－1　夜　外　城墙", "城墙", "night", False),
        ("场景2：城墙 夜 外", "城墙", "night", False),
        ("场景2:城墙 夜 外", "城墙", "night", False),
        ("2、城墙 夜 外", "城墙", "night", False),
        ("第3场 外 黄昏 云冈石窟", "云冈石窟", "dusk", False),
        ("4-1 医院走廊 日内", "医院走廊", "day", True),
        ("5-2 傍晚/外 老街", "老街", "dusk", False),
        ("1-3 晨 内外 车里", "车里", "dawn", None),
        ("场景7：天台", "天台", "unknown", None),
    ],
)
def test_scene_headings_in_any_order(line, location, time, interior):
    heading = match_heading(line)
    assert heading is not None
    assert (heading.location, heading.time, heading.interior) == (location, time, interior)


@pytest.mark.parametrize("line", ["1. 我们走吧", "2、他看着她", "林晚：1-2 日 内", "今天是个好日子"])
def test_lines_that_are_not_headings(line):
    assert match_heading(line) is None


@pytest.mark.parametrize(
    ("line", "kind", "character", "parenthetical", "text"),
    [
        ("林晚：你来了。", "dialogue", "林晚", None, "你来了。"),
        ("林晚:你来了。", "dialogue", "林晚", None, "你来了。"),
        ("林晚（冷笑）：你来了？", "dialogue", "林晚", "冷笑", "你来了？"),
        ("林晚(冷笑):你来了？", "dialogue", "林晚", "冷笑", "你来了？"),
        ("林晚：（冷笑）你来了？", "dialogue", "林晚", "冷笑", "你来了？"),
        ("林晚：(冷笑) 你来了？", "dialogue", "林晚", "冷笑", "你来了？"),
        ("林晚（OS）：他不会回来了。", "voiceover", "林晚", None, "他不会回来了。"),
        ("林晚（VO）：他不会回来了。", "voiceover", "林晚", None, "他不会回来了。"),
        ("林晚(V.O.)：他不会回来了。", "voiceover", "林晚", None, "他不会回来了。"),
        ("林晚（冷笑，OS）：他不会回来了。", "voiceover", "林晚", "冷笑", "他不会回来了。"),
        ("林晚OS：他不会回来了。", "voiceover", "林晚", None, "他不会回来了。"),
        ("林晚（内心）：别哭。", "voiceover", "林晚", None, "别哭。"),
        ("旁白：三年后。", "narration", None, None, "三年后。"),
        ("旁白（低沉）：三年后。", "narration", None, "低沉", "三年后。"),
        ("保安甲：站住！", "dialogue", "保安甲", None, "站住！"),
        ("林晚：他说：“走吧……”", "dialogue", "林晚", None, "他说：“走吧……”"),
    ],
)
def test_dialogue_shapes(line, kind, character, parenthetical, text):
    (beat,) = beats(parse(line))
    assert (beat.kind, beat.character, beat.parenthetical, beat.text) == (
        kind,
        character,
        parenthetical,
        text,
    )


@pytest.mark.parametrize("line", ["时间：三年后", "字幕：三年后", "人物：林晚", "备注：此处加音效"])
def test_labels_are_not_speakers(line):
    assert match_dialogue(line) is None


def test_a_full_episode_with_every_mark():
    text = """剧名：《雨夜》

第1集 重逢
1-1 夜 内 咖啡馆
人物：林晚、顾沉（总裁）
△雨点敲打着玻璃。
▲顾沉推门而入。
顾沉：好久不见。
林晚（冷笑）：是吗？
（林晚转身离开）
切至：
【闪回】
1-2 日 外 校园（五年前）
林晚：我等你。
【闪回结束】
1-3 夜 外 街头
旁白：那一夜，雨没有停。
黑屏
"""
    script = parse(text)
    assert script.title == "雨夜"
    (episode,) = script.episodes
    assert (episode.number, episode.title) == (1, "重逢")
    cafe, school, street = episode.scenes
    assert cafe.cast == ["林晚", "顾沉"]
    assert [(b.kind, b.line) for b in cafe.beats] == [
        ("action", 6),
        ("action", 7),
        ("dialogue", 8),
        ("dialogue", 9),
        ("action", 10),
        ("transition", 11),
    ]
    assert school.flashback and all(b.flashback for b in school.beats)
    assert not street.flashback and not any(b.flashback for b in street.beats)
    assert street.beats[-1].kind == "transition"
    assert script.cast == ["林晚", "顾沉"]
    assert script.speakers() == ["顾沉", "林晚"]


def test_flashback_inside_a_scene_ends_at_its_mark():
    script = parse("1-1 日 内 家\n林晚：现在。\n【闪回】\n林晚：过去。\n【闪回结束】\n林晚：又是现在。\n")
    assert [b.flashback for b in beats(script)] == [False, True, False]
    assert not script.episodes[0].scenes[0].flashback


def test_flashback_mark_after_heading_and_in_heading():
    text = "\n".join(
        [
            "1-1 日 内 家",
            "【回忆】",
            "林晚：过去。",
            "1-2 夜 外 街（闪回）",
            "林晚：也是过去。",
            "1-3 夜 外 街",
            "林晚：现在。",
        ]
    )
    script = parse(text)
    assert [s.flashback for s in script.episodes[0].scenes] == [True, True, False]


def test_no_episode_heading_is_one_episode_and_text_before_a_scene_gets_an_implicit_scene():
    script = parse("一个普通的早晨。\n林晚：早。\n\n1-1 日 内 厨房\n△她煮咖啡。\n")
    (episode,) = script.episodes
    assert episode.number == 1
    implicit, kitchen = episode.scenes
    assert implicit.line == 0 and implicit.heading == "开场"
    assert [b.text for b in implicit.beats] == ["一个普通的早晨。", "早。"]
    assert kitchen.line == 4


def test_text_before_the_first_episode_heading_is_left_out():
    script = parse("人物小传\n林晚：二十五岁，律师。\n\n第1集\n1-1 日 内 家\n林晚：开始。\n")
    assert [b.text for b in beats(script)] == ["开始。"]


def test_dialogue_words_on_the_next_line_and_silent_reactions():
    script = parse("1-1 日 内 家\n林晚：\n你来了。\n顾沉：（沉默）\n△他坐下。\n")
    first, second, third = beats(script)
    assert (first.kind, first.character, first.text, first.line) == ("dialogue", "林晚", "你来了。", 2)
    assert (second.kind, second.text) == ("action", "顾沉（沉默）")
    assert third.text == "他坐下。"


def test_unknown_lines_become_action_and_spoken_text_is_verbatim():
    odd = "★★ 这里是 ~~ 作者的一些 笔记 ###"
    script = parse(f"1-1 日 内 家\n{odd}\n林晚：  “Hello, 世界！”——  \n")
    action, line = beats(script)
    assert (action.kind, action.text) == ("action", "这里是 ~~ 作者的一些 笔记 ###")
    assert line.text == "“Hello, 世界！”——"


def test_bracket_marks_become_action_or_transition():
    script = parse("1-1 日 内 家\n【字幕：三年后】\n【转场】\n林晚：嗯。\n")
    assert [(b.kind, b.text) for b in beats(script)] == [
        ("caption", "三年后"),  # on-screen text
        ("transition", "转场"),
        ("dialogue", "嗯。"),
    ]


def test_two_episodes_and_line_numbers():
    script = parse("第一集\n林晚：一。\n\n\n第二集 续\n1-1 日 外 城墙\n林晚：二。\n")
    assert [(ep.number, ep.line) for ep in script.episodes] == [(1, 1), (2, 5)]
    assert [b.line for b in beats(script)] == [2, 7]


def test_duplicate_episode_is_an_error_naming_the_line():
    with pytest.raises(InputError) as err:
        parse("第1集\n林晚：一。\n第1集\n林晚：二。\n")
    assert str(err.value).startswith("t.txt:3: ")


def test_empty_episode_is_an_error():
    with pytest.raises(InputError, match="episode 2 has no scenes"):
        parse("第1集\n林晚：一。\n第2集\n")


@pytest.mark.parametrize("text", ["", "\n\n  \n", "第1集\n", "人物：林晚\n"])
def test_no_scene_and_no_line_is_an_error_naming_the_file(text):
    with pytest.raises(InputError) as err:
        parse(text)
    assert "t.txt" in str(err.value)


def test_size_limit():
    with pytest.raises(InputError, match="limit"):
        parse("林" * (MAX_SCRIPT_CHARS + 1))


def test_unseen_style_variant_mixed_widths_and_late_parentheticals():
    # Written in a studio style the parser was not written against.
    text = """《归途》
第十集　回家的路
场次1　外/夜　高速服务区
出场人物：阿城，小雨
▲ 服务区灯光昏黄。
阿城 : (压低声音) 你先上车。
小雨（哭腔）: 我不走！
阿城：　　听话。
  【闪回开始】
场次2　日/内　老屋
小雨(童年)：哥，你去哪？
【闪回完】
场次3　外/夜　高速公路
旁白 : 那一年，他们都没有回头。
渐黑。
"""
    script = parse(text)
    (episode,) = script.episodes
    assert (script.title, episode.number, episode.title) == ("归途", 10, "回家的路")
    area, house, road = episode.scenes
    assert (area.location, area.time, area.interior, area.cast) == (
        "高速服务区",
        "night",
        False,
        ["阿城", "小雨"],
    )
    spoken = [(b.character, b.parenthetical, b.text) for b in area.beats if b.spoken]
    assert spoken == [
        ("阿城", "压低声音", "你先上车。"),
        ("小雨", "哭腔", "我不走！"),
        ("阿城", None, "听话。"),
    ]
    assert house.flashback and (house.time, house.interior) == ("day", True)
    assert house.beats[0].character == "小雨" and house.beats[0].parenthetical == "童年"
    assert not road.flashback
    assert [b.kind for b in road.beats] == ["narration", "transition"]


def test_unseen_style_variant_no_headings_at_all():
    text = "林晚走进办公室。\n\n顾沉：坐。\n林晚：不必了。\n旁白：她没有坐下。\n"
    script = parse_script(text, "auto", "t.txt")
    assert script.format == "zh"
    assert [b.kind for b in beats(script)] == ["action", "dialogue", "dialogue", "narration"]
