"""``kaipai cluster up``: start the service on a running cluster, or replace it with new settings.

Steps: (1) load the profile and its ``cluster:`` section (bad input: exit 2 with file and field);
(2) connect with Ray Client; (3) check that every alive node sees the store (a marker file written
through one node must be read on each; a store that is not shared is refused, exit 1); (4) if a
service runs with the same settings, leave it; with other settings, stop it: the new one recovers
the jobs from the journal and the drivers offer their queues again; (5) start the detached, named
actor on the head node and wait until it answers.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from orchestrator.service.settings import NAMESPACE, SERVICE_NAME, ClusterSettings
from stages.errors import InputError, RunFailed

START_TIMEOUT_SECONDS = 180


def load_cluster_settings(config: str | Path | None) -> tuple[Any, ClusterSettings, str]:
    """The profile, its cluster settings, and the config's name as the cluster sees it."""
    from orchestrator.config import DEFAULT_PROFILE, REPO_ROOT, load_profile

    profile = load_profile(config)
    if profile.cluster is None:
        raise InputError(f"profile {profile.name!r} has no cluster: section", file=config or DEFAULT_PROFILE)
    from orchestrator.placement.policies import POLICIES

    if profile.cluster.placement_policy not in POLICIES:
        raise InputError(
            f"cluster.placement_policy: unknown policy {profile.cluster.placement_policy!r};"
            f" choose one of {', '.join(POLICIES)}",
            file=config or DEFAULT_PROFILE,
        )
    path = Path(config or DEFAULT_PROFILE).resolve()
    configs = (REPO_ROOT / "configs").resolve()
    remote = f"configs/{path.relative_to(configs).as_posix()}" if path.is_relative_to(configs) else str(path)
    return profile, profile.cluster, remote


def check_shared_store(store: str) -> list[str]:
    """Every alive node reads a marker written here; returns the nodes' zones. Raises if one cannot."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    marker = secrets.token_hex(8)

    @ray.remote(num_cpus=0)
    def write(path: str, text: str) -> None:
        target = Path(path) / "service" / f".shared-check-{text}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    @ray.remote(num_cpus=0)
    def read(path: str, text: str) -> bool:
        target = Path(path) / "service" / f".shared-check-{text}"
        return target.is_file() and target.read_text() == text

    nodes = [n for n in ray.nodes() if n.get("Alive")]
    head = next((n for n in nodes if "node:__internal_head__" in n.get("Resources", {})), nodes[0])
    on = lambda node: NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)  # noqa: E731
    try:
        ray.get(write.options(scheduling_strategy=on(head)).remote(store, marker), timeout=60)
        seen = ray.get([read.options(scheduling_strategy=on(n)).remote(store, marker) for n in nodes], timeout=60)
    except Exception as exc:
        raise RunFailed(f"cannot check the store {store}: {str(exc).strip().splitlines()[-1]}") from None
    blind = [n for n, ok in zip(nodes, seen, strict=True) if not ok]
    if blind:
        names = ", ".join(
            f"{n['NodeManagerAddress']} ({(n.get('Labels') or {}).get('zone', 'no zone')})" for n in blind
        )
        raise RunFailed(f"the store {store} is not shared: {names} cannot see what the head writes there")
    ray.get(write.options(scheduling_strategy=on(head)).remote(store, marker + "-done"))
    return sorted({(n.get("Labels") or {}).get("zone", "") for n in nodes})


def start_service(settings: ClusterSettings, config_name: str, restart: bool = False) -> dict[str, Any]:
    """Steps 4-5 on a connected Ray: the service actor as it should be now; returns its description."""
    import ray

    from orchestrator.service.service import KaipaiService

    wanted = {**settings.model_dump(), "config": config_name}
    try:
        current = ray.get_actor(SERVICE_NAME, namespace=NAMESPACE)
        described = ray.get(current.describe.remote(), timeout=60)
        if described.get("settings") == wanted and not restart:
            return {**described, "action": "unchanged"}
        ray.kill(current, no_restart=True)
        action = "replaced"
    except ValueError:
        action = "started"
    actor = (
        ray.remote(KaipaiService)
        .options(
            name=SERVICE_NAME,
            namespace=NAMESPACE,
            lifetime="detached",
            max_restarts=-1,
            max_concurrency=1,
            num_cpus=0,
            resources={"node:__internal_head__": 0.001},
        )
        .remote(wanted)
    )
    try:
        described = ray.get(actor.describe.remote(), timeout=START_TIMEOUT_SECONDS)
    except Exception as exc:
        raise RunFailed(f"the kaipai service did not start: {str(exc).strip().splitlines()[-1]}") from None
    return {**described, "action": action}


def cluster_up(client: str, config: str | Path | None, restart: bool = False) -> dict[str, Any]:
    """``restart``: replace the service even with the same settings (new kaipai code on the cluster)."""
    from orchestrator.service.remote import connected_ray

    _profile, settings, config_name = load_cluster_settings(config)
    with connected_ray(client):
        zones = check_shared_store(settings.store)
        described = start_service(settings, config_name, restart)
    return {**described, "zones": zones}
