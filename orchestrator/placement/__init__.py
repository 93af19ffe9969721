"""Zone-aware placement: topology, cost model, the scheduling core, and the simulator."""
