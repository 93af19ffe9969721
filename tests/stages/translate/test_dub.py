"""Dubbed lines: fitted to the slot of the original line (atempo within limits, padded, or a stated
overrun), a voice per character that is the same in every episode, espeak-ng offline and a tiny VITS."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stages.base import Artifact
from stages.params import Speaker
from stages.translate.dub import EspeakDub, TransformersDub, dub_speaker
from stages.translate.dubfit import fit_to_slot
from stages.voice.espeak import cast_voice
from stages.voice.speech import finish_voice, read_wav, write_wav
from tests.stages.conftest import CHARACTERS, JOB

RATE = 48_000


def speech_like(seconds: float) -> np.ndarray:
    """A voiced signal (a 180 Hz buzz in 8 syllables) of ``seconds``: measurable speech."""
    t = np.arange(round(seconds * RATE)) / RATE
    envelope = (np.sin(np.pi * 8 * t / seconds) ** 2).astype(np.float32)
    return (0.4 * np.sin(2 * np.pi * 180 * t) * envelope).astype(np.float32)


def finished(tmp_path, seconds: float):
    raw, wav = tmp_path / "raw.wav", tmp_path / "line.wav"
    write_wav(raw, speech_like(seconds))
    return wav, finish_voice(raw, wav, 0.3)


@pytest.mark.parametrize(
    ("seconds", "slot", "tempo", "overrun"),
    [(2.0, 1.7, 1.17, False), (1.0, 1.5, 1.0, False), (3.0, 1.5, 1.3, True)],
    ids=["sped-up", "padded", "overrun"],
)
def test_a_dub_fits_its_original_slot_or_says_by_how_much_it_does_not(tmp_path, seconds, slot, tempo, overrun):
    wav, meta = finished(tmp_path, seconds)
    fitted = fit_to_slot(wav, meta, slot, 1.3, "dub ep01-l001/en")
    samples, _ = read_wav(wav)
    assert fitted["duration"] == pytest.approx(len(samples) / RATE, abs=1e-6)
    assert fitted["tempo"] == pytest.approx(tempo, abs=0.01)
    if overrun:  # 3 s at 1.3x is ~2.3 s: 0.8 s past the slot, said plainly
        assert fitted["overrun"] == pytest.approx(meta["duration"] / 1.3 - slot, abs=0.06)
        assert "longer than the original line even at 1.3x" in fitted["warning"]
    else:  # exactly the slot: the release's shot is as long as the master's
        assert fitted["duration"] == pytest.approx(slot, abs=0.011) and fitted["overrun"] <= 0.011
        assert "warning" not in fitted
    assert fitted["speech"][1] <= fitted["duration"] + 1e-6


def translation(tmp_path, line_id: str, text: str) -> Artifact:
    folder = tmp_path / f"t-{line_id}"
    folder.mkdir()
    record = {"id": line_id, "target": "es", "text": text, "subtitle": text, "source": "你来了。"}
    (folder / "translation.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return Artifact(folder.name, folder, {"file": "translation.json"})


def dub_params(line_id: str, speaker: dict) -> dict:
    line = {"id": line_id, "kind": "dialogue", "character": speaker["name"], "text": "你来了。"}
    return {"job": JOB, "line": line, "character": speaker, "language": "es"}


LIN = {"name": CHARACTERS[0]["name"], "seed": 7, "gender": "f", "voice": "cmn-latn-pinyin+f4", "pitch": 70}


def test_espeak_dubs_in_the_target_language_with_the_character_s_own_voice(tmp_path):
    stage = EspeakDub()
    stage.setup()
    original = Artifact("v", tmp_path, {"duration": 4.0})
    metas = []
    for episode, line_id in (("a", "ep01-l001"), ("b", "ep02-l007")):  # one character in two episodes
        out = tmp_path / episode
        out.mkdir()
        inputs = {"translation": [translation(tmp_path, line_id, "¿Ya llegaste?")], "original": [original]}
        metas.append(stage.run(dub_params(line_id, LIN), inputs, out))
    first, second = metas
    assert first["voice"] == "es+f4" and first["language"] == "es"  # Spanish, her variant from the spec
    assert (first["voice"], first["pitch"], first["speed"]) == (second["voice"], second["pitch"], second["speed"])
    master = cast_voice(Speaker.model_validate(LIN), "zh")
    assert (first["pitch"], first["speed"]) == (master.pitch, master.speed)  # the same voice as in Chinese
    assert first["duration"] == pytest.approx(4.0, abs=0.011) and first["tempo"] == 1.0  # padded to the slot


def test_a_language_voice_in_the_spec_keeps_only_its_variant_for_a_dub():
    assert dub_speaker(Speaker(name="a", voice="cmn-latn-pinyin+m3")).voice == "+m3"
    assert dub_speaker(Speaker(name="a", voice="f2")).voice == "+f2"
    assert dub_speaker(Speaker(name="a", voice="en-gb")).voice == ""  # derived from the name, as for everyone


def test_espeak_refuses_a_language_it_has_no_voice_for(tmp_path):
    from stages.errors import InputError

    inputs = {"translation": [translation(tmp_path, "ep01-l001", "x")]}
    with pytest.raises(InputError, match="cannot dub xx with espeak-ng"):
        EspeakDub().run({**dub_params("ep01-l001", LIN), "language": "xx"}, inputs, tmp_path)


def test_a_tiny_vits_dub_is_fitted_to_its_slot(tmp_path):
    stage = TransformersDub({"model": "tiny:vits", "device": "cpu", "max_tempo": 1.5})
    stage.setup()
    inputs = {"translation": [translation(tmp_path, "ep01-l001", "ya llegaste")]}
    inputs["original"] = [Artifact("v", tmp_path, {"duration": 2.5})]
    (tmp_path / "out").mkdir()
    meta = stage.run(dub_params("ep01-l001", LIN), inputs, tmp_path / "out")
    assert meta["language"] == "es" and meta["slot"] == 2.5
    assert meta["duration"] >= 2.5 - 0.011 and (meta["overrun"] == 0 or "warning" in meta)
    stage.teardown()
