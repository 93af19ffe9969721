"""A release mux: a shot muxed again in another language burns the cues of its own lines' translations
(the very cues the release's ``localise`` lays out for that shot), never the original rows, over its
scene's ambience; with ``burn: false`` it burns none (the assembly carries them as a soft track)."""

from __future__ import annotations

import json
import re

import pytest

from tests.stages.conftest import EPISODE, JOB, LINES, SCENE, SHOTS, run_stage

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def translations(media_dir):
    from stages.base import Artifact

    made = []
    for i, line in enumerate(LINES):
        folder = media_dir / "release-translations" / str(i)
        folder.mkdir(parents=True, exist_ok=True)
        record = {"id": line["id"], "subtitle": f"Line {i} said in English."}
        (folder / "translation.json").write_text(json.dumps(record), encoding="utf-8")
        made.append(Artifact(f"t{i}", folder, {"file": "translation.json"}))
    return made


@pytest.fixture(scope="module")
def localised(media_dir, voices, translations):
    from stages.translate.subtitles import LocalisedSubtitles

    shots = [{"id": s["id"], "duration": s["duration"], "lines": s["lines"]} for s in SHOTS]
    params = {"job": JOB, "episode": EPISODE, "shots": shots, "language": "en"}
    inputs = {"voices": voices, "translations": translations}
    return run_stage(LocalisedSubtitles(), params, inputs, media_dir / "localise")


def release(media_dir, motions, voices, translations, name: str, burn: bool = True):
    from stages.mux.shot_mux import ShotMux

    params = {"job": JOB, "shot": SHOTS[0], "scene": SCENE, "language": "en", "burn": burn}
    inputs = {"motion": motions[0], "voices": voices, "translations": translations}
    return run_stage(ShotMux(), params, inputs, media_dir / name)


@pytest.fixture(scope="module")
def release_mux(media_dir, motions, voices, translations):
    return release(media_dir, motions, voices, translations, "release-mux")


def test_localise_records_each_shot_s_burned_cues(localised):
    cues = localised.meta["shot_cues"]
    assert set(cues) == {s["id"] for s in SHOTS} and localised.meta["script"] == "en"
    rows = [row for cue in cues[SHOTS[0]["id"]] for row in cue[3]]
    assert rows and not any(CJK.search(r) for r in rows)
    assert [c[2] for c in cues[SHOTS[0]["id"]]] == [ln["id"] for ln in LINES]


def test_the_release_mux_burns_the_localised_cues_not_the_original_rows(release_mux, muxes, localised):
    assert release_mux.meta["language"] == "en"
    assert release_mux.meta["cues"] == localised.meta["shot_cues"][SHOTS[0]["id"]]
    burned = [row for cue in release_mux.meta["cues"] for row in cue[3]]
    assert burned and not any(CJK.search(r) for r in burned)
    assert any(CJK.search(r) for cue in muxes[0].meta["cues"] for r in cue[3])  # the master's are Chinese
    kinds = {t["kind"] for t in release_mux.meta["text"]}
    assert "subtitle" in kinds and not kinds & {"header", "caption"}  # no untranslated heading or caption
    # the same voices, the same scene: the same sound and length as the master's shot
    assert release_mux.meta["samples"] == muxes[0].meta["samples"]
    assert release_mux.file("shot.wav").read_bytes() == muxes[0].file("shot.wav").read_bytes()


def test_a_release_mux_without_its_lines_translations_is_refused(media_dir, motions, voices, translations):
    with pytest.raises(ValueError, match="no translation of line ep01-l002"):
        release(media_dir, motions, voices, translations[:1], "x")
    stray = media_dir / "stray"
    stray.mkdir(exist_ok=True)
    (stray / "translation.json").write_text(json.dumps({"id": "ep09-l001", "subtitle": "x"}), encoding="utf-8")
    from stages.base import Artifact

    with pytest.raises(ValueError, match="another shot's lines: ep09-l001"):
        release(media_dir, motions, voices, [*translations, Artifact("s", stray, {"file": "translation.json"})], "y")


def test_soft_subtitles_only_burn_nothing_into_the_release(media_dir, motions, voices, translations, release_mux):
    soft = release(media_dir, motions, voices, translations, "release-soft", burn=False)
    assert soft.meta["cues"] == [] and "subtitle" not in {t["kind"] for t in soft.meta["text"]}
    assert soft.meta["frames"] == release_mux.meta["frames"]  # the same shot, only without the text
