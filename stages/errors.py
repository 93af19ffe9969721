"""Errors a user can fix. They print as ``FILE:LINE: field: message`` and exit 2, never a traceback."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place of one input file."""

    message: str
    file: str | Path | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class InputError(Exception):
    """Bad input (spec, script, config, graph, arguments): exit code 2."""

    exit_code = 2

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.problems = list(problems or [])
        if message is not None:
            self.problems.insert(0, Problem(message, file, line, field))
        super().__init__("\n".join(str(p) for p in self.problems))


# OS errors a retry cannot fix: the same write onto the same full or read-only disk fails the same way.
PERMANENT_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT})


def is_permanent_os_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in PERMANENT_ERRNOS


class RunFailed(Exception):
    """The run itself failed (some tasks failed): exit code 1."""

    exit_code = 1


class StageFailed(RuntimeError):
    """A stage's own error, carried back from a Ray worker as plain text.

    Stage exceptions (pydantic's among them) do not always survive pickling into Ray's error
    wrapper; this one always does. ``retryable`` is False for errors that a retry cannot fix:
    bad input, or output that failed validation.
    """

    def __init__(self, message: str, retryable: bool = True, preempted: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.preempted = preempted  # stopped because its GPU was taken back: not a failure, run it again

    def __reduce__(self):
        return (StageFailed, (str(self), self.retryable, self.preempted))
