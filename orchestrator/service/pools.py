"""Shared warm pools: named, detached actors per (stage, backend, options, zone), one set for all jobs.

A GPU that has a model loaded serves every studio's shots: the first job that needs the model in a
zone makes the service start its actor, later jobs (and re-attached drivers) get the same one by
name. A pool grows by one actor when its queue passes ``grow_when_queued`` per actor (up to the
stage's ``pool.size`` for the zone) and an actor idle for ``idle_seconds`` is stopped. Actors are
detached, so a restarted service finds them again by name instead of loading the model twice: each
pool's settings are kept in ``<store>/service/pools/`` while it lives, and a new service adopts the
pools whose actors are still alive (``kaipai cluster status`` shows them, and no model loads again).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from orchestrator.manifest import write_atomic
from orchestrator.service.settings import NAMESPACE, PoolLimits
from stages.store import canonical_json


def pool_digest(spec: dict[str, Any]) -> str:
    """What makes two pools the same in any zone: stage, backend, options and resources."""
    settings = {k: spec.get(k) for k in ("stage", "backend", "options", "resources")}
    return hashlib.sha256(canonical_json(settings).encode()).hexdigest()[:8]


def pool_name(spec: dict[str, Any], index: int) -> str:
    """``kaipai-pool keyframe-diffusers lingqiu-guangling 3f2a1c 0``-like, ASCII, unique per settings."""
    return f"kaipai-pool:{spec['stage']}-{spec['backend']}:{spec.get('zone') or 'any'}:{pool_digest(spec)}:{index}"


class PoolRegistry:
    """The pools the service started, by key; sized by the queue in front of them."""

    def __init__(self, limits: PoolLimits, metrics: Any, folder: Path | None = None) -> None:
        self.limits = limits
        self.metrics = metrics
        self.folder = folder  # where each live pool's settings are kept for the next service
        self.actors: dict[str, list[str]] = {}  # key (name without index) -> actor names
        self.specs: dict[str, dict[str, Any]] = {}
        self.last_used: dict[str, float] = {}
        self.loads = 0
        self._adopt()

    def actor(self, spec: dict[str, Any], queued: int) -> list[str]:
        """Names of the pool's live actors, starting or growing it as the queue asks."""
        key = pool_name(spec, 0).rsplit(":", 1)[0]
        self.specs[key] = spec
        self.last_used[key] = time.time()
        names = [n for n in self.actors.get(key, []) if self._alive(n)]
        wanted = max(1, -(-queued // self.limits.grow_when_queued))
        size = min(max(len(names), wanted), max(1, int(spec.get("max_size", 1))))
        index = 0
        while len(names) < size:
            name = pool_name(spec, index)
            index += 1
            if name in names:
                continue
            if not self._alive(name):  # alive: started before this service restarted; adopted, not loaded again
                self._start(spec, name)
            names.append(name)
        self.actors[key] = names
        self._keep(key, spec)
        return names

    def reap(self, busy: set[tuple[str, str]]) -> list[str]:
        """Stop the pools nobody used for ``idle_seconds`` (their stage has no lease in their zone)."""
        now, stopped = time.time(), []
        for key, names in list(self.actors.items()):
            spec = self.specs[key]
            if (spec["stage"], spec.get("zone")) in busy or now - self.last_used[key] < self.limits.idle_seconds:
                continue
            for name in names:
                self._kill(name)
                stopped.append(name)
            del self.actors[key]
            self._forget(key)
        return stopped

    def warm_zones(self, digest: str) -> set[str]:
        """The zones where a live pool of these settings (``pool_digest``) holds its model in memory."""
        return {
            self.specs[key]["zone"]
            for key, names in self.actors.items()
            if names and key.endswith(f":{digest}") and self.specs[key].get("zone")
        }

    def view(self) -> list[dict[str, Any]]:
        return [
            {"stage": s["stage"], "backend": s["backend"], "model": (s.get("options") or {}).get("model"),
             "zone": s.get("zone"), "actors": len(self.actors.get(k, []))}
            for k, s in self.specs.items() if self.actors.get(k)
        ]  # fmt: skip

    def warm_gpus(self) -> dict[tuple[str, str], int]:
        """(zone, model) -> the live pool actors holding it in memory: the global plan starts that many
        of the zone's GPUs with the model loaded, and counts its weights as on that zone's disk
        (``GlobalPlan.warm_models``). A stage without named weights is named as the plan names it,
        ``stage/backend``."""
        warm: dict[tuple[str, str], int] = {}
        for key, spec in self.specs.items():
            if not self.actors.get(key) or not spec.get("zone"):
                continue
            model = _model_of(spec) or f"{spec['stage']}/{spec['backend']}"
            warm[(spec["zone"], model)] = warm.get((spec["zone"], model), 0) + len(self.actors[key])
        return warm

    # ---------------------------------------------------------------- durability

    def _file(self, key: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:16] + ".json")

    def _keep(self, key: str, spec: dict[str, Any]) -> None:
        path = self._file(key)
        if path is None or path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(spec, ensure_ascii=False))

    def _forget(self, key: str) -> None:
        path = self._file(key)
        if path is not None:
            path.unlink(missing_ok=True)

    def _adopt(self) -> None:
        """The pools a previous service started and whose actors are still alive, as if started here."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.json")):
            try:
                spec = json.loads(path.read_text(encoding="utf-8"))
                key = pool_name(spec, 0).rsplit(":", 1)[0]
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)  # torn or foreign: the pool is started again on demand
                continue
            size = max(1, int(spec.get("max_size", 1)))
            names = [pool_name(spec, i) for i in range(size) if self._alive(pool_name(spec, i))]
            if not names:
                path.unlink(missing_ok=True)
                continue
            self.actors[key], self.specs[key], self.last_used[key] = names, spec, time.time()

    # ---------------------------------------------------------------- Ray

    def _start(self, spec: dict[str, Any], name: str) -> None:
        import ray

        from workers.pool import worker_class_for
        from workers.task import pooled_worker_class

        cls = ray.remote(pooled_worker_class(worker_class_for(spec["stage"], spec["backend"])))
        options: dict[str, Any] = {
            "name": name,
            "namespace": NAMESPACE,
            "lifetime": "detached",
            "get_if_exists": True,
            "max_concurrency": int(spec.get("max_concurrency", 1)),
            "max_restarts": 3,
            **(spec.get("resources") or {}),
        }
        if spec.get("zone"):
            options["label_selector"] = {"zone": spec["zone"]}
        cls.options(**options).remote(spec["stage"], spec["backend"], spec.get("options") or {})
        self.loads += 1
        model = str((spec.get("options") or {}).get("model") or spec["backend"])
        self.metrics.model_load(spec["stage"], spec.get("zone") or "any", model)

    @staticmethod
    def _alive(name: str) -> bool:
        import ray

        try:
            ray.get_actor(name, namespace=NAMESPACE)
        except ValueError:
            return False
        return True

    @staticmethod
    def _kill(name: str) -> None:
        import ray

        with contextlib.suppress(Exception):
            ray.kill(ray.get_actor(name, namespace=NAMESPACE), no_restart=True)


def _model_of(spec: dict[str, Any]) -> str | None:
    """The weights a pool's settings load (None: a stage without named weights)."""
    from orchestrator.placement.costmodel import model_of
    from stages.registry import options_class

    options = options_class(spec["stage"], spec["backend"]).model_validate(spec.get("options") or {})
    return model_of(spec["stage"], spec["backend"], options)
