"""The gates: each takes the measurements and the plan and returns a named result with its numbers."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from stages.assembly.labels import read_aigc
from stages.gates.measure import Analysis, Streams, quiet_near, speech_edges
from stages.media.black import joined_spans
from stages.media.freeze import FROZEN_CLIP_SECONDS
from stages.platforms.presets import PlatformPreset
from stages.subtitles.layout import Box, TextLayout, inside, overlap

CUE_TOLERANCE = 0.1  # seconds between a cue's edge and its speech's edge
LOUDNESS_TOLERANCE = 1.0  # LU around the target
TIME_EPSILON = 0.01  # texts that only touch at a cut are not shown together
BLACK_MIN_SECONDS = 0.5
SEARCH_MARGIN = 0.4  # seconds around a line's planned speech where its real speech is looked for


@dataclass
class GateResult:
    gate: str
    passed: bool
    value: Any
    limit: str
    detail: str = ""
    at: list[list[float]] = field(default_factory=list)  # episode-time spans it failed on (a re-roll's shots)

    def line(self) -> str:
        return f"{self.gate}: {self.value} (limit {self.limit}){' - ' + self.detail if self.detail else ''}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def streams_and_duration(streams: Streams, planned: float, fps: int) -> GateResult:
    frame = 1.0 / fps
    off = abs(streams.video_seconds - planned)
    ok = streams.video_codec == "h264" and streams.audio_codec == "aac" and off <= frame + 1e-6
    value = f"{streams.video_codec}/{streams.audio_codec}, {streams.video_seconds:.3f} s vs planned {planned:.3f} s"
    return GateResult("streams and duration", ok, value, f"h264/aac, within {frame * 1000:.0f} ms")


def av_drift(streams: Streams, fps: int) -> GateResult:
    drift = streams.audio_seconds - streams.video_seconds
    return GateResult(
        "a/v drift", abs(drift) <= 1.0 / fps + 1e-6, f"{drift * 1000:+.1f} ms", f"|drift| <= {1000 / fps:.0f} ms"
    )


def black_frames(spans: list[list[float]], fps: int) -> GateResult:
    """Black runs of the episode (the mux's, in episode time), joined across cuts, of 0.5 s or more."""
    runs = [(a, b) for a, b in joined_spans(spans, gap=1.5 / fps) if b - a >= BLACK_MIN_SECONDS - 1e-6]
    long = [f"{a:.1f}-{b:.1f} s" for a, b in runs]
    return GateResult(
        "black frames",
        not long,
        f"{len(long)} spans",
        "none of 0.5 s or more",
        ", ".join(long[:5]),
        [[round(a, 3), round(b, 3)] for a, b in runs],
    )


def frozen_picture(spans: list[list[float]]) -> GateResult:
    """Moving shots whose picture held still for ``FROZEN_CLIP_SECONDS`` of their clip (the mux's
    freezedetect, in episode time). Not joined across cuts: a cut changes the picture."""
    runs = [f"{a:.1f}-{b:.1f} s" for a, b in spans]
    return GateResult(
        "frozen picture",
        not runs,
        f"{len(runs)} spans",
        f"no moving shot still for {FROZEN_CLIP_SECONDS:g} s of its clip",
        ", ".join(runs[:5]),
        [[round(a, 3), round(b, 3)] for a, b in spans],
    )


def digital_silence(analysis: Analysis) -> GateResult:
    spans = [f"{a:.1f}-{b:.1f} s" for a, b in analysis.silence]
    return GateResult(
        "digital silence", not spans, f"{len(spans)} spans", "none of 0.5 s under -70 dB", ", ".join(spans[:5])
    )


def loudness(analysis: Analysis, preset: PlatformPreset) -> list[GateResult]:
    off = analysis.integrated_lufs - preset.loudness_lufs
    return [
        GateResult(
            "loudness",
            math.isfinite(off) and abs(off) <= LOUDNESS_TOLERANCE,
            f"{analysis.integrated_lufs:.1f} LUFS",
            f"{preset.loudness_lufs:.0f} ± {LOUDNESS_TOLERANCE:.0f} LU",
        ),
        GateResult(
            "true peak",
            analysis.true_peak_dbtp <= preset.true_peak_dbtp,
            f"{analysis.true_peak_dbtp:.1f} dBTP",
            f"<= {preset.true_peak_dbtp:.0f} dBTP",
        ),
    ]


def cues_on_speech(
    samples: np.ndarray,
    lines: list[list],
    planned_speech: list[list[float]],
    cues: list[list] | None = None,
    word_gaps: bool = True,
) -> GateResult:
    """Each line's first cue start and last cue end against the speech found in the episode's sound,
    and each split inside a line (one cue's end and the next's start, ``cues``) in a gap between words.

    ``word_gaps=False``: the voices are not speech (a tiny random TTS makes noise with no pause in
    it), so a split cannot fall between words; splits are then not checked, and the value says so."""
    if not word_gaps and cues:
        result = cues_on_speech(samples, lines, planned_speech)
        result.value += "; splits not checked (the profile's voices are not speech)"
        return result
    worst, late, measured, splits, windows = 0.0, [], 0, 0, {}
    for i, ((line_id, start, end), (p0, p1)) in enumerate(zip(lines, planned_speech, strict=False)):
        lo = max(p0 - SEARCH_MARGIN, (planned_speech[i - 1][1] + p0) / 2 if i else 0.0)
        hi = min(p1 + SEARCH_MARGIN, (p1 + planned_speech[i + 1][0]) / 2 if i + 1 < len(planned_speech) else p1 + 1)
        windows[line_id] = (lo, hi)
        found = speech_edges(samples, (lo, hi))
        if found is None:
            continue
        measured += 1
        error = max(abs(start - found[0]), abs(end - found[1]))
        worst = max(worst, error)
        if error > CUE_TOLERANCE:
            late.append(f"{line_id} {start - found[0]:+.2f}/{end - found[1]:+.2f} s")
    for (line_a, _, end_a), (line_b, start_b, _) in zip(cues or [], (cues or [])[1:], strict=False):
        if line_a != line_b or line_a not in windows:
            continue
        splits += 1
        split = (end_a + start_b) / 2
        if not quiet_near(samples, split, windows[line_a], CUE_TOLERANCE):
            late.append(f"{line_a} split at {split:.2f} s inside a word")
    ok = not late and measured == len(lines)
    value = f"{measured - len(late)} of {len(lines)} cues within, worst {worst * 1000:.0f} ms"
    if cues is not None:
        value += f"; {splits} splits checked"
    limit = f"<= {CUE_TOLERANCE * 1000:.0f} ms; splits within that of a gap between words"
    return GateResult("subtitles on speech", ok, value, limit, ", ".join(late[:5]))


def text_in_safe_area(texts: list[dict], layout: TextLayout, badges: list[dict] | None = None) -> GateResult:
    """Every text inside the safe area and over no other text, nor over a character's badge while
    both show (``badges``: where the mux followed each one; None when the picture has none known)."""
    outside = [t for t in texts if not inside(tuple(t["box"]), layout.safe)]
    clashes = []
    for i, a in enumerate(texts):
        for b in [*texts[i + 1 :], *(badges or [])]:
            together = a["start"] < b["end"] - TIME_EPSILON and b["start"] < a["end"] - TIME_EPSILON
            if together and overlap(tuple(a["box"]), tuple(b["box"])):
                clashes.append(f"{a['kind']}/{b['kind']} at {max(a['start'], b['start']):.1f} s")
    detail = [f"{t['kind']} at {t['start']:.1f} s {t['box']}" for t in outside[:3]] + clashes[:3]
    value = f"{len(outside)} outside, {len(clashes)} overlapping of {len(texts)}"
    value += f", {len(badges)} badge places checked" if badges else ", no badges known"
    return GateResult(
        "text in safe area",
        not outside and not clashes,
        value,
        f"inside {_box(layout.safe)}, no overlap with other text or a badge",
        "; ".join(detail),
    )


def ai_label(texts: list[dict], tags: dict[str, str], duration: float, layout: TextLayout) -> GateResult:
    """Visible mark from the first frame to the last, at least 5% of the short side high; AIGC metadata."""
    marks = sorted((t for t in texts if t["kind"] == "label"), key=lambda t: t["start"])
    covered, t = True, 0.0
    for mark in marks:
        if mark["start"] > t + 0.05:
            covered = False
        t = max(t, mark["end"])
    covered = covered and t >= duration - 0.1 and bool(marks)
    short = min(layout.width, layout.height)
    tall_enough = all(m["box"][3] - m["box"][1] >= 0.05 * short for m in marks)
    meta = read_aigc(tags)
    ok = covered and tall_enough and meta is not None and meta.get("Label") == "1"
    metadata = f"AIGC Label {meta.get('Label')}" if meta else "absent"
    value = f"mark {'throughout' if covered else 'missing in parts'}, metadata {metadata}"
    return GateResult("ai-content label", ok, value, "visible mark >= 5% of the short side and AIGC metadata")


def max_length(duration: float, preset: PlatformPreset) -> GateResult:
    limit = preset.max_seconds
    return GateResult(
        "platform max length", limit is None or duration <= limit, f"{duration:.1f} s", f"<= {limit or '∞'} s"
    )


def _box(box: Box) -> str:
    return f"({box[0]},{box[1]})-({box[2]},{box[3]})"
