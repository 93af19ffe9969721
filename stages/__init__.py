"""kaipai stages: what each unit of work computes, and its backends."""
