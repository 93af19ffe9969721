"""Chinese words by jieba's dictionary, looked up on disk rather than loaded into every worker.

jieba keeps its dictionary (about 350,000 words and every prefix of them, half a million keys) in a
dict it unmarshals on first use: 1.5 s on a quiet machine, ten under load, and some 100 MB in every
fresh worker. A one-line edit's mux and subtitles tasks each paid that, to segment a few lines,
which need only the few hundred substrings of those lines.

So the same prefix dictionary (jieba's own ``gen_pfdict`` of its own ``dict.txt``) is written once
per machine to an indexed SQLite file, and a jieba ``Tokenizer`` looks each substring up there. The
words, frequencies and total are jieba's, and so is the algorithm, so the cuts are the ones jieba
makes (a test compares them); the file is built in a temp file and renamed in, so concurrent
workers never read half of one, and under a lock file, so workers that start together build it
once (the others wait for it rather than each spending seconds on their own copy).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

SCHEMA_VERSION = "1"  # bump when the file's layout changes
LOOKUP_CACHE = 65_536  # substrings remembered per process (a long-lived worker's lines repeat)


class DiskFrequencies:
    """The read-only part of jieba's ``FREQ`` dict it uses (``in``, ``[]``, ``get``), on SQLite."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, shared by a worker's threads
        self.lookup = lru_cache(maxsize=LOOKUP_CACHE)(self._query)

    def _query(self, word: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT f FROM words WHERE w = ?", (word,)).fetchone()
        return None if row is None else int(row[0])

    def total(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT value FROM meta WHERE name = 'total'").fetchone()[0])

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.lookup(word) is not None

    def __getitem__(self, word: str) -> int:
        freq = self.lookup(word)
        if freq is None:
            raise KeyError(word)
        return freq

    def get(self, word: str, default: int | None = None) -> int | None:
        freq = self.lookup(word)
        return default if freq is None else freq


def dictionary_file() -> Path:
    """jieba's own dictionary (``dict.txt`` in its package)."""
    import jieba

    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def disk_dictionary(source: Path, folder: Path | None = None) -> Path:
    """The SQLite form of ``source`` (a jieba dictionary), built on first use, named by its content."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    path = Path(folder or tempfile.gettempdir()) / f"kaipai-jieba-{SCHEMA_VERSION}-{digest}.sqlite"
    if not path.is_file():
        with _build_lock(path):
            if not path.is_file():  # another worker built it while this one waited
                build(source, path)
    return path


@contextmanager
def _build_lock(path: Path) -> Iterator[None]:
    """An exclusive lock beside ``path`` for its build; released when the holder exits, even if it dies."""
    lock = path.with_suffix(".lock")  # kept: unlinking it could let two builders hold two locks
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


def build(source: Path, path: Path) -> None:
    """Write jieba's prefix dictionary of ``source`` to ``path`` (temp file, then rename)."""
    import jieba

    with source.open("rb") as f:
        freq, total = jieba.Tokenizer.gen_pfdict(f)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    os.chmod(temp, 0o644)  # every worker on the machine reads it, whoever built it
    try:
        db = sqlite3.connect(temp)
        with db:
            db.execute("CREATE TABLE words (w TEXT PRIMARY KEY, f INTEGER NOT NULL) WITHOUT ROWID")
            db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            db.executemany("INSERT INTO words VALUES (?, ?)", freq.items())
            db.execute("INSERT INTO meta VALUES ('total', ?)", (total,))
        db.close()
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def disk_cutter(path: Path) -> Callable[[str], list[str]]:
    """jieba's accurate mode without its HMM (``cut(text, HMM=False)``) over the SQLite dictionary."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    freqs = DiskFrequencies(path)
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total = freqs, freqs.total()  # type: ignore[assignment]
    tokenizer.initialized = True  # nothing to load: every lookup goes to the file
    return lambda text: list(tokenizer.cut(text, HMM=False))
