"""The ``ffmpeg`` gates backend: measure a finished episode and say which platform checks it passes.

A gate that fails does not raise: the results go into the artifact's meta and ``gates.json``, the
run's manifest records them per episode and marks that episode failed, naming each failed gate with
its numbers, and the run exits 1. The measurements come from the delivered file itself (ffprobe,
ffmpeg's ebur128/silencedetect, the decoded sound), not from what the stages meant to do; black
frames are the ones the mux's ``blackdetect`` saw in the very frames the episode copies, and frozen
pictures the runs its ``freezedetect`` saw in a moving shot (``stages.media.freeze``). The sound
is decoded here unless the sound stage (``stages.sound``) already decoded and measured the very
packets the file carries: the gates fingerprint the delivered file's audio (its packets' md5 and
how they decode, ``stages.media.packets``) and use that measurement only when it matches.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from stages.base import Artifact, Inputs, Resources, Stage, StageOptions
from stages.gates import checks
from stages.gates.measure import Analysis, measure, probe_streams
from stages.media.packets import audio_fingerprint
from stages.params import JobContext
from stages.platforms.presets import PLATFORM_PRESETS
from stages.subtitles.layout import text_layout


class QualityGatesOptions(StageOptions):
    # False for a profile whose voices are not speech (configs/tiny.yaml's random TTS makes noise
    # with no pause between words): the cue gate then leaves out where lines split into cues.
    word_gaps: bool = True


class QualityGates(Stage):
    name = "gates"
    backend = "ffmpeg"
    # 5: one decode for loudness, silence and the speech samples; the frozen-picture gate; 6: badges
    # 7: the sound stage's measurement of the delivered packets, when they are the ones it measured
    version = "7"
    resources = Resources(num_cpus=1)
    Options = QualityGatesOptions
    options: QualityGatesOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        episode, subtitles = inputs["episode"], inputs["subtitles"]
        assert isinstance(episode, Artifact) and isinstance(subtitles, Artifact)
        preset = PLATFORM_PRESETS.get(job.platform, PLATFORM_PRESETS["none"])
        layout = text_layout(job)
        video, what = episode.file(), f"gates {params['episode']['id']}"
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gates-probe") as side:
            probed = side.submit(probe_streams, video)  # while the sound is fingerprinted (or decoded)
            analysis, samples, measured = delivered_sound(video, inputs.get("sound"), what)
            streams = probed.result()
        texts = episode.meta.get("text", [])
        results = [
            checks.streams_and_duration(streams, float(episode.meta["planned"]), job.fps),
            checks.av_drift(streams, job.fps),
            checks.black_frames(episode.meta.get("black", []), job.fps),
            checks.frozen_picture(episode.meta.get("frozen", [])),
            checks.digital_silence(analysis),
            *checks.loudness(analysis, preset),
            checks.cues_on_speech(
                samples,
                subtitles.meta["lines"],
                episode.meta["speech"],
                subtitles.meta.get("cues"),
                word_gaps=self.options.word_gaps,
            ),
            checks.text_in_safe_area(texts, layout, episode.meta.get("badges")),
            checks.ai_label(texts, streams.tags, streams.video_seconds, layout),
            checks.max_length(streams.video_seconds, preset),
        ]
        return write_results(results, params["episode"]["id"], out) | {"sound_measured": measured}


def delivered_sound(video: Path, sound: Any, what: str) -> tuple[Analysis, np.ndarray, str]:
    """The delivered file's sound measured: the sound stage's measurement (``stages.sound``) when the
    file's audio packets and how they decode are those it measured (``stages.media.packets``), else
    the file decoded and measured here. The third value says which."""
    if isinstance(sound, Artifact) and sound.meta.get("fingerprint"):
        delivered = audio_fingerprint(video, what)
        if delivered == sound.meta["fingerprint"] and delivered.get("packets_sha256"):
            samples = np.load(sound.file(sound.meta.get("speech", "speech.npy")))
            note = f"by the sound stage, of these packets (sha256 {delivered['packets_sha256'][:16]}…)"
            return Analysis.from_json(sound.meta["analysis"]), samples, note
    analysis, samples = measure(video, what)
    return analysis, samples, "here, from the file"


def write_results(results: list[checks.GateResult], episode: str, out: Path) -> dict[str, Any]:
    """``gates.json`` and the meta the manifest (and a re-roll, ``orchestrator/rerolls.py``) read."""
    failed = [r for r in results if not r.passed]
    (out / "gates.json").write_text(
        json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return {
        "file": "gates.json",
        "passed": not failed,
        "gates": [r.to_json() for r in results],
        "failed": [r.line() for r in failed],
        "episode": episode,
    }
