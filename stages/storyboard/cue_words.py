"""The cue words the rules look for, in Chinese and English, matched as substrings.

Kept together, apart from the rules that read them, so the whole vocabulary reads (and changes) in
one place: :mod:`stages.storyboard.grouping` looks for the emotion words in a parenthetical,
:mod:`stages.storyboard.framing` for the motion and detail words in an action.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


# Cue words, matched as substrings (so "angr" catches angry and angrily).
EMOTIONS_ZH = _words("冷笑|哭|泣|哽咽|怒|喊|吼|尖叫|颤抖|激动|愣|咬牙|崩溃|惊|含泪|绝望|狞笑|嘶|失声|震|愤|急")
EMOTIONS_EN = _words(
    "angr|cry|sob|tear|shout|scream|yell|furious|shock|trembl|whisper|desperate|rage|gasp|stunned|breaking|shak"
)
MOTION_ZH = _words("走|跑|奔|追|冲|登上|爬|跳|闯|穿过|离开|来到|赶|逃|骑|开车|踱|迈|跟着|飞过|掠过")
MOTION_EN = _words(
    "walk|run|chase|rush|climb|jump|enter|exit|steps|step |leave|cross|drive|hurr|glide|follow|race|storm|wander"
)
DETAIL_ZH = _words("手|眼|泪|指尖|字|特写|握|抚摸|盯着|照片|信|凿子|戒指|伤口")
DETAIL_EN = _words("hand|eyes|tear|finger|close on|photo|letter|ring|phone|clock|ticket")
