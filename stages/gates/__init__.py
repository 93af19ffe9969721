"""Quality gates: after assembly, the checks a platform's ingest and a viewer would make of an episode."""
