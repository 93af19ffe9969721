"""``kaipai verify``: every artifact of a store, and every file a run delivered, against its record.

A cache hit only compares sizes; this reads every byte and compares sha256, so a file edited in place
at its old size is found too. Corrupt artifacts are reported and, when asked, evicted (the next run
makes them again).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stages import store
from stages.base import Artifact
from stages.errors import InputError


@dataclass
class VerifyReport:
    checked: int = 0
    corrupt: list[tuple[Path, str]] = field(default_factory=list)  # (artifact folder, why)
    delivered_checked: int = 0
    delivered_bad: list[tuple[Path, str]] = field(default_factory=list)
    evicted: bool = False

    @property
    def ok(self) -> bool:
        return not self.corrupt and not self.delivered_bad


def read_manifest(out: Path) -> dict | None:
    path = out / "manifest.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"manifest is not readable JSON: {exc}", file=path) from None


def store_of(out: Path, manifest: dict | None, given: Path | None) -> Path:
    """The store to check: ``--store``, else the one the manifest names, else ``OUT/.store``."""
    root = given or (Path(manifest["store"]) if manifest and manifest.get("store") else out / ".store")
    if not root.is_dir():
        raise InputError(f"no artifact store at {root}", field="--store" if given else "OUT")
    return root


def artifact_folders(root: Path) -> Iterator[Path]:
    for folder in sorted(root.glob("*/*")):
        if folder.is_dir() and not folder.name.startswith(store.TEMP_PREFIX):
            yield folder


def check_store(root: Path, evict: bool) -> VerifyReport:
    report = VerifyReport(evicted=evict)
    for folder in artifact_folders(root):
        report.checked += 1
        try:
            problem = store.problem_of(Artifact.load(folder.name, folder), deep=True)
        except (OSError, ValueError) as exc:
            problem = f"{store.META} is unreadable ({exc})"
        if problem is None:
            continue
        report.corrupt.append((folder, problem))
        if evict:
            store.evict(folder)
    return report


def check_delivered(out: Path, root: Path, manifest: dict, report: VerifyReport) -> None:
    """Each delivered episode file equals the assembly artifact's file it was copied from."""
    keys = {(t["stage"], t["unit"]): t["key"] for t in manifest.get("tasks", {}).values()}
    for unit, episode in manifest.get("episodes", {}).items():
        key = keys.get(("assembly", unit))
        if episode.get("status") != "ok" or key is None:
            continue
        try:
            record = Artifact.load(key, store.artifact_path(root, "assembly", key)).meta[store.STORE_FIELD]["files"]
        except (OSError, ValueError, KeyError):
            continue  # the artifact itself is reported (or gone); nothing to compare against
        for name in ("video", "subtitles", "cover"):
            relative = episode.get(name)
            if not relative:
                continue
            delivered, expected = out / relative, record.get(Path(relative).name)
            report.delivered_checked += 1
            if not delivered.is_file():
                report.delivered_bad.append((delivered, "missing"))
            elif expected and store.file_digest(delivered) != expected["sha256"]:
                report.delivered_bad.append((delivered, "differs from what the run made (run again to restore it)"))


def verify(out: Path, given_store: Path | None = None, evict: bool = False) -> VerifyReport:
    if not out.is_dir():
        raise InputError(f"{out} is not a folder", field="OUT")
    manifest = read_manifest(out)
    root = store_of(out, manifest, given_store)
    report = check_store(root, evict)
    if manifest is not None:
        check_delivered(out, root, manifest, report)
    return report
