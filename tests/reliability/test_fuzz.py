"""Property-based fuzz of job specs and scripts: only typed errors (InputError), and bounded memory.

Two kinds of input: YAML text stitched from fragments that look like specs (anchors, aliases, flow
and block nesting, odd scalars), and well-formed specs whose values are drawn from hostile ranges
(huge and tiny numbers, control characters, names with ASS and shell syntax). Each is loaded,
parsed and storyboarded exactly as ``kaipai validate`` does.
"""

from __future__ import annotations

import tracemalloc

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import frontend
from stages.errors import InputError

MAX_PEAK_BYTES = 64 * 2**20  # per example; the specs here are at most a few KB

YAML_FRAGMENTS = [
    "studio: s\n",
    "title: t\n",
    "script: script.txt\n",
    "script: |\n  第1集\n  林晚：你好\n",
    "&a ",
    "*a ",
    "<<: ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "\n",
    "  ",
    "? ",
    "!!str ",
    "!!python/object:os.system ",
    "reading_speed: ",
    "1e-5",
    ".inf",
    ".nan",
    "-0",
    "0x1F",
    "true",
    "null",
    "~",
    "5.0",
    "99999999999999999999",
    "fps: ",
    "priority: ",
    "characters:\n",
    "  林晚: ",
    "{seed: ",
    "voice: ",
    "episodes: ",
    "music: {path: ",
    "../../etc/passwd",
    "/abs",
    '"\\0"',
    "'\u202e'",
    "林晚{\\pos(0,0)}",
    "陈砚$(x)",
    "%YAML 1.1\n",
    "---\n",
    "...\n",
    "#",
    "\t",
]

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["林晚{\\pos(0,0)}", "陈砚$(x)", "a\x00b", "\x1b[31m", "../x", "C:\\New", "'; rm -rf /", "\u2028"]),
)
NUMBER = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=5),
)


def load_like_validate(folder, spec_text: str) -> None:
    (folder / "job.yaml").write_text(spec_text, encoding="utf-8")
    try:
        job, script, _ = frontend.load(folder / "job.yaml")
        frontend.storyboard_rules(job, script)
    except InputError:
        pass


def within_memory(fn) -> None:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES, f"peak {peak / 2**20:.1f} MiB"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fragments=st.lists(st.sampled_from(YAML_FRAGMENTS), max_size=60))
def test_spec_like_yaml_text_gives_only_input_errors(tmp_path, fragments):
    (tmp_path / "script.txt").write_text("第1集\n林晚：你好。\n", encoding="utf-8")
    within_memory(lambda: load_like_validate(tmp_path, "".join(fragments)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=HOSTILE_TEXT,
    name=HOSTILE_TEXT,
    line=HOSTILE_TEXT,
    numbers=st.fixed_dictionaries(
        {"fps": NUMBER, "seed": NUMBER, "priority": NUMBER, "reading_speed": NUMBER}, optional={"episodes": NUMBER}
    ),
    character=st.fixed_dictionaries(
        {}, optional={"seed": NUMBER, "pitch": NUMBER, "speed": NUMBER, "voice": HOSTILE_TEXT}
    ),
)
def test_hostile_values_in_a_well_formed_spec_give_only_input_errors(tmp_path, title, name, line, numbers, character):
    script = f"第1集\n1-1 日 内 城墙\n{name}：{line}\n"
    spec = {"studio": "s", "title": title, "script": script, "characters": {name: character}, **numbers}
    within_memory(lambda: load_like_validate(tmp_path, yaml.safe_dump(spec, allow_unicode=True)))
