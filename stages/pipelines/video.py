"""Image-to-video family: Wan2.1 I2V, LTX-Video and CogVideoX-class diffusers pipelines.

The profile picks the pipeline (``pipeline: wan-i2v|ltx-i2v|cogvideox-i2v``) and the model id. Each
pipeline has its own rules for frame counts and sizes; :class:`VideoKind` holds them so the stage can
ask for "about N frames at W×H" and get a size and count the pipeline accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

from stages.pipelines import interrupt
from stages.pipelines.loading import LoadedModel, load_pretrained

if TYPE_CHECKING:
    from stages.motion.diffusion import ImageToVideoOptions


@dataclass(frozen=True)
class VideoKind:
    pipeline_class: str
    frame_step: int  # valid frame counts are frame_step * k + 1
    multiple: int  # width and height must be multiples of this
    fps: int  # the frame rate the model was trained at
    batches: bool  # whether one call may take several images and prompts
    default_model: str

    def frames(self, wanted: int) -> int:
        k = max(1, round((max(2, wanted) - 1) / self.frame_step))
        return self.frame_step * k + 1


KINDS: dict[str, VideoKind] = {
    "ltx-i2v": VideoKind("LTXImageToVideoPipeline", 8, 32, 24, True, "Lightricks/LTX-Video"),
    "wan-i2v": VideoKind("WanImageToVideoPipeline", 4, 16, 16, False, "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers"),
    "cogvideox-i2v": VideoKind("CogVideoXImageToVideoPipeline", 8, 16, 8, False, "THUDM/CogVideoX-5b-I2V"),
}

TINY_KINDS = {"tiny:ltx": "ltx-i2v"}


DEFAULT_MODEL = "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers"  # when the options name neither model nor pipeline


def kind_of(options: ImageToVideoOptions) -> str:
    """``options.pipeline``, else guessed from the model id (Wan…, CogVideoX…, LTX…), else LTX."""
    model = options.chosen_model() or DEFAULT_MODEL
    guessed = next(
        (
            kind
            for word, kind in (("wan", "wan-i2v"), ("cogvideo", "cogvideox-i2v"), ("ltx", "ltx-i2v"))
            if word in model.lower()
        ),
        "ltx-i2v",
    )
    return options.pipeline or TINY_KINDS.get(model, guessed)


@dataclass(frozen=True)
class VideoRequest:
    unit: str  # shot id
    image: Any = field(compare=False)  # PIL keyframe, already at the generation size
    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    frames: int
    steps: int
    guidance: float


class ImageToVideo(LoadedModel):
    default_model = DEFAULT_MODEL
    options: ImageToVideoOptions

    def __init__(self, options: ImageToVideoOptions) -> None:
        self.kind_name = kind_of(options)
        self.kind = KINDS[self.kind_name]
        super().__init__(options)

    def _load_pretrained(self) -> Any:
        import diffusers
        import torch

        pipeline_class = getattr(diffusers, self.kind.pipeline_class)
        dtype = self.settings.torch_dtype()
        kwargs: dict[str, Any] = {"torch_dtype": dtype}
        if self.kind_name == "wan-i2v":
            # Wan's VAE and CLIP image encoder lose too much in half precision: keep them float32.
            kwargs["vae"] = load_pretrained(
                self.model_id, diffusers.AutoencoderKLWan.from_pretrained, subfolder="vae", torch_dtype=torch.float32
            )
        pipe = load_pretrained(self.model_id, pipeline_class.from_pretrained, **kwargs)
        if self.options.vae_tiling and hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
            pipe.vae.enable_tiling()
        return pipe

    def generate(self, requests: list[VideoRequest]) -> list[Any]:
        """Per request, the frames as a float array (frames, height, width, 3) in [0, 1]."""
        self.load()
        results: dict[int, Any] = {}
        group_key = (
            (lambda ir: (ir[1].width, ir[1].height, ir[1].frames, ir[1].steps, ir[1].guidance))
            if self.kind.batches
            else (lambda ir: ir[0])
        )
        for _, group in groupby(sorted(enumerate(requests), key=group_key), key=group_key):
            members = list(group)
            first = members[0][1]
            kwargs: dict[str, Any] = {
                "image": [r.image for _, r in members] if self.kind.batches else first.image,
                "prompt": [r.prompt for _, r in members] if self.kind.batches else first.prompt,
                "negative_prompt": (
                    [r.negative_prompt for _, r in members] if self.kind.batches else first.negative_prompt
                ),
                "height": first.height,
                "width": first.width,
                "num_frames": first.frames,
                "num_inference_steps": first.steps,
                "guidance_scale": first.guidance,
                "generator": (
                    [self.generator(r.seed) for _, r in members] if self.kind.batches else self.generator(first.seed)
                ),
                "output_type": "np",
            }
            if self.kind_name == "ltx-i2v":
                kwargs["frame_rate"] = self.kind.fps
            if self.settings.tiny:
                kwargs["max_sequence_length"] = 16
            frames = interrupt.call(self.pipe, ", ".join(r.unit for _, r in members), **kwargs).frames
            for (index, _), video in zip(members, frames, strict=True):
                results[index] = video
        return [results[i] for i in range(len(requests))]
