"""Zone-aware placement: topology, cost model, the scheduling core, and the simulator.

For the executor: ``place_dag(dag, profile, policy, exclude_zones=, done=) -> Placement`` and
``estimate_seconds(stage, backend, params, gpu_kind=None)``. Nothing here imports ray or torch.
"""

from orchestrator.placement.costmodel import CostModel, estimate_seconds
from orchestrator.placement.placedag import Placement, place_dag

__all__ = ["CostModel", "Placement", "estimate_seconds", "place_dag"]
