"""Parts: content-keyed pieces of artifacts, which later artifacts of the same stage reuse.

An artifact's key hashes every input, so a one-line edit gives its shot's mux a new key, and nothing
of the old artifact is used, though most of the shot's picture is the same. A stage that can tell
which pieces of its output are unchanged (the mux's segments: ``stages.mux.segments``) keys each
piece by its own content and keeps it here, at ``ROOT/<stage>-parts/<key>/``.

A part is stored exactly like an artifact (``stages.store``): written in a temp folder beside its
place and renamed in once whole, with ``meta.json`` recording each file's size and sha256. So a
reader never sees half a part, ``kaipai verify`` checks parts like any artifact, a dead writer's
temp folder is swept, and a corrupt part is evicted and made again, never served.

Without a store (a stage run directly, as in unit tests) nothing is kept: every part is made.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from stages.base import Artifact
from stages.store import META, STORE_FIELD, lookup, record_files, temp_name

PARTS_SUFFIX = "-parts"


class Parts:
    """The parts of one stage in one store (``root`` None: no store, nothing kept)."""

    def __init__(self, root: str | Path | None, stage: str) -> None:
        self.root = Path(root) if root is not None else None
        self.folder = f"{stage}{PARTS_SUFFIX}"

    def find(self, key: str) -> Artifact | None:
        """The intact part under ``key``, or None (a corrupt one is evicted)."""
        return lookup(self.root, self.folder, key) if self.root is not None else None

    def new_folder(self, key: str, scratch: Path) -> Path:
        """An empty folder to write the part into: a temp folder in the store, else under ``scratch``."""
        parent = self.root / self.folder if self.root is not None else scratch
        parent.mkdir(parents=True, exist_ok=True)
        folder = parent / temp_name(key)
        folder.mkdir()
        return folder

    def keep(self, key: str, folder: Path, meta: dict[str, Any]) -> Artifact:
        """Record ``folder`` (from :meth:`new_folder`, its files written) as the part ``key``."""
        record = {"key": key, "part": self.folder, "made": time.time(), "files": record_files(folder)}
        meta = {**meta, STORE_FIELD: record}
        (folder / META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        if self.root is None:
            return Artifact(key, folder, meta)
        final = self.root / self.folder / key
        try:
            os.rename(folder, final)
        except OSError:
            winner = self.find(key)  # another writer kept the same part first: theirs is the same
            if winner is None:
                raise
            shutil.rmtree(folder, ignore_errors=True)
            return winner
        return Artifact.load(key, final)


def link_into(source: Path, target: Path) -> None:
    """``source`` (a part's file) at ``target`` too: a hard link, no copy (a copy across filesystems)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
