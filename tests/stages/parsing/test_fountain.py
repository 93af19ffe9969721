"""Fountain through screenplain, with line numbers and what screenplain lacks."""

from __future__ import annotations

import pytest

from stages.errors import InputError
from stages.models import Beat, Script
from stages.parsing import parse_script
from stages.parsing.fountain import parse_cue, parse_slug


def parse(text: str) -> Script:
    return parse_script(text, "fountain", "t.fountain")


def beats(script: Script) -> list[Beat]:
    return [b for ep in script.episodes for s in ep.scenes for b in s.beats]


def test_title_page_scenes_dialogue_and_line_numbers():
    text = """Title: **The Last Tram**
Author: Someone

INT. TRAM - NIGHT

Rain on the windows.

MAYA
(quietly)
Where does this go?

OLD MAN
Wherever you forgot.
"""
    script = parse(text)
    assert (script.title, script.format, script.language) == ("The Last Tram", "fountain", "en")
    (scene,) = script.episodes[0].scenes
    assert (scene.heading, scene.location, scene.time, scene.interior, scene.line) == (
        "INT. TRAM - NIGHT",
        "TRAM",
        "night",
        True,
        4,
    )
    assert [(b.kind, b.character, b.parenthetical, b.text, b.line) for b in scene.beats] == [
        ("action", None, None, "Rain on the windows.", 6),
        ("dialogue", "MAYA", "quietly", "Where does this go?", 10),
        ("dialogue", "OLD MAN", None, "Wherever you forgot.", 13),
    ]


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("INT. HOUSE - DAY", ("HOUSE", "day", True)),
        ("EXT. CITY WALL - DUSK", ("CITY WALL", "dusk", False)),
        ("INT./EXT. CAR - NIGHT", ("CAR", "night", None)),
        ("I/E CAR", ("CAR", "unknown", None)),
        ("EXT. ROOF - CONTINUOUS", ("ROOF", "unknown", False)),
        ("SNOWY FIELD", ("SNOWY FIELD", "unknown", None)),
    ],
)
def test_slug_parts(slug, expected):
    assert parse_slug(slug) == expected


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        ("BOB", ("BOB", False, None)),
        ("BOB (V.O.)", ("BOB", True, None)),
        ("BOB (O.S.)", ("BOB", True, None)),
        ("BOB (CONT'D)", ("BOB", False, None)),
        ("@McCLANE (on radio)", ("McCLANE", False, "on radio")),
        ("BOB ^", ("BOB", False, None)),
    ],
)
def test_character_cues(cue, expected):
    assert parse_cue(cue) == expected


def test_forced_elements_lyrics_and_transitions():
    text = """.SNOWY ROOFTOP

!HE RUNS.

@McCLANE
Yippee.

~Row, row, row your boat
~gently down the stream

> CUT TO:

CUT TO:

>THE END<
"""
    script = parse(text)
    (scene,) = script.episodes[0].scenes
    assert scene.heading == "SNOWY ROOFTOP"
    assert [(b.kind, b.character, b.text) for b in scene.beats] == [
        ("action", None, "HE RUNS."),
        ("dialogue", "McCLANE", "Yippee."),
        ("narration", None, "Row, row, row your boat gently down the stream"),
        ("transition", None, "CUT TO:"),
        ("transition", None, "CUT TO:"),
        ("action", None, "THE END"),
    ]
    assert scene.beats[2].parenthetical == "lyrics"


def test_dual_dialogue_voiceover_and_mid_speech_parenthetical():
    text = """EXT. PARK - DAY

BRICK
Screw retirement.

STEEL ^
Screw retirement.

NARRATOR (V.O.)
They never retired.

ANNA
I said no.
(beat)
I meant it.
"""
    spoken = [b for b in beats(parse(text)) if b.spoken]
    assert [(b.character, b.dual) for b in spoken[:2]] == [("BRICK", False), ("STEEL", True)]
    assert (spoken[2].kind, spoken[2].character) == ("voiceover", "NARRATOR")
    assert [(b.parenthetical, b.text, b.line) for b in spoken[3:]] == [
        (None, "I said no.", 13),
        ("beat", "I meant it.", 15),
    ]


def test_notes_and_boneyard_are_dropped_and_line_numbers_kept():
    text = """INT. ROOM - DAY

/* a cut scene
BOB
Old line.
*/

BOB
Hello [[a note]] there.
[[a note on its own line]]
Again.

[[a note
over two lines]]

Bob leaves.
"""
    script = parse(text)
    assert [(b.kind, b.text, b.line) for b in beats(script)] == [
        ("dialogue", "Hello  there. Again.", 9),
        ("action", "Bob leaves.", 16),
    ]


def test_episode_sections_synopses_and_other_sections():
    text = """Title: Series

# Act One
= a synopsis

# Episode 1: Arrival

INT. HALL - DAY

ANNA
Hi.

## Episode 2

INT. HALL - NIGHT

ANNA
Bye.
"""
    script = parse(text)
    assert [(ep.number, ep.title, ep.line) for ep in script.episodes] == [(1, "Arrival", 6), (2, "", 13)]
    assert [b.text for b in beats(script)] == ["Hi.", "Bye."]


def test_no_scene_heading_gives_an_implicit_scene():
    script = parse("ANNA\nHi there.\n")
    (scene,) = script.episodes[0].scenes
    assert (scene.heading, scene.line) == ("OPENING", 0)


def test_emphasis_is_removed_from_spoken_text():
    (beat,) = beats(parse("ANNA\nI *really* mean **it**.\n"))
    assert beat.text == "I really mean it."


def test_empty_fountain_is_an_error():
    with pytest.raises(InputError, match=r"t\.fountain"):
        parse("Title: Nothing\n\n[[only a note]]\n")
