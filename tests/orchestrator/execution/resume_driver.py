"""Run a fake job against an existing Ray cluster; the resume test SIGKILLs this process mid-way."""

from __future__ import annotations

import sys
from pathlib import Path

import ray

from orchestrator.dag import plan_dag
from orchestrator.execution.executor import Executor
from tests.orchestrator.conftest import fake_profile, make_job
from tests.orchestrator.fakes import register_fakes
from tests.orchestrator.storyboards import make_storyboard

if __name__ == "__main__":
    address, store_root = sys.argv[1], Path(sys.argv[2])
    register_fakes()
    ray.init(address=address, log_to_driver=False, configure_logging=False)
    profile = fake_profile({"motion": {"sleep": 0.4}, "mux": {"sleep": 0.3}})
    dag = plan_dag(make_job(store_root.parent), make_storyboard(episodes=2, shots=3), profile)
    Executor(profile, store_root).run(dag)
    print("finished")
