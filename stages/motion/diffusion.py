"""Motion clips from an image-to-video diffusion model, conditioned on the shot's keyframe and prompt.

The model makes N frames at its own frame rate; the clip is then retimed to exactly the shot's planned
duration and the job's frame rate and size by ffmpeg (raw RGB frames piped in, argument lists only),
so the result drops in wherever the Ken Burns backend's ``clip.mp4`` does.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from stages.base import Artifact, Inputs, ModelFamily, Resources
from stages.media.ffmpeg_run import DEFAULT_TIMEOUT, FFMPEG, MediaError, stderr_tail
from stages.media.probe import probe
from stages.media.x264 import Crf, Preset
from stages.model_stage import ModelOptions, ModelStage
from stages.motion.options import MotionOptions
from stages.pipelines.video import KINDS, ImageToVideo, VideoRequest
from stages.shapes import generation_size, stable_seed

IMAGE_TO_VIDEO = ModelFamily("image-to-video", "workers.families:ImageToVideoWorker", ImageToVideo.default_model)
DEFAULT_NEGATIVE = "worst quality, inconsistent motion, blurry, jittery, distorted"

CAMERA_WORDS = {
    "static": "static camera",
    "push-in": "slow push-in towards the subject",
    "pull-out": "slow pull-out away from the subject",
    "pan": "smooth horizontal pan",
    "track": "tracking shot moving alongside",
    "follow": "camera follows the subject",
}


def encode_clip(
    frames: Any,
    model_fps: float,
    out: Path,
    width: int,
    height: int,
    fps: int,
    duration: float,
    crf: int = 20,
    preset: str = "veryfast",
) -> int:
    """Frames (n, h, w, 3) floats in [0, 1] → H.264 ``out``: ``duration`` s at ``fps``, width×height.

    The frames are stretched in time (setpts) to span the duration, the last one held to cover
    rounding, and scaled to the job's size. Raw RGB goes to ffmpeg's stdin (argument list, no shell).
    Returns the number of frames written (``round(duration * fps)``, as the Ken Burns backend does).
    """
    import ffmpeg
    import numpy as np

    data = (np.clip(np.asarray(frames, dtype=np.float32), 0.0, 1.0) * 255).round().astype(np.uint8)
    count, h, w, _ = data.shape
    factor = duration / (count / model_fps)
    total = max(1, round(duration * fps))
    stream = (
        ffmpeg.input("pipe:", format="rawvideo", pix_fmt="rgb24", s=f"{w}x{h}", framerate=model_fps)
        .filter("setpts", f"{factor:.6f}*PTS")
        .filter("scale", width, height, flags="bicubic")
        .filter("tpad", stop_mode="clone", stop_duration=f"{max(1.0, 2 * factor / model_fps):.3f}")
        .filter("fps", fps=fps)
        .filter("format", pix_fmts="yuv420p")
        .output(
            str(out), vcodec="libx264", crf=crf, preset=preset, r=fps, **{"frames:v": total, "movflags": "+faststart"}
        )
    )
    args = ffmpeg.compile(stream, cmd=FFMPEG, overwrite_output=True)
    args = [args[0], "-nostdin", "-hide_banner", "-loglevel", "error", *args[1:]]
    try:
        done = subprocess.run(args, input=data.tobytes(), capture_output=True, timeout=DEFAULT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise MediaError("motion: ffmpeg is not installed (apt-get install ffmpeg)") from None
    except subprocess.TimeoutExpired as exc:
        tail = stderr_tail(exc.stderr)
        raise MediaError(f"motion: ffmpeg ran past {DEFAULT_TIMEOUT:.0f}s\n{tail}") from None
    if done.returncode != 0:
        raise MediaError(f"motion: ffmpeg exited {done.returncode}\n{stderr_tail(done.stderr)}")
    return total


class ImageToVideoOptions(ModelOptions, MotionOptions):
    pipeline: Literal["ltx-i2v", "wan-i2v", "cogvideox-i2v"] | None = Field(
        None, description="The diffusers pipeline; empty: guessed from the model id."
    )
    max_side: int = Field(768, ge=16, le=4096, description="Longest side generated at; then resized to the job's.")
    multiple: int | None = Field(None, ge=1, le=128, description="Sides a multiple of this; empty: the pipeline's.")
    negative_prompt: str = Field(DEFAULT_NEGATIVE, max_length=2000)
    steps: int = Field(8, ge=1, le=200, description="Denoising steps.")
    guidance: float = Field(3.0, ge=0, le=50, description="Classifier-free guidance scale.")
    frames: int | None = Field(None, ge=1, le=1024, description="Frames to generate; empty: the shot at model fps.")
    max_frames: int = Field(121, ge=1, le=1024, description="At most this many frames per clip.")
    fps: float | None = Field(None, gt=0, le=120, description="The model's frame rate; empty: the pipeline's.")
    crf: Crf = 20
    preset: Preset = "veryfast"
    vae_tiling: bool = Field(True, description="Decode the VAE in tiles (less GPU memory).")

    def chosen_model(self) -> str | None:
        """The named model, else the named pipeline's usual model."""
        if self.model:
            return self.model
        return KINDS[self.pipeline].default_model if self.pipeline else None


class ImageToVideoMotion(ModelStage):
    name: ClassVar[str] = "motion"
    backend: ClassVar[str] = "diffusers"
    version: ClassVar[str] = "1"
    resources: ClassVar[Resources] = Resources(num_cpus=1, num_gpus=1)
    family = IMAGE_TO_VIDEO
    Options = ImageToVideoOptions
    options: ImageToVideoOptions
    model_class = ImageToVideo

    # --- the batch protocol (workers.pool.BatchableStage)

    def prepare(self, params: dict[str, Any], inputs: Inputs) -> VideoRequest:
        from PIL import Image

        job, shot = params["job"], params["shot"]
        kind = self.model.kind
        width, height = generation_size(
            int(job["width"]),
            int(job["height"]),
            self.options.max_side,
            max(kind.multiple, self.options.multiple or kind.multiple),
        )
        keyframe = inputs["keyframe"]
        if isinstance(keyframe, list):
            keyframe = keyframe[0]
        assert isinstance(keyframe, Artifact)
        image = (
            Image.open(keyframe.file("keyframe.png")).convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
        )
        parts = (
            shot.get("prompt", ""),
            shot.get("action", ""),
            CAMERA_WORDS.get(shot.get("camera", ""), ""),
            job.get("style", ""),
        )
        prompt = ", ".join(p for p in parts if p)
        return VideoRequest(
            unit=shot["id"],
            image=image,
            prompt=prompt,
            negative_prompt=self.options.negative_prompt,
            seed=motion_seed(params),
            width=width,
            height=height,
            frames=kind.frames(self._wanted_frames(float(shot["duration"]))),
            steps=self.options.steps,
            guidance=self.options.guidance,
        )

    def _wanted_frames(self, duration: float) -> int:
        """The frames to generate: ``frames`` from the options if set, else the shot at model fps, capped."""
        if self.options.frames:
            return self.options.frames
        return min(self.options.max_frames, math.ceil(duration * self.model_fps))

    @property
    def model_fps(self) -> float:
        return float(self.options.fps or self.model.kind.fps)

    def compute(self, requests: list[VideoRequest]) -> list[Any]:
        return self.model.generate(requests)

    def unit_of(self, request: VideoRequest) -> str:
        return request.unit

    def finish(self, frames: Any, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        job, shot = params["job"], params["shot"]
        fps = int(job["fps"])
        clip = out / "clip.mp4"
        frames_out = encode_clip(
            frames,
            self.model_fps,
            clip,
            int(job["width"]),
            int(job["height"]),
            fps,
            float(shot["duration"]),
            crf=self.options.crf,
            preset=self.options.preset,
        )
        info = probe(clip)
        return {
            "file": "clip.mp4",
            "duration": round(frames_out / fps, 3),
            "frames": frames_out,
            "fps": fps,
            "width": info.width,
            "height": info.height,
            "camera": shot.get("camera"),
            "seed": motion_seed(params),
            "shot": shot["id"],
            "model": self.model.model_id,
            "generated_frames": len(frames),
            "model_fps": self.model_fps,
        }

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        request = self.prepare(params, inputs)
        return self.finish(self.compute([request])[0], params, inputs, out)


def motion_seed(params: dict[str, Any]) -> int:
    """A re-roll's seed when a failed gate set one, else one derived from the job and the shot."""
    if params.get("seed") is not None:
        return int(params["seed"])
    return stable_seed("motion", params["job"].get("seed", 0), params["shot"]["id"])
