"""Content-addressed artifact store: a finished unit of work lives at ``ROOT/<stage>/<key>/``.

The key is a hash of everything the output may depend on, so a folder that exists under its key is
finished and correct, and a re-run (or a resumed run after a crash) simply finds it. The store makes
that true by writing each artifact into a temp folder beside its final place and renaming it into
place only once the stage has returned and ``meta.json`` is written: a crash at any moment leaves
either nothing or a temp folder that is never mistaken for an artifact.

The store also checks itself: ``meta.json`` records the size and sha256 of every file the stage
wrote. A cache hit compares sizes (a ``stat`` per file) every time, and hashes when asked
(``kaipai verify``); an artifact that fails is evicted and made again, never served. A stage's inputs
are checked the same way just before it runs.

The root is a path on a filesystem every worker sees (local disk for one machine, NFS/CephFS/JuiceFS
on a cluster). Object stores (fsspec ``s3://``) are future work: they lack an atomic directory rename.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stages.base import Artifact, Inputs, Stage
from stages.errors import StageFailed
from stages.hashing import digest_hex

META = "meta.json"
TEMP_PREFIX = ".tmp-"
STORE_FIELD = "_store"  # the store's own bookkeeping inside meta.json (timings, where it ran, file sizes and hashes)
HASH_BLOCK = 1 << 20


def _canonical_default(value: Any) -> Any:
    """JSON for the few non-JSON types that reach a key: paths, pydantic models, sets."""
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot put a {type(value).__name__} into an artifact key")


def canonical_json(value: Any) -> str:
    """One text per value: sorted keys, no spaces, UTF-8 kept, so equal data hashes equal."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_canonical_default,
    )


def artifact_key(
    stage_name: str,
    version: str,
    backend: str,
    settings: Mapping[str, Any],
    params: Mapping[str, Any],
    input_keys: Mapping[str, str | Sequence[str]] | Sequence[str],
    seed: int | None = None,
) -> str:
    """The sha256 of exactly what determines an output (upstream *keys*, not upstream content).

    ``input_keys`` maps input names to the upstream key (or list of keys, in the order the stage
    receives them); a plain list is taken as an unordered set and sorted.
    """
    if isinstance(input_keys, Mapping):
        inputs: Any = {name: keys if isinstance(keys, str) else list(keys) for name, keys in input_keys.items()}
    else:
        inputs = sorted(input_keys)
    document = {
        "stage": stage_name,
        "version": str(version),
        "backend": backend,
        "settings": dict(settings),
        "params": dict(params),
        "inputs": inputs,
        "seed": seed,
    }
    return digest_hex(canonical_json(document))


def artifact_path(store_root: str | Path, stage_name: str, key: str) -> Path:
    return Path(store_root) / stage_name / key


class CorruptArtifact(StageFailed):
    """A stored artifact is not what its meta.json says (a file truncated, edited or missing).

    Not retried: the artifact has been evicted, so the next run makes it again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def record_files(folder: Path) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file a stage wrote (relative POSIX paths), for later checks."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != META:
            files[path.relative_to(folder).as_posix()] = {"size": path.stat().st_size, "sha256": file_digest(path)}
    return files


def problem_of(artifact: Artifact, *, deep: bool = False) -> str | None:
    """Why ``artifact`` cannot be trusted, or None. Sizes always (a stat per file); hashes when ``deep``."""
    files = (artifact.meta.get(STORE_FIELD) or {}).get("files")
    if not isinstance(files, dict):
        return "no size and hash record (made by an older kaipai)"
    for name, expected in files.items():
        path = artifact.path / name
        try:
            size = path.stat().st_size
        except OSError:
            return f"{name} is missing"
        if size != expected.get("size"):
            return f"{name} is {size} bytes, its record says {expected.get('size')}"
        if deep and file_digest(path) != expected.get("sha256"):
            return f"{name} does not match its sha256 (changed after it was made)"
    return None


def evict(artifact_dir: Path) -> None:
    """Take a corrupt artifact out of the store: renamed away first (atomic), then removed."""
    aside = artifact_dir.with_name(temp_name(artifact_dir.name))
    try:
        os.rename(artifact_dir, aside)
    except FileNotFoundError:
        return  # someone else evicted it already
    shutil.rmtree(aside, ignore_errors=True)


@dataclass(frozen=True)
class Found:
    """What the store holds under a key: a usable artifact, or why the folder there was thrown away."""

    artifact: Artifact | None
    evicted: str | None = None  # the reason a corrupt artifact was removed


def find(store_root: str | Path, stage_name: str, key: str, *, deep: bool = False) -> Found:
    """The finished artifact under this key, checked against its record; a corrupt one is evicted."""
    path = artifact_path(store_root, stage_name, key)
    try:
        artifact = Artifact.load(key, path)
    except (FileNotFoundError, NotADirectoryError):
        return Found(None)
    except (OSError, ValueError) as exc:  # meta.json unreadable or not JSON
        artifact, problem = None, f"{META} is unreadable ({exc})"
    else:
        problem = problem_of(artifact, deep=deep)
    if problem is None:
        return Found(artifact)
    evict(path)
    return Found(None, problem)


def lookup(store_root: str | Path, stage_name: str, key: str) -> Artifact | None:
    """The finished, intact artifact under this key, or None. Only a renamed-into-place folder counts."""
    return find(store_root, stage_name, key).artifact


def exists(store_root: str | Path, stage_name: str, key: str) -> bool:
    return (artifact_path(store_root, stage_name, key) / META).is_file()


def check_inputs(inputs: Inputs) -> None:
    """Before a stage uses its inputs: each one still has the files its meta records (sizes).

    A corrupt input is evicted and the node fails naming it; the next run makes the input again.
    """
    for name, value in inputs.items():
        for artifact in value if isinstance(value, list) else [value]:
            problem = problem_of(artifact)
            if problem is not None:
                evict(artifact.path)
                raise CorruptArtifact(
                    f"input {name} ({artifact.path.parent.name}/{artifact.key[:12]}) is corrupt: {problem}; "
                    "it was removed from the store, run again to make it anew"
                )


def temp_name(key: str) -> str:
    """A temp folder's name beside ``key``'s final place, saying who writes it."""
    # Host and pid in the name let a later run tell a dead writer's leftovers from a live one's.
    host = socket.gethostname().replace("-", "_")[:40]
    return f"{TEMP_PREFIX}{key[:16]}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def produce(stage: Stage, key: str, params: dict[str, Any], inputs: Inputs, store_root: str | Path) -> Artifact:
    """Return the artifact for ``key``: the cached one if it exists, else run ``stage`` to make it.

    The stage writes into an empty temp folder in the same parent (same filesystem, so the final
    ``os.rename`` is atomic). If the stage raises, the temp folder is removed and nothing appears
    under the key. If another worker finished the same key first, its artifact wins and ours is
    dropped (both are the same function of the same inputs).
    """
    cached = lookup(store_root, stage.name, key)
    if cached is not None:
        return cached
    check_inputs(inputs)
    parent = Path(store_root) / stage.name
    parent.mkdir(parents=True, exist_ok=True)
    temp = parent / temp_name(key)
    temp.mkdir()
    started = time.time()
    cpu_started = time.process_time()
    stage.store_root = Path(store_root)
    try:
        meta = stage.run(params, inputs, temp)
        meta = dict(meta or {})
        if "file" in meta and not (temp / str(meta["file"])).is_file():
            raise RuntimeError(
                f"stage {stage.name}/{stage.backend} named {meta['file']!r} as its file but did not write it"
            )
        meta[STORE_FIELD] = {
            "key": key,
            "stage": stage.name,
            "backend": stage.backend,
            "version": str(stage.version),
            "started": started,
            "finished": time.time(),
            "seconds": round(time.time() - started, 4),
            "cpu_seconds": round(time.process_time() - cpu_started, 4),
            "host": socket.gethostname(),
            "files": record_files(temp),
        }
        try:
            text = json.dumps(meta, ensure_ascii=False, indent=1)
        except (TypeError, ValueError) as exc:
            raise RuntimeError(f"stage {stage.name}/{stage.backend} returned metadata that is not JSON: {exc}") from exc
        (temp / META).write_text(text, encoding="utf-8")
        final = artifact_path(store_root, stage.name, key)
        try:
            os.rename(temp, final)
        except OSError:
            # A concurrent writer renamed the same key into place first: keep theirs.
            winner = lookup(store_root, stage.name, key)
            if winner is None:
                raise
            shutil.rmtree(temp, ignore_errors=True)
            return winner
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return Artifact.load(key, final)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temps(store_root: str | Path, max_age_s: float = 6 * 3600) -> list[Path]:
    """Remove temp folders left by killed writers: this host's dead pids, or anything very old.

    Safe while other runs write to the same store: a live writer's folder is never removed.
    Returns what was removed.
    """
    root = Path(store_root)
    if not root.is_dir():
        return []
    host = socket.gethostname().replace("-", "_")[:40]
    now = time.time()
    removed: list[Path] = []
    for temp in root.glob(f"*/{TEMP_PREFIX}*"):
        parts = temp.name[len(TEMP_PREFIX) :].split("-")
        stale = False
        if len(parts) == 4 and parts[1] == host and parts[2].isdigit():
            stale = not _pid_alive(int(parts[2]))
        try:
            stale = stale or now - temp.stat().st_mtime > max_age_s
        except FileNotFoundError:
            continue
        if stale:
            shutil.rmtree(temp, ignore_errors=True)
            removed.append(temp)
    return removed
