"""When the work left could be done at the earliest, online: the horizon kaipai keeps slow GPUs within.

The lower bound's GPU-kind argument (``bounds.py``, bound 5), applied to what is left now: in H more
seconds a task of x speed-1 seconds can only run on a kind with speed >= x / H, so the long tasks not
started yet must fit on the kinds fast enough for them, and all the work left on every GPU. The
smallest such H, by bisection. Only long tasks (LONG_TASK_S and more) are listed one by one; the rest
count in the total only (a short task fits on any kind unless H is tiny).
"""

from __future__ import annotations

from orchestrator.placement.bounds import count_above, least_fitting

LONG_TASK_S = 60.0  # speed-1 seconds from which a task is weighed against the kinds it fits on


def kinds_horizon(work_left: float, long_tasks: list[float], kinds: list[tuple[float, float]]) -> float:
    """Smallest H with ``work_left`` <= total capacity x H and, for every kind speed s, the long tasks
    longer than s x H fitting on the faster kinds' capacity x H. ``kinds``: (speed, capacity = speed x
    GPUs), ascending by speed; ``long_tasks``: speed-1 seconds, descending."""
    if not kinds:
        return 0.0
    total = sum(c for _, c in kinds)
    low = work_left / total
    if not long_tasks:
        return low
    faster = [sum(c for _, c in kinds[i:]) for i in range(len(kinds))]  # capacity of kinds[i] and up
    prefix, acc = [], 0.0
    for x in long_tasks:
        acc += x
        prefix.append(acc)

    def fits(h: float) -> bool:
        if long_tasks[0] > kinds[-1][0] * h:
            return False
        for i in range(1, len(kinds)):
            n = count_above(long_tasks, kinds[i - 1][0] * h)
            if n and prefix[n - 1] > faster[i] * h:
                return False
        return True

    if fits(low):
        return low
    hi = max(low, long_tasks[0] / kinds[-1][0]) * 2 + 1.0
    while not fits(hi):
        hi *= 2
    return least_fitting(fits, low, hi, 30)
