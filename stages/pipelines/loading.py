"""What every model family shares: device and dtype from the profile, loading once, clear failures.

A stage's typed options (``stages.model_stage.ModelOptions``) carry ``model`` (a Hugging Face id, a local
folder, or ``tiny:<name>``), ``device``, ``dtype``, ``cpu_offload`` and ``threads``. A model that
is not on disk fails once at start-up with :class:`ModelMissing`, which says how to fetch it, instead of
every shot failing with a cache miss deep inside ``from_pretrained``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from stages.pipelines.tiny import is_tiny, tiny_model

if TYPE_CHECKING:
    from stages.model_stage import ModelOptions

T = TypeVar("T")


class ModelMissing(RuntimeError):
    """A model's weights are not available here. Raised once, at worker start-up, never per shot."""

    def __init__(self, model_id: str, reason: str = "") -> None:
        self.model_id = model_id
        self.reason = reason
        offline = os.environ.get("HF_HUB_OFFLINE") == "1"
        if model_id.startswith((".", "/", "~")):
            super().__init__(
                f"model folder {model_id!r} does not exist; give the folder a model was downloaded "
                "to (`hf download <id> --local-dir <folder>`) or a Hugging Face model id"
            )
            return
        hint = (
            f"model {model_id!r} is not available{' offline' if offline else ''}"
            + (f" ({reason})" if reason else "")
            + f". Fetch it on a machine with network: `hf download {model_id}` "
            f"(or `huggingface-cli download {model_id}`), then point HF_HOME at that cache on this "
            "machine, or give the model's local folder as `model:` in the profile."
        )
        super().__init__(hint)

    def __reduce__(self):  # Ray pickles exceptions across processes
        return (ModelMissing, (self.model_id, self.reason))


class ShotOutOfMemory(RuntimeError):
    """Out of (GPU) memory even at batch size 1: names the unit so the operator knows which shot."""

    def __init__(self, unit: str, detail: str = "") -> None:
        self.unit = unit
        self.detail = detail
        super().__init__(
            f"out of memory on {unit} even at batch size 1"
            + (f": {detail}" if detail else "")
            + "; lower the resolution, frames or steps, use float16/bfloat16, or set cpu_offload"
        )

    def __reduce__(self):
        return (ShotOutOfMemory, (self.unit, self.detail))


@dataclass(frozen=True)
class ModelSettings:
    """Which weights a model family loads and how, from a stage's (already validated) options."""

    model: str
    device: str = "auto"
    dtype: str = "float32"
    cpu_offload: bool = False

    @classmethod
    def from_options(cls, options: ModelOptions, default_model: str) -> ModelSettings:
        model = options.chosen_model() or default_model
        return cls(model=model, device=options.device, dtype=options.dtype, cpu_offload=options.cpu_offload)

    @property
    def tiny(self) -> bool:
        return is_tiny(self.model)

    def torch_device(self) -> str:
        import torch

        if self.device == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return self.device

    def torch_dtype(self) -> Any:
        """The dtype to load with. Half precision on a CPU is slow or unsupported, so CPU stays float32."""
        import torch

        if self.torch_device() == "cpu":
            return torch.float32
        return getattr(torch, self.dtype)


def set_threads(options: ModelOptions) -> None:
    """``options.threads``: torch's CPU threads in this worker (a CPU pool shares the cores fairly)."""
    if options.threads:
        import torch

        torch.set_num_threads(options.threads)


def offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"


def load_pretrained(model_id: str, loader: Callable[..., T], **kwargs: Any) -> T:
    """``loader(model_id, **kwargs)`` (a ``from_pretrained``), turning a missing model into ModelMissing.

    A local folder is used as it is; an id is looked up in the Hugging Face cache (``local_files_only``
    when offline).
    """
    if is_tiny(model_id):
        raise ValueError("tiny models are built, not loaded; use stages.pipelines.tiny.tiny_model")
    local = Path(model_id).expanduser()
    if model_id.startswith((".", "/", "~")) and not local.exists():
        raise ModelMissing(model_id, "no such folder")
    if offline() and not local.exists():
        kwargs.setdefault("local_files_only", True)
    try:
        return loader(str(local) if local.exists() else model_id, **kwargs)
    except (OSError, ValueError) as exc:
        text = str(exc)
        missing_words = (
            "does not appear to have",
            "not found",
            "couldn't connect",
            "cannot find",
            "local_files_only",
            "offline",
            "no such file",
            "is not a local folder",
            "repository not found",
            "not a valid model identifier",
        )
        if any(word in text.lower() for word in missing_words):
            raise ModelMissing(model_id, text.splitlines()[0][:200]) from None
        raise


def load_tiny(model_id: str) -> Any:
    return tiny_model(model_id)


def memory_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean 'this batch does not fit': CUDA OOM and the CPU's MemoryError."""
    import torch

    errors: list[type[BaseException]] = [MemoryError]
    oom = getattr(torch.cuda, "OutOfMemoryError", None) or getattr(torch, "OutOfMemoryError", None)
    if oom is not None:
        errors.append(oom)
    return tuple(errors)


def free_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def run_batched(
    items: list[T], batch_size: int, call: Callable[[list[T]], list[Any]], unit_of: Callable[[T], str]
) -> list[Any]:
    """``call`` over ``items`` in batches; a batch that runs out of memory is halved and retried.

    At batch size 1 an out-of-memory becomes :class:`ShotOutOfMemory` naming the unit (shot id).
    """
    errors = memory_errors()
    results: list[Any] = []
    start = 0
    size = max(1, batch_size)
    while start < len(items):
        chunk = items[start : start + size]
        try:
            results.extend(call(chunk))
        except errors as exc:
            free_memory()
            if len(chunk) == 1:
                raise ShotOutOfMemory(unit_of(chunk[0]), str(exc).splitlines()[0][:200] if str(exc) else "") from None
            size = max(1, len(chunk) // 2)
            continue
        start += len(chunk)
    return results


class LoadedModel:
    """A model family's pipeline, loaded once per worker. ``loads`` counts real loads (tests assert 1)."""

    default_model = ""  # what a family loads when the options name no model (its stages' family reads it)

    def __init__(self, options: ModelOptions) -> None:
        self.settings = ModelSettings.from_options(options, self.default_model)
        self.options = options
        self.model_id = self.settings.model
        self.device = "cpu"
        self.loads = 0
        self.pipe: Any = None

    def load(self) -> None:
        """Load (or build, for ``tiny:``) the pipeline and place it. Idempotent: loads once."""
        if self.pipe is not None:
            return
        set_threads(self.options)
        self.device = self.settings.torch_device()
        self.pipe = load_tiny(self.model_id) if self.settings.tiny else self._load_pretrained()
        self._place()
        self.loads += 1

    def _load_pretrained(self) -> Any:
        raise NotImplementedError

    def _place(self) -> None:
        """Device and CPU offload for a diffusers pipeline (transformers families override)."""
        pipe = self.pipe
        offload = self.settings.cpu_offload and self.device.startswith("cuda")
        if offload and hasattr(pipe, "enable_model_cpu_offload"):
            pipe.enable_model_cpu_offload()
        elif hasattr(pipe, "to"):
            pipe.to(self.device)
        if hasattr(pipe, "set_progress_bar_config"):
            pipe.set_progress_bar_config(disable=True)

    def generator(self, seed: int) -> Any:
        import torch

        device = "cpu" if self.settings.cpu_offload else self.device
        return torch.Generator(device=device).manual_seed(int(seed) % (2**63))

    def unload(self) -> None:
        self.pipe = None
        free_memory()


class TransformersModel(LoadedModel):
    """A transformers model with its tokenizer (the chat and translation families), loaded once."""

    auto_model = ""  # the transformers auto class that loads it, e.g. "AutoModelForCausalLM"

    def __init__(self, options: ModelOptions) -> None:
        super().__init__(options)
        self.tokenizer: Any = None

    def load(self) -> None:
        if self.pipe is not None:
            return
        set_threads(self.options)
        self.device = self.settings.torch_device()
        if self.settings.tiny:
            self.pipe, self.tokenizer = load_tiny(self.model_id)
        else:
            import transformers

            self.tokenizer = load_pretrained(self.model_id, transformers.AutoTokenizer.from_pretrained)
            auto = getattr(transformers, self.auto_model)
            self.pipe = load_pretrained(self.model_id, auto.from_pretrained, **self._model_kwargs())
        if getattr(self.pipe, "hf_device_map", None) is None:  # accelerate placed it already otherwise
            self.pipe.to(self.device)
        self.pipe.eval()
        self._check_loaded()
        self.loads += 1

    def _model_kwargs(self) -> dict[str, Any]:
        return {"dtype": self.settings.torch_dtype()}

    def _check_loaded(self) -> None:
        """Refuse a model that loaded but cannot serve this family (override)."""
