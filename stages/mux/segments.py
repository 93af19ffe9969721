"""A still shot's picture as one segment per line, so an edit re-encodes only the lines it changed.

A shot's mux key hashes all its lines, so editing one line re-encodes the whole shot: the floor of a
one-line edit. But where the camera holds still (the motion clip's meta says ``still``: every frame
is the same picture) a frame shows only the still, the speaker's framing and the text, so:

1. The shot is cut at each line's first frame (``segment_bounds``): one segment per line, the
   first with the lead-in. A framing cut falls on the same frame, as both start with the line.
   Each line's segment is cut again where a cue starts (``piece_bounds``), so an edit re-encodes
   its line from the first cue it changed, and those pieces encode side by side.
2. Each segment is described by exactly what its frames show, counted from its own first frame
   (``Segment``): the still (the clip's key), the framing window's steps, and each text event as
   the range of frames it is visible in. Its key hashes that description, so a line whose words
   and voice are unchanged keeps its key when an edit before it moves it later in the shot.
3. A segment is split into chunks where its picture changes (a text appears or goes, the framing
   steps: ``chunk_bounds``), and a long unchanging run into chunks of ``UNIT_SECONDS``, so most
   chunks are one picture held: that picture is drawn once and x264 encodes only one of the run's
   equal chunks (about 7 ms a frame even on identical frames, the mux's main cost). Each chunk is
   described from its own first frame like a segment, so equal chunks share one key.
4. A chunk is drawn from its description alone (the ASS file written from the frame ranges, the
   crop stepping on frame numbers), so its key and its frames can never disagree, and encoded on
   its own: it starts on an IDR frame, x264 ``stitchable``, so chunks join by stream copy.
5. Chunks are kept as parts (``stages.parts``); the shot's file is the stream copy of its chunks,
   the ones already made reused as they are.

A moving shot is not cut: its frames depend on where they sit in the move, which an edit shifts.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg
import pysubs2

from stages.base import Artifact
from stages.hashing import digest_hex
from stages.media.black import black_spans, joined_spans, with_blackdetect
from stages.media.concat import concat_copy
from stages.media.ffmpeg_run import run_ffmpeg
from stages.mux.framing import Framing, window_size
from stages.parts import Parts, link_into
from stages.store import canonical_json

SEGMENTS_VERSION = "1"  # bump when a segment's frames change for the same description
# stitchable: headers the same in every chunk, so they join by stream copy. threads=1: chunks encode
# two at a time, and x264's own frame threads cost more to set up (0.4 s of page faults at 1080x1920)
# than a short chunk takes to encode.
X264_PARAMS = "stitchable=1:threads=1"
MIN_PIECE_SECONDS = 0.5  # a line's segment is cut where a cue starts, into pieces no shorter
RENDER_WORKERS = 2  # chunks encode side by side (x264 keeps one core busy on a still)
UNIT_SECONDS = 1.0  # a held picture is encoded in chunks this long, one of them once (an IDR frame each)
MIN_RUN_SECONDS = 0.5  # a picture held for less joins the chunk before it (each chunk costs an encoder start)
MAX_HELD_RUNS = 8  # a chunk of up to this many pictures draws each once; one of more is drawn frame by frame


@dataclass(frozen=True)
class Segment:
    """Frames ``start``..``end`` of a still shot, described from its own first frame."""

    start: int
    end: int
    crops: tuple[tuple[int, float], ...]  # (first frame, window's left edge) steps; empty: the full frame
    events: tuple[tuple[int, int, str, str], ...]  # (first frame, end frame, style, ASS text)

    @property
    def frames(self) -> int:
        return self.end - self.start

    @property
    def held(self) -> bool:
        """One picture on every frame: the framing never steps and every text shows throughout."""
        return len(self.crops) <= 1 and all(first == 0 and end >= self.frames for first, end, _, _ in self.events)

    def part(self, a: int, b: int) -> Segment:
        """Frames ``a``..``b`` of this segment (counted from its first frame), described from their own first."""
        active = [x for first, x in self.crops if first <= a][-1:] or [x for _, x in self.crops[:1]]
        crops = tuple((0, x) for x in active) + tuple((f - a, x) for f, x in self.crops if a < f < b)
        events = tuple(
            (max(first, a) - a, min(end, b) - a, style, text)
            for first, end, style, text in self.events
            if end > a and first < b
        )
        return Segment(self.start + a, self.start + b, crops, events)


@dataclass(frozen=True)
class StillShot:
    """What every segment of one shot shares: the still, the frame size and rate, the text styles, the encode."""

    motion: Artifact
    width: int
    height: int
    fps: int
    crf: int
    preset: str
    overlay: pysubs2.SSAFile

    def key(self, segment: Segment) -> str:
        """The segment's content key: everything its frames depend on, and nothing about where it sits."""
        return digest_hex(
            canonical_json(
                {
                    "segments": SEGMENTS_VERSION,
                    "still": self.motion.key,
                    "size": [self.width, self.height, self.fps],
                    "encode": [self.crf, self.preset, X264_PARAMS],
                    "frames": segment.frames,
                    "crops": [list(c) for c in segment.crops],
                    "ass": self.ass_text(segment),
                }
            )
        )

    def ass_text(self, segment: Segment) -> str:
        """The segment's own ASS file: the shot's styles, each event timed half a frame clear of its edges."""
        subs = pysubs2.SSAFile()
        subs.info.update(self.overlay.info)
        subs.styles = dict(self.overlay.styles)
        for first, end, style, text in segment.events:
            start_ms = 0 if first == 0 else round((first - 0.5) * 1000 / self.fps)
            end_ms = round((end - 0.5) * 1000 / self.fps)
            subs.append(pysubs2.SSAEvent(start=start_ms, end=end_ms, text=text, style=style))
        return subs.to_string("ass")


def segment_bounds(offsets: list[float], frames: int, fps: int) -> list[tuple[int, int, float]]:
    """Step 1: (first frame, end frame, the line's start in seconds) of each line's segment.

    Lines start on frames (``stages.timing.shot_layout``); the first segment starts at frame 0, with
    the lead-in, its origin the first line's start (0 for a shot without lines)."""
    starts = [(round(offset * fps), offset) for offset in offsets]
    cuts = [(0, offsets[0] if offsets else 0.0)] + [(f, o) for f, o in starts[1:] if 0 < f < frames]
    cuts = [c for i, c in enumerate(cuts) if i == 0 or c[0] > cuts[i - 1][0]]
    ends = [f for f, _ in cuts[1:]] + [frames]
    return [(a, b, origin) for (a, origin), b in zip(cuts, ends, strict=True)]


def piece_bounds(
    bounds: list[tuple[int, int, float]], overlay: pysubs2.SSAFile, fps: int
) -> list[tuple[int, int, float]]:
    """Step 1b: each line's segment cut again where new text appears (a cue's first frame), each
    piece keeping its line's start as its origin.

    An edit changes a line's voice and cues from the changed words on: the cues before them keep
    their words and times, so their pieces keep their keys and frames, and the pieces that did
    change encode side by side. A piece shorter than ``MIN_PIECE_SECONDS`` stays with the one
    before it (each piece costs an IDR frame and an encoder start)."""
    least = math.ceil(MIN_PIECE_SECONDS * fps)
    pieces = []
    for a, b, origin in bounds:
        frame = _frame_counter((a, b, origin), fps)
        cuts = [a]
        for first in sorted({a + frame(event.start) for event in overlay.events}):
            if first - cuts[-1] >= least and b - first >= least:
                cuts.append(first)
        pieces += [(x, y, origin) for x, y in zip(cuts, [*cuts[1:], b], strict=True)]
    return pieces


def _frame_counter(bounds: tuple[int, int, float], fps: int) -> Callable[[float], int]:
    """For frames ``a``..``b`` of a shot whose line starts at ``origin`` seconds: the first of them
    (counted from ``a``) shown at or after a time in ms. Frame ``j`` is shown from the line's start
    plus ``(j - lead) / fps``, ``lead`` the frames before the line starts (negative in a piece
    that starts after it)."""
    a, b, origin = bounds
    count, base = b - a, round(origin * 1000)
    lead = round(origin * fps) - a

    def frame(ms: float) -> int:
        return min(count, max(0, lead + math.ceil((ms - base) / 1000 * fps - 1e-6)))

    return frame


def describe(bounds: tuple[int, int, float], overlay: pysubs2.SSAFile, framings: list[Framing], fps: int) -> Segment:
    """Step 2: a segment as the frames it shows, each event and framing placed from its line's start
    (in ms, as the cues are timed): the same line later in the shot gives the same description,
    whichever fraction of a frame its cues fall on."""
    a, b, _ = bounds
    count, frame = b - a, _frame_counter(bounds, fps)
    crops: list[tuple[int, float]] = []
    for framing in framings:
        first = frame(round(framing.start * 1000))
        if first < count:
            crops = [c for c in crops if c[0] < first] + [(first, framing.x)]
    events = []
    for event in overlay.events:
        first, end = frame(event.start), frame(event.end)
        if end > first:
            events.append((first, end, event.style, event.text))
    return Segment(a, b, tuple(crops), tuple(events))


def chunk_bounds(segment: Segment, fps: int) -> list[tuple[int, int]]:
    """Step 3: the segment's chunks (frames from its first): cut where its picture changes, a run
    held for ``2 x UNIT_SECONDS`` or more cut into units (the last one longer by the remainder), a
    run shorter than ``MIN_RUN_SECONDS`` joined to the chunk before it."""
    unit, least = max(1, round(UNIT_SECONDS * fps)), math.ceil(MIN_RUN_SECONDS * fps)
    chunks: list[tuple[int, int]] = []
    for a, b in held_runs(segment):
        if b - a < least and chunks:
            chunks[-1] = (chunks[-1][0], b)
        elif b - a >= 2 * unit:
            starts = list(range(a, b - unit + 1, unit))[:-1]
            chunks += [(x, x + unit) for x in starts] + [(starts[-1] + unit, b)]
        else:
            chunks.append((a, b))
    return chunks


def cropped(video: Any, crops: tuple[tuple[int, float], ...], width: int, height: int) -> Any:
    """The framing window at each step (``n``: the segment's frame number), scaled back to full size."""
    if not crops:
        return video
    x = f"{crops[-1][1]}"
    for (_, x_here), (first_next, _) in zip(reversed(crops[:-1]), reversed(crops[1:]), strict=True):
        x = f"if(lt(n,{first_next}),{x_here},{x})"
    w, h = window_size(width, height)
    y = round((height - h) / 2)
    return video.filter("crop", w=w, h=h, x=x, y=y, exact=1).filter("scale", w=width, h=height, flags="bicubic")


def held_runs(segment: Segment) -> list[tuple[int, int]]:
    """The runs of frames (from the segment's first) over which its picture does not change: cut
    where the framing steps or a text appears or goes. Each is ``segment.part(a, b).held``."""
    changes = {first for first, _ in segment.crops} | {f for first, end, _, _ in segment.events for f in (first, end)}
    cuts = sorted({0, segment.frames} | {f for f in changes if 0 < f < segment.frames})
    return list(itertools.pairwise(cuts))


def _held(still: Any, segment: Segment, ass: Path, shot: StillShot) -> Any:
    """A held segment's one picture (the text shown at its time 0) drawn once, then repeated."""
    first = still.filter("setpts", "PTS-STARTPTS")
    drawn = cropped(first, segment.crops, shot.width, shot.height).filter("ass", filename=str(ass))
    return drawn.filter("loop", loop=segment.frames - 1, size=1).filter("setpts", f"N/{shot.fps}/TB")


def render(shot: StillShot, segment: Segment, path: Path, what: str, work: Path) -> list[list[float]]:
    """Step 4: draw and encode one chunk from its description; the black runs blackdetect saw in it."""
    ass = work / f"segment-{segment.start}.ass"
    ass.write_text(shot.ass_text(segment), encoding="utf-8")
    fps = shot.fps
    still = (
        ffmpeg.input(str(shot.motion.file()))
        .video.filter("trim", end_frame=1)  # a still clip: its first frame is every frame
        .filter("scale", w=shot.width, h=shot.height)
    )
    runs = held_runs(segment)
    if segment.held:  # one picture: drawn once, then held
        video = _held(still, segment, ass, shot)
    elif len(runs) <= MAX_HELD_RUNS:  # a few pictures: each drawn once and held, then joined
        copies, pictures = still.filter_multi_output("split", len(runs)), []
        for i, (a, b) in enumerate(runs):
            run = segment.part(a, b)
            run_ass = work / f"segment-{segment.start}-{i}.ass"
            run_ass.write_text(shot.ass_text(run), encoding="utf-8")
            pictures.append(_held(copies.stream(i), run, run_ass, shot))
        video = ffmpeg.concat(*pictures, v=1, a=0).filter("setpts", f"N/{fps}/TB")
    else:
        picture = still.filter("loop", loop=segment.frames - 1, size=1).filter("setpts", f"N/{fps}/TB")
        video = cropped(picture, segment.crops, shot.width, shot.height).filter("ass", filename=str(ass))
    stream = ffmpeg.output(
        with_blackdetect(video).filter("format", pix_fmts="yuv420p"),
        str(path),
        vcodec="libx264",
        crf=shot.crf,
        preset=shot.preset,
        r=fps,
        video_track_timescale=fps * 1000,
        **{"frames:v": segment.frames, "x264-params": X264_PARAMS},
    )
    done = run_ffmpeg(stream, f"{what} frames {segment.start}-{segment.end}", loglevel="info")
    return black_spans(done.stderr, segment.frames, fps)


def encode_still_shot(
    shot: StillShot,
    parts: Parts,
    offsets: list[float],
    frames: int,
    framings: list[Framing],
    path: Path,
    what: str,
) -> dict[str, Any]:
    """Steps 1-5: the shot's picture at ``path`` from its segments' chunks, made or reused.

    Returns the black runs in the shot's time, the segments, and how many chunks there are and were made."""
    bounds = piece_bounds(segment_bounds(offsets, frames, shot.fps), shot.overlay, shot.fps)
    segments = [describe(b, shot.overlay, framings, shot.fps) for b in bounds]
    chunks = [segment.part(a, b) for segment in segments for a, b in chunk_bounds(segment, shot.fps)]
    with tempfile.TemporaryDirectory(prefix="kaipai-segments-") as scratch:
        keys = [shot.key(chunk) for chunk in chunks]
        kept = {key: parts.find(key) for key in keys}
        missing = {key: chunk for key, chunk in zip(keys, chunks, strict=True) if kept[key] is None}
        with ThreadPoolExecutor(max_workers=RENDER_WORKERS, thread_name_prefix="segment") as pool:
            for key, part in pool.map(lambda k: (k, make_part(shot, missing[k], parts, what, Path(scratch))), missing):
                kept[key] = part
        join_segments([kept[key].file() for key in keys], path, shot.fps, what)
    black = []
    for chunk, key in zip(chunks, keys, strict=True):
        offset = chunk.start / shot.fps
        black += [[round(offset + s, 3), round(offset + e, 3)] for s, e in kept[key].meta.get("black", [])]
    merged = joined_spans(black, 0.5 / shot.fps)
    return {
        "black": [[a, b] for a, b in merged],
        "segments": len(segments),
        "chunks": len(chunks),
        "made": len(missing),
    }


def make_part(shot: StillShot, segment: Segment, parts: Parts, what: str, scratch: Path) -> Artifact:
    """A chunk (or a whole segment) rendered and kept as its part."""
    key = shot.key(segment)
    folder = parts.new_folder(key, scratch)
    spans = render(shot, segment, folder / "segment.mp4", what, scratch)
    return parts.keep(key, folder, {"file": "segment.mp4", "frames": segment.frames, "black": spans})


def join_segments(files: list[Path], path: Path, fps: int, what: str) -> None:
    """The shot's file: its one segment linked (no copy), or its segments joined by stream copy."""
    if len(files) == 1:
        link_into(files[0], path)
        return
    concat_copy(files, path, fps, what)
