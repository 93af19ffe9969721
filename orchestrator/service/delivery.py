"""What a studio gets back: ``delivery.json`` lists the job's files with size and sha256.

The driver writes it last (atomically), after the episodes, storyboard and manifest are in the job's
folder in the store; ``kaipai fetch`` downloads exactly these files and checks each against it, so a
fetched episode is the one the run made, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from orchestrator.manifest import write_atomic

DELIVERY = "delivery.json"
EPISODE_FILES = ("episode.mp4", "episode.srt", "cover.jpg")
TOP_FILES = ("manifest.json", "storyboard.json")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def delivered_files(out: Path) -> list[Path]:
    files = [out / name for name in TOP_FILES]
    for episode in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files += [episode / name for name in EPISODE_FILES]
    return [f for f in files if f.is_file()]


def write_delivery(out: Path) -> dict[str, Any]:
    entries = {
        f.relative_to(out).as_posix(): {"size": f.stat().st_size, "sha256": sha256_of(f)} for f in delivered_files(out)
    }
    document = {"files": entries}
    write_atomic(out / DELIVERY, json.dumps(document, ensure_ascii=False, indent=2))
    return document
