"""Shared fixtures. One Ray cluster per test session, pinned small, as Ray's own tests do.

The session cluster has three nodes labelled with the three Datong zones, so the same cluster
serves plain local runs (labels ignored) and zone-placement tests (``label_selector``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
ZONES = ("lingqiu-guangling", "yanggao-tianzhen", "xinrong-yungang")

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def ray_cluster():
    """A 3-node ``ray.cluster_utils.Cluster`` (one node per zone, 2 CPUs each), connected once."""
    import ray
    from ray.cluster_utils import Cluster

    # Loopback only, ports picked by the OS, and a temp dir of its own, so two test sessions on one
    # machine never share a Ray; Cluster.shutdown() stops exactly the processes it started.
    temp_root = tempfile.mkdtemp(prefix="kpray-", dir="/tmp")
    os.environ["RAY_TMPDIR"] = temp_root  # Ray's address file and defaults land here, not in /tmp/ray
    temp_dir = os.path.join(temp_root, "ray")
    os.makedirs(temp_dir)
    node_args = {"num_cpus": 2, "object_store_memory": 80_000_000}
    cluster = Cluster(
        initialize_head=True,
        head_node_args={
            **node_args,
            "labels": {"zone": ZONES[0]},
            "include_dashboard": False,
            "temp_dir": temp_dir,
        },
    )
    for zone in ZONES[1:]:
        cluster.add_node(**node_args, labels={"zone": zone})
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()
    shutil.rmtree(temp_root, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_session(ray_cluster):
    """Ray, connected to the session cluster (for tests that just need *a* Ray)."""
    import ray

    return ray


@pytest.fixture
def repo() -> Path:
    return REPO
