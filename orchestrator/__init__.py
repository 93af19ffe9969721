"""kaipai orchestrator: job specs, profiles, DAG planning, placement, execution on Ray, CLI."""

__version__ = "0.1.0"
