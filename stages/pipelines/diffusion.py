"""Text-to-image family: any diffusers text-to-image pipeline (SD-Turbo, SDXL, FLUX class) by id or path.

Loaded once per worker; ``generate`` takes several requests and runs them in as few pipeline calls as
their settings allow (one call per group of equal size, steps and guidance), so a pool with
``batch_size > 1`` turns N shots into one batched denoising loop.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

from stages.pipelines import interrupt
from stages.pipelines.loading import LoadedModel, load_pretrained

if TYPE_CHECKING:
    from stages.keyframe.diffusion import TextToImageOptions


@dataclass(frozen=True)
class ImageRequest:
    unit: str  # shot or character id, for error messages
    prompt: str
    negative_prompt: str
    seed: int
    width: int
    height: int
    steps: int
    guidance: float
    reference: Any = field(default=None, compare=False)  # PIL image for IP-Adapter, or None


class TextToImage(LoadedModel):
    default_model = "black-forest-labs/FLUX.1-schnell"
    options: TextToImageOptions

    def _load_pretrained(self) -> Any:
        import torch  # noqa: F401 - dtype objects
        from diffusers import AutoPipelineForText2Image

        kwargs: dict[str, Any] = {"torch_dtype": self.settings.torch_dtype()}
        if self.options.variant:
            kwargs["variant"] = self.options.variant
        pipe = load_pretrained(self.model_id, AutoPipelineForText2Image.from_pretrained, **kwargs)
        adapter = self.options.ip_adapter
        if adapter and hasattr(pipe, "load_ip_adapter"):
            load_pretrained(
                adapter.repo,
                lambda repo, **kw: pipe.load_ip_adapter(
                    repo, subfolder=adapter.subfolder, weight_name=adapter.weight_name, **kw
                ),
            )
            pipe.set_ip_adapter_scale(adapter.scale)
            self.uses_reference = True
        return pipe

    uses_reference = False

    def _accepts(self, name: str) -> bool:
        return name in inspect.signature(self.pipe.__call__).parameters

    def generate(self, requests: list[ImageRequest]) -> list[Any]:
        """One PIL image per request, in order."""
        self.load()
        images: dict[int, Any] = {}
        indexed = sorted(enumerate(requests), key=lambda ir: self._group(ir[1]))
        for _, group in groupby(indexed, key=lambda ir: self._group(ir[1])):
            members = list(group)
            first = members[0][1]
            kwargs: dict[str, Any] = {
                "prompt": [r.prompt for _, r in members],
                "height": first.height,
                "width": first.width,
                "num_inference_steps": first.steps,
                "guidance_scale": first.guidance,
                "generator": [self.generator(r.seed) for _, r in members],
            }
            if first.guidance > 1 and self._accepts("negative_prompt"):
                kwargs["negative_prompt"] = [r.negative_prompt for _, r in members]
            if self.uses_reference and all(r.reference is not None for _, r in members):
                kwargs["ip_adapter_image"] = [r.reference for _, r in members]
            output = interrupt.call(self.pipe, ", ".join(r.unit for _, r in members), **kwargs)
            for (index, _), image in zip(members, output.images, strict=True):
                images[index] = image
        return [images[i] for i in range(len(requests))]

    @staticmethod
    def _group(request: ImageRequest) -> tuple:
        return (request.width, request.height, request.steps, request.guidance, request.reference is None)
