"""The one stable hash of the line: sha256, the same in every process, machine and Python version.

Python's ``hash()`` is salted per process, so anything that must come out the same on another
worker (artifact keys, a character's colour and voice pitch, a seed, a metric tag) hashes here.
``parts`` are joined with a separator before hashing; each caller keeps the separator it has always
used, so no key, seed or picture changes.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

FIELD_SEPARATOR = "\x1f"  # ASCII unit separator: names, seeds, kinds
NUL_SEPARATOR = "\x00"
FILE_BLOCK = 1 << 20


def digest(text: str) -> bytes:
    """sha256 of ``text`` as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).digest()


def digest_hex(text: str) -> str:
    """sha256 of ``text`` as UTF-8, in hex (artifact keys hash their canonical JSON this way)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parts_digest(*parts: object, sep: str = FIELD_SEPARATOR) -> bytes:
    """sha256 of ``parts`` as text, joined by ``sep``."""
    return digest(sep.join(map(str, parts)))


def stable_int(*parts: object, sep: str = FIELD_SEPARATOR, nbytes: int = 8) -> int:
    """A non-negative integer of ``nbytes`` bytes from ``parts`` (big-endian head of the digest)."""
    return int.from_bytes(parts_digest(*parts, sep=sep)[:nbytes], "big")


def stable_unit(*parts: object, sep: str = NUL_SEPARATOR) -> float:
    """A number in [0, 1) from ``parts``."""
    return stable_int(*parts, sep=sep, nbytes=8) / 2**64


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, in hex, read in blocks (music files, stored artifacts)."""
    sha = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(FILE_BLOCK), b""):
            sha.update(block)
    return sha.hexdigest()
