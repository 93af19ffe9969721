"""The ``kenburns`` backend: a camera move over the still keyframe, rendered by ffmpeg's zoompan.

zoompan crops at whole pixels, which makes slow moves jitter. We upscale the keyframe first
(``upscale`` times, 2 by default), so a one-pixel step of the crop is half a pixel of the output: no
edge ever jumps by a whole pixel. Each frame's cost grows with the square of the factor (4x cost
twice the CPU of 2x on the example jobs, for steps of a quarter instead of half a pixel). Moves ease
in and out (smoothstep), as a camera operator would. The clip is an intermediate: it is stored
losslessly (x264 ``qp 0``) so the shot's one real encode, in the mux, starts from clean pixels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ffmpeg
from pydantic import Field

from stages.base import Artifact, Inputs, Resources, Stage
from stages.media.ffmpeg_run import run_ffmpeg
from stages.media.probe import probe
from stages.models import Shot
from stages.motion.options import MotionOptions
from stages.params import JobContext

# How far each move travels: zoom at start and end, and the horizontal window position (0 = left edge,
# 1 = right edge of the room the zoom leaves to move in) at start and end.
MOVES: dict[str, tuple[float, float, float, float]] = {
    "static": (1.0, 1.0, 0.5, 0.5),
    "push-in": (1.0, 1.14, 0.5, 0.5),
    "pull-out": (1.14, 1.0, 0.5, 0.5),
    "pan": (1.12, 1.12, 0.0, 1.0),
    "track": (1.16, 1.16, 1.0, 0.0),
    "follow": (1.08, 1.16, 0.2, 0.8),
}


# A static shot with several speakers is cut between them in the mux (shot/reverse-shot): each line's
# part is this much closer, centred on its speaker (stages.mux.framing).
REVERSE_SHOT_ZOOM = 1.3


def frame_count(duration: float, fps: int) -> int:
    return max(1, round(duration * fps))


def zoompan_expressions(camera: str, frames: int) -> dict[str, str]:
    """zoompan's z, x, y for ``camera`` over ``frames`` output frames (``on`` is the frame number)."""
    z0, z1, p0, p1 = MOVES.get(camera, MOVES["static"])
    t = f"(on/{max(1, frames - 1)})"
    ease = f"({t}*{t}*(3-2*{t}))"
    zoom = f"{z0}+({z1 - z0})*{ease}"
    pos = f"({p0}+({p1 - p0})*{ease})"
    return {
        "z": zoom,
        "x": f"(iw-iw/zoom)*{pos}",
        "y": "(ih-ih/zoom)/2",
    }


def holds_still(camera: str) -> bool:
    """Whether ``camera``'s move is no move at all: every frame of its clip is the same picture."""
    z0, z1, p0, p1 = MOVES.get(camera, MOVES["static"])
    return z0 == z1 == 1.0 and p0 == p1


def moving_picture(still: str, camera: str, frames: int, width: int, height: int, fps: int, upscale: int) -> Any:
    """The still as ``frames`` frames of its move. A move that holds still needs no zoompan: the still,
    at the output size, repeated (what zoompan would draw, for a fraction of the CPU)."""
    picture = ffmpeg.input(still)
    if holds_still(camera):
        picture = picture.filter("scale", w=width, h=height, flags="lanczos").filter("loop", loop=frames - 1, size=1)
        return picture.filter("setpts", f"N/{fps}/TB")
    return picture.filter("scale", w=width * upscale, h=height * upscale, flags="lanczos").filter(
        "zoompan", d=frames, s=f"{width}x{height}", fps=fps, **zoompan_expressions(camera, frames)
    )


class KenBurnsOptions(MotionOptions):
    upscale: int = Field(2, ge=1, le=8, description="Upscale before zoompan, so slow moves do not jitter.")


class KenBurnsMotion(Stage):
    name = "motion"
    backend = "kenburns"
    version = "6"  # 6: the keyframe's badge boxes passed on (the gates check no text covers one)
    resources = Resources(num_cpus=1)
    Options = KenBurnsOptions
    options: KenBurnsOptions

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job = JobContext.model_validate(params["job"])
        shot = Shot.model_validate(params["shot"])
        keyframe = inputs["keyframe"]
        assert isinstance(keyframe, Artifact)
        upscale = self.options.upscale
        frames = frame_count(shot.duration, job.fps)
        clip = out / "clip.mp4"

        stream = (
            moving_picture(str(keyframe.file()), shot.camera, frames, job.width, job.height, job.fps, upscale)
            .filter("format", pix_fmts="yuv420p")
            .output(
                str(clip),
                vcodec="libx264",
                qp=0,
                preset="ultrafast",
                r=job.fps,
                **{"frames:v": frames, "movflags": "+faststart"},
            )
        )
        run_ffmpeg(stream, f"motion {shot.id}")
        info = probe(clip)
        return {
            "file": "clip.mp4",
            "duration": round(frames / job.fps, 3),
            "frames": frames,
            "fps": job.fps,
            "width": info.width,
            "height": info.height,
            "camera": shot.camera,
            # Every frame the same picture (the mux then draws its frames from the first: stages.mux.segments).
            "still": holds_still(shot.camera),
            # Each badge's box on the keyframe: the mux follows it through this move (stages.mux.badges).
            "badges": keyframe.meta.get("badges", []),
            # Where each person stands, in the clip's own pixels: exact only while the camera holds still.
            **({"people": keyframe.meta.get("people", [])} if shot.camera == "static" else {}),
        }
