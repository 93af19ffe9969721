"""Characters: speakers and cast reconciled with the spec; defaults derived from the name."""

from __future__ import annotations

from stages.models import CharacterSpec
from stages.parsing import parse_script
from stages.storyboard.characters import default_voice, derive_seed, guess_gender, reconcile

ZH = "1-1 日 内 家\n人物：林晚、老周、小狗\n林晚：你好。\n顾沉：好。\n旁白：那天。\n"


def test_spec_characters_win_and_undescribed_speakers_get_defaults_with_a_warning():
    script = parse_script(ZH, "zh", "t.txt")
    specs = {"林晚": CharacterSpec(appearance="红衣", voice="cmn-latn-pinyin+f5", seed=9), "不存在": CharacterSpec()}
    characters, warnings = reconcile(script, specs, "zh", job_seed=1)
    by_name = {c.name: c for c in characters}
    assert list(by_name) == ["林晚", "老周", "小狗", "顾沉"]
    lin = by_name["林晚"]
    assert (lin.appearance, lin.voice, lin.seed, lin.described) == ("红衣", "cmn-latn-pinyin+f5", 9, True)
    gu = by_name["顾沉"]
    assert not gu.described and gu.voice.startswith("cmn-latn-pinyin+") and gu.appearance.startswith("顾沉")
    assert gu.seed == derive_seed("顾沉", 1) != derive_seed("顾沉", 2)
    texts = [m for _, m in warnings]
    assert any(m.startswith("顾沉 is in the script") for m in texts)
    assert ("不存在", "never appears in the script; ignored") in warnings
    assert "旁白" not in by_name  # narration carries no character unless the spec describes a narrator


def test_defaults_are_deterministic_and_follow_gender():
    assert default_voice("林晚", "zh", "female") == default_voice("林晚", "zh", "female")
    assert "+f" in default_voice("林晚", "zh", "female")[0] and "+m" in default_voice("老周", "zh", "male")[0]
    assert default_voice("BOB", "en", "male")[0].split("+")[0] in ("en-us", "en-gb")
    assert guess_gender("林晚", "zh") == "female" and guess_gender("周师傅", "zh") == "male"
    female_pitch = default_voice("x", "zh", "female")[1]
    male_pitch = default_voice("x", "zh", "male")[1]
    assert 0 <= male_pitch < female_pitch <= 99


def test_narrator_in_spec_and_case_insensitive_names():
    script = parse_script("INT. ROOM - DAY\n\nMAYA\nHi.\n\nNARRATOR (V.O.)\nOnce.\n", "fountain", "t.fountain")
    specs = {"Maya": CharacterSpec(appearance="courier"), "旁白": CharacterSpec(voice="en-gb+m1")}
    characters, warnings = reconcile(script, specs, "en")
    names = [c.name for c in characters]
    assert names[0] == "MAYA" and characters[0].appearance == "courier"  # the script's spelling is kept
    assert ("旁白", "has no narration lines; ignored") in warnings  # NARRATOR (V.O.) is a voice-over, not narration
