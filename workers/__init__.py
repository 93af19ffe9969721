"""What runs inside Ray workers: one node as a task (``task``), warm pool actors (``pool``,
``families``), and the check that the models a run needs are on this machine (``preflight``)."""
