"""Character sheets and keyframes from a diffusers text-to-image pipeline.

Consistency of a character across shots comes from three things: a fixed per-character seed, the same
appearance text in every prompt, and the character sheet (made first) given as the IP-Adapter reference
for every shot of that character when the profile names an adapter and the pipeline supports one.
The image is generated at the job's aspect within the model's native size, then resized to the job's
exact width×height, so these files drop in wherever the card backend's do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from stages.base import Artifact, Inputs, ModelFamily, Resources
from stages.model_stage import ModelOptions, ModelStage
from stages.pipelines.diffusion import ImageRequest, TextToImage
from stages.shapes import generation_size, stable_seed
from stages.strict import StrictModel

TEXT_TO_IMAGE = ModelFamily("text-to-image", "workers.families:TextToImageWorker", TextToImage.default_model)
DEFAULT_NEGATIVE = "blurry, low quality, deformed, extra limbs, watermark, text, logo"

SIZE_WORDS = {
    "close-up": "close-up shot of the face",
    "medium close-up": "medium close-up, head and shoulders",
    "medium": "medium shot, waist up",
    "full": "full shot, whole body",
    "wide": "wide establishing shot",
}


class IPAdapterOptions(StrictModel):
    """An IP-Adapter for the pipeline: the lead character's sheet then conditions every keyframe."""

    repo: str = Field(description="Hugging Face id or folder of the adapter weights.")
    weight_name: str = Field(description="The weights file inside ``subfolder``.")
    subfolder: str = "models"
    scale: float = Field(0.6, ge=0, le=2, description="How strongly the sheet steers the picture.")


class TextToImageOptions(ModelOptions):
    max_side: int = Field(1024, ge=8, le=4096, description="Longest side generated at; then resized to the job's size.")
    multiple: int = Field(16, ge=1, le=128, description="Both sides a multiple of this (8 for SD, 16 for FLUX).")
    negative_prompt: str = Field(DEFAULT_NEGATIVE, max_length=2000)
    steps: int = Field(4, ge=1, le=200, description="Denoising steps.")
    guidance: float = Field(0.0, ge=0, le=50, description="Classifier-free guidance scale (0 for distilled models).")
    variant: str | None = Field(None, description="Weights variant to load, e.g. fp16.")
    ip_adapter: IPAdapterOptions | None = None


class _TextToImageStage(ModelStage):
    """Shared by both stages: options, model loading, and the batch protocol of ``workers.pool``."""

    version: ClassVar[str] = "1"
    resources: ClassVar[Resources] = Resources(num_cpus=1, num_gpus=1)
    family = TEXT_TO_IMAGE
    Options = TextToImageOptions
    options: TextToImageOptions
    file_name: ClassVar[str] = "image.png"
    model_class = TextToImage

    # --- what the options say

    def _size(self, job: dict[str, Any]) -> tuple[int, int]:
        return generation_size(int(job["width"]), int(job["height"]), self.options.max_side, self.options.multiple)

    def _request(self, unit: str, prompt: str, seed: int, job: dict[str, Any], reference: Any = None) -> ImageRequest:
        width, height = self._size(job)
        return ImageRequest(
            unit=unit,
            prompt=prompt,
            negative_prompt=self.options.negative_prompt,
            seed=seed,
            width=width,
            height=height,
            steps=self.options.steps,
            guidance=self.options.guidance,
            reference=reference,
        )

    # --- the batch protocol (workers.pool.BatchableStage)

    def compute(self, requests: list[ImageRequest]) -> list[Any]:
        return self.model.generate(requests)

    def unit_of(self, request: ImageRequest) -> str:
        return request.unit

    def finish(self, image: Any, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        from PIL import Image

        job = params["job"]
        size = (int(job["width"]), int(job["height"]))
        final = image.convert("RGB")
        if final.size != size:
            final = final.resize(size, Image.Resampling.LANCZOS)
        final.save(out / self.file_name)
        return {
            "file": self.file_name,
            "width": size[0],
            "height": size[1],
            "model": self.model.model_id,
            "generated_size": list(image.size),
        }

    def run(self, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        request = self.prepare(params, inputs)
        return self.finish(self.compute([request])[0], params, inputs, out)

    def prepare(self, params: dict[str, Any], inputs: Inputs) -> ImageRequest:  # pragma: no cover - abstract
        raise NotImplementedError


def keyframe_seed(params: dict[str, Any], characters: list[dict[str, Any]]) -> int:
    """A re-roll's seed when a failed gate set one, else the lead character's seed (their look and the
    framing noise stay stable shot to shot), else one derived from the shot."""
    if params.get("seed") is not None:
        return int(params["seed"])
    job = params["job"]
    return (
        character_seed(job, characters[0])
        if characters
        else stable_seed("shot", job.get("seed", 0), params["shot"]["id"])
    )


def character_seed(job: dict[str, Any], character: dict[str, Any]) -> int:
    """The character's fixed seed (from the spec, else derived from the name), offset by the job seed."""
    return stable_seed("character", job.get("seed", 0), character.get("seed", 0), character["name"])


def _style(job: dict[str, Any]) -> str:
    return f", {job['style']}" if job.get("style") else ""


class CharacterSheetDiffusion(_TextToImageStage):
    """A character's reference sheet: neutral pose, plain background, the appearance text in full."""

    name: ClassVar[str] = "character"
    backend: ClassVar[str] = "diffusers"
    file_name: ClassVar[str] = "sheet.png"

    def prepare(self, params: dict[str, Any], inputs: Inputs) -> ImageRequest:
        job, character = params["job"], params["character"]
        appearance = character.get("appearance") or "a person"
        prompt = (
            f"character reference sheet of {character['name']}, {appearance}, full body, front view, "
            f"neutral expression, plain light grey background, even studio lighting{_style(job)}"
        )
        return self._request(character["name"], prompt, character_seed(job, character), job)

    def finish(self, image: Any, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        meta = super().finish(image, params, inputs, out)
        character = params["character"]
        meta.update(character=character["name"], seed=character_seed(params["job"], character))
        return meta


class KeyframeDiffusion(_TextToImageStage):
    """A shot's first frame: the shot prompt, its framing, and each character's appearance and seed."""

    name: ClassVar[str] = "keyframe"
    backend: ClassVar[str] = "diffusers"
    file_name: ClassVar[str] = "keyframe.png"

    def prepare(self, params: dict[str, Any], inputs: Inputs) -> ImageRequest:
        job, shot, scene = params["job"], params["shot"], params.get("scene") or {}
        # In the shot's order: the storyboard puts the shot's focus (its lead) first.
        known = {c["name"]: c for c in params.get("characters") or []}
        characters = [known[name] for name in shot.get("characters", []) if name in known]
        parts = [SIZE_WORDS.get(shot.get("size", ""), shot.get("size", "")), shot.get("prompt", "")]
        if shot.get("action") and shot["action"] not in shot.get("prompt", ""):
            parts.append(shot["action"])
        for c in characters:
            parts.append(f"{c['name']}: {c.get('appearance') or 'a person'}")
        if scene.get("location"):
            parts.append(
                f"{'interior' if scene.get('interior') else 'exterior'} {scene['location']}, {scene.get('time', '')}"
            )
        prompt = ", ".join(p for p in parts if p) + _style(job)
        # The lead character's seed keeps their look (and the framing noise) stable shot to shot.
        seed = keyframe_seed(params, characters)
        reference = self._reference(characters, params.get("characters") or [], inputs)
        return self._request(shot["id"], prompt, seed, job, reference=reference)

    def _reference(self, characters: list[dict[str, Any]], cast: list[dict[str, Any]], inputs: Inputs) -> Any:
        """The lead character's sheet, used as the IP-Adapter image (when the model has an adapter).

        The planner hands the sheets in the order of ``params["characters"]``; a sheet's own metadata
        (``character`` from this backend, ``name`` from the card backend) is the fallback.
        """
        if not characters or not self.model.uses_reference:
            return None
        sheets = inputs.get("characters") or []
        sheets = [s for s in (sheets if isinstance(sheets, list) else [sheets]) if isinstance(s, Artifact)]
        lead = characters[0]["name"]
        by_name = {c["name"]: s for c, s in zip(cast, sheets, strict=False)} if len(cast) == len(sheets) else {}
        for sheet in sheets:
            by_name.setdefault(sheet.meta.get("character") or sheet.meta.get("name") or "", sheet)
        sheet = by_name.get(lead)
        if sheet is None:
            return None
        from PIL import Image

        with Image.open(sheet.file("sheet.png")) as image:
            return image.convert("RGB")

    def finish(self, image: Any, params: dict[str, Any], inputs: Inputs, out: Path) -> dict[str, Any]:
        meta = super().finish(image, params, inputs, out)
        meta["shot"] = params["shot"]["id"]
        known = {c["name"]: c for c in params.get("characters") or []}
        meta["seed"] = keyframe_seed(params, [known[n] for n in params["shot"].get("characters", []) if n in known])
        return meta
