"""Per-stage metrics for the Ray dashboard (Prometheus via ``ray.util.metrics``).

The driver records them as it learns of each task's fate, so stages stay free of bookkeeping:
``kaipai_queue_depth`` (submitted, not finished), ``kaipai_task_seconds`` (stage work per task),
``kaipai_gpu_seconds`` (task seconds x GPUs held) and ``kaipai_tasks`` (by final status).
"""

from __future__ import annotations

import functools
import logging
import re

from stages.hashing import digest_hex

log = logging.getLogger(__name__)

LATENCY_BOUNDARIES = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800]


def ascii_tag(value: str) -> str:
    """Ray's metric tags must be ASCII: keep a readable ASCII form, with a short hash if anything was lost."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-")
    if text == value:
        return value
    return f"{text[:40]}-{digest_hex(value)[:8]}".lstrip("-")


def _never_raises(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.enabled:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # metrics must never break a run
            log.debug("metric not recorded: %s", exc)
            return None

    return wrapper


class StageMetrics:
    """Thin wrapper that turns into a no-op if Ray's metrics cannot be created (e.g. no Ray)."""

    def __init__(self, job: str = "") -> None:
        self.job = ascii_tag(job)
        self.enabled = False
        try:
            from ray.util.metrics import Counter, Gauge, Histogram

            self.queue = Gauge(
                "kaipai_queue_depth",
                description="Tasks submitted and not finished, per stage.",
                tag_keys=("stage", "job"),
            )
            self.latency = Histogram(
                "kaipai_task_seconds",
                description="Seconds of stage work per task.",
                boundaries=LATENCY_BOUNDARIES,
                tag_keys=("stage", "backend", "zone"),
            )
            self.gpu_seconds = Counter(
                "kaipai_gpu_seconds",
                description="GPU-seconds used, per stage and zone.",
                tag_keys=("stage", "zone"),
            )
            self.tasks = Counter("kaipai_tasks", description="Tasks by final status.", tag_keys=("stage", "status"))
            self.enabled = True
        except Exception as exc:  # metrics must never break a run
            log.debug("metrics disabled: %s", exc)

    @_never_raises
    def queue_depth(self, stage: str, depth: int) -> None:
        self.queue.set(depth, tags={"stage": stage, "job": self.job})

    @_never_raises
    def task_finished(self, stage: str, backend: str, zone: str | None, seconds: float, gpus: float) -> None:
        zone = ascii_tag(zone or "any")
        self.latency.observe(max(seconds, 0.0), tags={"stage": stage, "backend": backend, "zone": zone})
        if gpus > 0:
            self.gpu_seconds.inc(seconds * gpus, tags={"stage": stage, "zone": zone})

    @_never_raises
    def task_status(self, stage: str, status: str) -> None:
        self.tasks.inc(1, tags={"stage": stage, "status": status})
