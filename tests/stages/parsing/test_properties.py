"""Property tests: whatever text arrives, the parsers return a Script or raise InputError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stages.errors import InputError
from stages.parsing import parse_script

# Fragments of both formats, so random text often looks almost like a script.
FRAGMENTS = [
    "第1集",
    "第十集",
    "第",
    "集",
    "1-1",
    "日",
    "夜",
    "内",
    "外",
    "场景",
    "人物：",
    "△",
    "▲",
    "：",
    ":",
    "（",
    "）",
    "(",
    ")",
    "【闪回】",
    "【闪回结束】",
    "【",
    "】",
    "旁白：",
    "OS",
    "林晚",
    "切至",
    "\n",
    "\n\n",
    " ",
    "\u3000",
    "INT. ",
    "EXT. ",
    " - NIGHT",
    "BOB",
    "(V.O.)",
    "^",
    "@",
    "!",
    ">",
    "<",
    "~",
    "[[",
    "]]",
    "/*",
    "*/",
    "#",
    "# Episode 2",
    "=",
    "===",
    "Title:",
    "*",
    "_",
    "\r",
    "\t",
    "。",
    "！",
    "…",
    "0",
    "９",
    "零",
]
script_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=60).map("".join)


def _parse_all_formats(text: str) -> None:
    for fmt in ("auto", "zh", "fountain"):
        try:
            script = parse_script(text, fmt, "p.txt")
        except InputError as exc:
            assert exc.problems and all(p.file == "p.txt" for p in exc.problems)
            continue
        for episode in script.episodes:
            assert episode.number >= 1 and episode.scenes
            for scene in episode.scenes:
                for beat in scene.beats:
                    assert beat.text and beat.line >= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script_like)
def test_script_like_text_never_escapes_as_anything_but_input_error(text):
    _parse_all_formats(text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_escapes_as_anything_but_input_error(text):
    _parse_all_formats(text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x4E80), min_size=1, max_size=12),
        min_size=1,
        max_size=8,
    )
)
def test_spoken_text_is_kept_verbatim(words):
    lines = [f"林晚：{w}" for w in words]
    script = parse_script("\n".join(lines), "zh", "p.txt")
    spoken = [b.text for ep in script.episodes for s in ep.scenes for b in s.beats if b.spoken]
    assert spoken == words
