"""Before a run starts: are the profile's models on this machine? One clear message, not a failed pool.

``missing_models(profile)`` looks at every model-backed stage's model (the one its options name, else
its family's default) and IP-Adapter, and checks
the Hugging Face cache (``HF_HOME``) or the local folder, without loading anything or touching the
network. ``kaipai run`` can call it and stop with exit 2 when it is offline and something is missing;
when online, from_pretrained would download, so only the offline case is an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stages.pipelines.loading import ModelMissing, offline
from stages.pipelines.tiny import BUILDERS, TINY_PREFIX, is_tiny
from stages.registry import stage_class


def models_of(profile: Any) -> list[tuple[str, str]]:
    """(stage, model id or path) for every model-backed stage of the profile, adapters included."""
    found = []
    for stage, settings in profile.stages.items():
        family = stage_class(stage, settings.backend).family
        if family is None:
            continue
        options = settings.options
        found.append((stage, options.chosen_model() or family.default_model))
        adapter = getattr(options, "ip_adapter", None)
        if adapter is not None:
            found.append((stage, adapter.repo))
    return found


def is_available(model: str) -> bool:
    """True for a tiny model, an existing folder, or a Hub id with a snapshot in the local cache."""
    if is_tiny(model):
        return model.removeprefix(TINY_PREFIX) in BUILDERS
    if model.startswith((".", "/", "~")):
        return Path(model).expanduser().is_dir()
    from huggingface_hub import snapshot_download

    try:
        snapshot_download(model, local_files_only=True)
    except Exception:  # LocalEntryNotFoundError, or a malformed id: either way, not here
        return False
    return True


def missing_models(profile: Any, *, only_when_offline: bool = True) -> list[tuple[str, ModelMissing]]:
    """(stage, error) for each model the profile needs that is not on this machine."""
    if only_when_offline and not offline():
        return []
    return [(stage, ModelMissing(model)) for stage, model in models_of(profile) if not is_available(model)]
