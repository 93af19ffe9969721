"""Execution of a placed DAG: run state, dispatch loop, pools, failure policy, zone loss, report.

Read in this order: ``status`` and ``report`` (plain data), ``state`` (the pure run state and its
transitions), ``executor`` (the steps of one run), ``dispatch`` (the loop), then the parts it uses:
``failures``, ``zones``, ``pools``, ``admission``, ``placing``, ``backend`` / ``ray_backend``,
``telemetry``, ``runtime``. What runs inside Ray workers is in ``workers.task``.

Import from the modules (``orchestrator.execution.executor.Executor``); this file re-exports
nothing, so importing one plain-data module never pulls in the loop.
"""
