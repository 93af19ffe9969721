"""The ``ffmpeg`` mux backend: one shot finished, its picture encoded once, its sound as exact samples.

The shot's length and each voice's start come from :func:`stages.timing.shot_layout`; the text on
the picture (subtitles from the measured speech, the action caption, the scene heading, the AI
label) is burned here, after the camera move, so this is the only lossy encode the picture gets:
the episode is joined from these files without re-encoding, and a one-line edit re-encodes only its
shot; where the camera holds still, only the segments of the lines it changed
(``stages.mux.segments``). When the voices need longer than the clip, the clip is slowed (``setpts``)
rather than frozen.
The sound is written as PCM of exactly ``frames * 48000 / fps`` samples (``stages.mux.audio``).

A release in another language (params with a ``language``, :class:`stages.params.ReleaseMuxParams`)
burns the cues of its own lines' translations (its ``translations`` input), in that language's script
and AI label (none when ``burn`` is off: soft subtitles only); the source-language heading and action
caption are left off. A release shot depends on no other shot's lines.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

import ffmpeg

from stages.base import Artifact, Inputs, Resources, Stage, StageOptions
from stages.media.black import black_spans, with_blackdetect
from stages.media.ffmpeg_run import run_ffmpeg
from stages.media.freeze import frozen_spans, with_freezedetect
from stages.media.x264 import Crf, Preset
from stages.models import Scene, Shot
from stages.mux.audio import SAMPLE_RATE, shot_audio, shot_samples
from stages.mux.badges import badge_spans
from stages.mux.framing import Framing, framed, speaker_framings
from stages.mux.segments import StillShot, encode_still_shot
from stages.params import JobContext
from stages.parts import Parts
from stages.subtitles.cues import shot_cues
from stages.subtitles.overlay import shot_overlay
from stages.timing import shot_layout
from stages.translations import script_family, translated_lines
from stages.voice.speech import write_wav


def mux_video(
    clip: Artifact, job: JobContext, duration: float, frames: int, framings: list[Framing] | None = None
) -> Any:
    """The clip retimed to the shot's length (slowed or sped up), at the job's fps, exactly ``frames`` long,
    cut between its speakers' framings when it has them (:mod:`stages.mux.framing`)."""
    video = ffmpeg.input(str(clip.file())).video
    clip_seconds = float(clip.meta.get("duration") or 0) or duration
    if abs(duration - clip_seconds) > 1e-3:
        video = video.filter("setpts", f"{duration / clip_seconds:.6f}*PTS")
    video = (
        video.filter("fps", fps=job.fps)
        .filter("tpad", stop_mode="clone", stop_duration=1)  # covers rounding at the very end
        .filter("trim", end_frame=frames)
        .filter("setpts", "PTS-STARTPTS")
    )
    return framed(video, framings or [], job.width, job.height).filter("scale", w=job.width, h=job.height)


def _speech_span(meta: dict[str, Any], offset: float) -> list[float]:
    """Where a voice's speech lies in the shot, in seconds from the shot's start."""
    start, end = meta.get("speech") or (0.0, float(meta["duration"]))
    return [round(offset + start, 3), round(offset + end, 3)]


def localised_cues(job: JobContext, shot: Shot, params: dict[str, Any], inputs: Inputs, voices: list, offsets: list):
    """A release's job (its script family) and this shot's cues from its own lines' ``translations``."""
    language = str(params["language"])
    job = job.model_copy(update={"language": script_family(language)})
    lines = translated_lines(shot.lines, inputs.get("translations"), f"mux {shot.id}/{language}")
    if not params.get("burn", True):
        return job, []  # soft subtitles only: the assembly carries them as a track
    return job, shot_cues(job, lines, [v.meta for v in voices], offsets)


class ShotMuxOptions(StageOptions):
    crf: Crf = 21  # the picture's one lossy encode: the episode copies it
    preset: Preset = "veryfast"
    ambience: bool = True  # an ambience bed from the scene's place and time under the voices
    ai_label: bool = True  # the visible AI-content mark (China's labelling rules); on by default


class ShotMux(Stage):
    name = "mux"
    backend = "ffmpeg"
    # 6: a still shot's picture as one segment per line (stages.mux.segments); 7: ambience FFT;
    # 8: where each badge shows (stages.mux.badges)
    version = "8"
    resources = Resources(num_cpus=1)
    Options = ShotMuxOptions
    options: ShotMuxOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        shot = Shot.model_validate(params["shot"])
        scene = Scene.model_validate(params["scene"]) if params.get("scene") else None
        motion = inputs["motion"]
        assert isinstance(motion, Artifact)
        voices = inputs.get("voices") or []
        voices = voices if isinstance(voices, list) else [voices]
        if len(voices) != len(shot.lines):
            raise ValueError(f"mux {shot.id}: {len(shot.lines)} lines but {len(voices)} voices")

        # 1. Whole frames, exactly as the subtitles lay them out; the sound is as many samples.
        durations = [float(v.meta["duration"]) for v in voices]
        seconds, offsets = shot_layout(shot.duration, durations, job.fps)
        planned = shot_layout(shot.duration, durations)[0]
        frames = max(1, round(seconds * job.fps))
        samples = shot_samples(frames, job.fps)
        # 2. The sound: voices at their sample offsets over the scene's ambience, made in a thread
        # while the picture encodes (numpy and the encoder's process leave the interpreter free).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mux-sound") as sound:
            wav = sound.submit(self._sound, voices, offsets, samples, scene, shot.id, out / "shot.wav")
            # 3. The text, timed from the measured speech, drawn after the camera move.
            release = params.get("language")
            if release:
                job, cues = localised_cues(job, shot, params, inputs, voices, offsets)
            else:
                cues = shot_cues(job, shot.lines, [v.meta for v in voices], offsets)
            overlay, placed = shot_overlay(job, shot, scene, cues, seconds, self.options.ai_label, not release)
            # 4. A static shot with several speakers cuts between them; then the picture's one encode.
            framings = speaker_framings(shot, offsets, motion.meta.get("people") or [], job.width)
            badges = badge_spans(
                motion.meta.get("badges") or [],
                str(motion.meta.get("camera") or "static"),
                int(motion.meta.get("frames") or frames),
                frames,
                job.fps,
                (job.width, job.height),
                framings,
            )
            layout = (planned, frames, offsets)
            black, frozen, segments = self._picture(motion, job, layout, overlay, framings, out / "shot.mp4", shot.id)
            wav.result()  # its error, if any, is the stage's
        return {
            "file": "shot.mp4",
            "audio": "shot.wav",
            "duration": round(frames / job.fps, 6),
            "frames": frames,
            "samples": samples,
            "planned": planned,
            "offsets": offsets,
            "cues": [[c.start, c.end, c.line, list(c.rows)] for c in cues],
            "speech": [_speech_span(v.meta, o) for v, o in zip(voices, offsets, strict=True)],
            "text": [asdict(p) for p in placed],
            "badges": badges,
            "black": black,
            "frozen": frozen,
            **segments,
            "framings": [[f.start, f.speaker] for f in framings],
            "shot": shot.id,
            "language": release or job.language,
        }

    def _picture(
        self,
        motion: Artifact,
        job: JobContext,
        layout: tuple[float, int, list[float]],
        overlay: Any,
        framings: list[Framing],
        path: Path,
        shot: str,
    ) -> tuple[list[list[float]], list[list[float]], dict[str, int]]:
        """The picture's one encode: a still shot one segment per line, those an edit left alone
        reused; a moving shot whole. Returns its black and frozen runs and its segment counts."""
        planned, frames, offsets = layout
        if not motion.meta.get("still"):
            black, frozen = self._encode(motion, job, planned, frames, overlay, path, shot, framings)
            return black, frozen, {"segments": 1, "chunks": 1, "chunks_made": 1}
        still = StillShot(motion, job.width, job.height, job.fps, self.options.crf, self.options.preset, overlay)
        parts = Parts(self.store_root, self.name)
        picture = encode_still_shot(still, parts, offsets, frames, framings, path, f"mux {shot}")
        counts = {"segments": picture["segments"], "chunks": picture["chunks"], "chunks_made": picture["made"]}
        return picture["black"], [], counts  # a planned still: never measured for a freeze

    def _sound(
        self, voices: list[Artifact], offsets: list[float], samples: int, scene: Scene | None, shot: str, path: Path
    ) -> None:
        audio = shot_audio([v.file() for v in voices], offsets, samples, scene, shot, self.options.ambience)
        write_wav(path, audio, SAMPLE_RATE)

    def _encode(
        self,
        motion: Artifact,
        job: JobContext,
        planned: float,
        frames: int,
        overlay: Any,
        path: Path,
        what: str,
        framings: list[Framing],
    ) -> tuple[list[list[float]], list[list[float]]]:
        """Retime, burn the text, encode H.264 once (the episode copies these frames as they are).

        Returns the black runs ``blackdetect`` saw in the finished frames and the frozen runs
        ``freezedetect`` saw in the picture before the text (the gates read both)."""
        clip_seconds = float(motion.meta.get("duration") or 0) or planned
        with tempfile.TemporaryDirectory(prefix="kaipai-mux-") as work:
            ass = Path(work) / "shot.ass"
            overlay.save(str(ass), format_="ass")
            picture = mux_video(motion, job, planned, frames, framings)
            made_by_model = bool(motion.meta.get("model"))  # a planned move (Ken Burns) is never frozen by chance
            picture = with_freezedetect(picture, planned / clip_seconds) if made_by_model else picture
            video = with_blackdetect(picture.filter("ass", filename=str(ass)))
            stream = ffmpeg.output(
                video.filter("format", pix_fmts="yuv420p"),
                str(path),
                vcodec="libx264",
                crf=self.options.crf,
                preset=self.options.preset,
                r=job.fps,
                video_track_timescale=job.fps * 1000,
                **{"frames:v": frames},
            )
            done = run_ffmpeg(stream, f"mux {what}", loglevel="info")
        frozen = frozen_spans(done.stderr, frames, job.fps) if made_by_model else []
        return black_spans(done.stderr, frames, job.fps), frozen
