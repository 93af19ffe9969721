"""The failure policy of a run: which failures are retried, which resubmitted, which are final.

Three kinds of failure reach the driver:

1. **The stage's own error** (``StageFailed`` from ``workers.task.stage_errors``). Retried up to
   ``profile.retries`` times, after a pause that grows with each attempt, unless the worker marked it
   permanent (bad input, output that fails validation: ``workers.task.PERMANENT_ERRORS``).
2. **A worker or node that went away** (the backend's system errors). Not the stage's fault, so it
   does not use up the retries: resubmitted up to ``SYSTEM_RETRIES`` times.
3. **A pool actor that died in its constructor** (a missing model). Every retry would too, so the
   whole stage fails once, with the cause said once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from workers.task import describe_error

SYSTEM_RETRIES = 5  # resubmissions after node/worker loss, on top of profile.retries
RETRY_PAUSE_SECONDS = 0.2  # times the attempt number
RESUBMIT_PAUSE_SECONDS = 0.2

__all__ = ["Decision", "Verdict", "describe_error", "judge_stage_error", "judge_system_error"]


class Verdict(Enum):
    RETRY = "retry"  # the stage failed; try again after ``delay``
    RESUBMIT = "resubmit"  # the worker went away; send it again after ``delay``, the attempt not counted
    FAIL = "fail"  # final for this node
    STAGE_BROKEN = "stage-broken"  # final for every open node of the stage


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    error: str
    delay: float = 0.0


def judge_stage_error(exc: BaseException, attempts: int, retries: int, *, final: bool = False) -> Decision:
    """A stage raised (or its call failed): retry while attempts remain and a retry could help."""
    error = describe_error(exc)
    retryable = getattr(getattr(exc, "cause", None) or exc, "retryable", True)
    if not final and retryable and attempts <= retries:
        return Decision(Verdict.RETRY, error, RETRY_PAUSE_SECONDS * attempts)
    return Decision(Verdict.FAIL, error)


def judge_system_error(exc: BaseException, system_failures: int) -> Decision:
    """A worker or node went away. ``system_failures`` counts this one too."""
    cause = startup_failure(exc)
    if cause is not None:
        return Decision(Verdict.STAGE_BROKEN, cause)
    if system_failures > SYSTEM_RETRIES:
        return Decision(Verdict.FAIL, describe_error(exc))
    return Decision(Verdict.RESUBMIT, describe_error(exc), RESUBMIT_PAUSE_SECONDS)


def startup_failure(exc: BaseException) -> str | None:
    """The cause, if ``exc`` says a pool actor died in its constructor; None otherwise."""
    try:
        from workers.pool import startup_failure as pool_startup_failure
    except ImportError:  # the model workers are optional for plain CPU runs
        return None
    return pool_startup_failure(exc)
