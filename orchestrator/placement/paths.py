"""One upward-rank / critical-path helper for every index-based graph in placement.

The scheduler (HEFT's rank_u with mean costs and mean communication), the simulator's workload
(remaining path length at speed 1), the lower bound (path at the fastest GPU) and ``kaipai plan``'s
critical path all need "this node's cost plus the longest tail after it". One function keeps them
agreeing; callers pass the order (reverse topological) and the costs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def upward_ranks(
    order: Sequence[int],
    succs: Sequence[Sequence[int]],
    cost: Sequence[float],
    edge_cost: Callable[[int, int], float] | None = None,
) -> list[float]:
    """rank(i) = cost(i) + max over successors j of (edge_cost(i, j) + rank(j)).

    ``order`` lists every node with each node after all its successors (reverse topological).
    """
    rank = [0.0] * len(cost)
    for i in order:
        after = 0.0
        if edge_cost is None:
            for j in succs[i]:
                if rank[j] > after:
                    after = rank[j]
        else:
            for j in succs[i]:
                x = edge_cost(i, j) + rank[j]
                if x > after:
                    after = x
        rank[i] = cost[i] + after
    return rank


def longest_path(
    order: Sequence[int], succs: Sequence[Sequence[int]], cost: Sequence[float]
) -> tuple[list[int], float]:
    """The critical path (node indices, first to last) and its length; ``order`` as for upward_ranks."""
    rank = upward_ranks(order, succs, cost)
    if not rank:
        return [], 0.0
    has_pred = [False] * len(cost)
    for i in range(len(cost)):
        for j in succs[i]:
            has_pred[j] = True
    node = max((i for i in range(len(cost)) if not has_pred[i]), key=rank.__getitem__)
    path = [node]
    while succs[node]:
        node = max(succs[node], key=rank.__getitem__)
        path.append(node)
    return path, rank[path[0]]
