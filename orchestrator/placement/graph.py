"""The generic task graph of DESIGN.md: resources with slots, tasks with per-resource costs, edges
with ``comm`` or ``bytes`` over ``links``. Loaded from JSON with errors that name the field.

kaipai adds optional, backward-compatible fields: a task's ``priority`` (studio priority, higher
first), ``group`` (an episode: its tasks prefer one home resource), ``model`` (weights it needs) and
``release`` (earliest start: its job's arrival);
a resource's ``load`` (seconds to load a model on one of its slots when the weights are not warm).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stages.errors import InputError, Problem

MAX_GRAPH_BYTES = 50_000_000


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResourceSpec(_M):
    id: str = Field(min_length=1)
    slots: int = Field(1, ge=1, le=1_000_000)
    load: dict[str, float] = Field(default_factory=dict, description="model -> seconds to load it on a slot")


class TaskSpec(_M):
    id: str = Field(min_length=1)
    cost: dict[str, float] = Field(min_length=1, description="resource -> run time there")
    priority: int = 0
    group: str | None = None
    model: str | None = None
    release: float = Field(0.0, ge=0, description="Earliest start (a job's arrival), seconds.")


class EdgeSpec(_M):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    src: str = Field(alias="from")
    dst: str = Field(alias="to")
    comm: float | None = Field(None, ge=0)
    bytes: float | None = Field(None, ge=0)


class LinkSpec(_M):
    between: tuple[str, str]
    latency: float = Field(0.0, ge=0)
    bandwidth: float = Field(gt=0)


class GraphSpec(_M):
    description: str = ""
    resources: list[ResourceSpec] = Field(min_length=1)
    tasks: list[TaskSpec]
    edges: list[EdgeSpec] = Field(default_factory=list)
    links: list[LinkSpec] = Field(default_factory=list)


@dataclass
class TaskGraph:
    """A validated graph with index-based adjacency, ready for the scheduler."""

    resources: list[ResourceSpec]
    tasks: list[TaskSpec]
    edges: list[EdgeSpec]
    links: dict[frozenset[str], LinkSpec] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)
    succ: list[list[tuple[int, EdgeSpec]]] = field(default_factory=list)
    pred: list[list[tuple[int, EdgeSpec]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.index = {t.id: i for i, t in enumerate(self.tasks)}
        self.succ = [[] for _ in self.tasks]
        self.pred = [[] for _ in self.tasks]
        for e in self.edges:
            a, b = self.index[e.src], self.index[e.dst]
            self.succ[a].append((b, e))
            self.pred[b].append((a, e))

    def comm_time(self, edge: EdgeSpec, src_resource: str, dst_resource: str) -> float:
        """Time the edge's data takes between two resources: zero on the same one."""
        if src_resource == dst_resource:
            return 0.0
        if edge.comm is not None:
            return edge.comm
        if edge.bytes is None:
            return 0.0
        link = self.links[frozenset((src_resource, dst_resource))]
        return link.latency + edge.bytes / link.bandwidth

    def mean_comm(self, edge: EdgeSpec) -> float:
        """Topcuoglu's c-bar: the given ``comm``, or mean latency + bytes / mean bandwidth over links."""
        if edge.comm is not None:
            return edge.comm
        if not edge.bytes or not self.links:
            return 0.0
        links = list(self.links.values())
        latency = sum(x.latency for x in links) / len(links)
        bandwidth = sum(x.bandwidth for x in links) / len(links)
        return latency + edge.bytes / bandwidth


def _find_cycle(n: int, succ: list[list[int]]) -> list[int] | None:
    """A cycle's task indices, or None (iterative DFS, colours white/grey/black)."""
    colour = [0] * n
    parent = [-1] * n
    for root in range(n):
        if colour[root]:
            continue
        stack = [(root, iter(succ[root]))]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
            elif colour[nxt] == 0:
                colour[nxt] = 1
                parent[nxt] = node
                stack.append((nxt, iter(succ[nxt])))
            elif colour[nxt] == 1:
                back, cur = [], node
                while cur != nxt:
                    back.append(cur)
                    cur = parent[cur]
                return [nxt, *reversed(back)]
    return None


def _semantic_problems(spec: GraphSpec, file: Path | str | None) -> list[Problem]:
    problems: list[Problem] = []

    def bad(message: str, where: str) -> None:
        problems.append(Problem(message, file, None, where))

    rids = [r.id for r in spec.resources]
    known_resources = set(rids)
    for i, rid in enumerate(rids):
        if rids.index(rid) != i:
            bad(f"duplicate resource id {rid!r}", f"resources[{i}].id")
    tids: dict[str, int] = {}
    for i, task in enumerate(spec.tasks):
        if task.id in tids:
            bad(f"duplicate task id {task.id!r}", f"tasks[{i}].id")
        tids.setdefault(task.id, i)
        for rid, value in task.cost.items():
            if rid not in known_resources:
                bad(f"unknown resource {rid!r} (resources: {', '.join(rids)})", f"tasks[{i}].cost.{rid}")
            elif value < 0:
                bad("a cost is a time and cannot be negative", f"tasks[{i}].cost.{rid}")
    for i, link in enumerate(spec.links):
        for rid in link.between:
            if rid not in known_resources:
                bad(f"unknown resource {rid!r}", f"links[{i}].between")
    links = {frozenset(x.between): x for x in spec.links}
    for i, edge in enumerate(spec.edges):
        for end, tid in (("from", edge.src), ("to", edge.dst)):
            if tid not in tids:
                bad(f"edge names unknown task {tid!r}", f"edges[{i}].{end}")
        if edge.comm is not None and edge.bytes is not None:
            bad("give either comm or bytes, not both", f"edges[{i}]")
        if edge.src == edge.dst:
            bad("an edge from a task to itself is a cycle", f"edges[{i}]")
        if edge.bytes and edge.comm is None and edge.src in tids and edge.dst in tids:
            a, b = spec.tasks[tids[edge.src]], spec.tasks[tids[edge.dst]]
            for ra in a.cost:
                for rb in b.cost:
                    if (
                        ra != rb
                        and ra in known_resources
                        and rb in known_resources
                        and frozenset((ra, rb)) not in links
                    ):
                        bad(f"edge carries bytes but there is no link between {ra!r} and {rb!r}", f"edges[{i}]")
                        break
                else:
                    continue
                break
    if not problems:
        succ: list[list[int]] = [[] for _ in spec.tasks]
        for e in spec.edges:
            succ[tids[e.src]].append(tids[e.dst])
        cycle = _find_cycle(len(spec.tasks), succ)
        if cycle:
            names = " -> ".join(spec.tasks[j].id for j in [*cycle, cycle[0]])
            bad(f"the graph has a cycle: {names}", "edges")
    return problems


def graph_from_data(data: Any, file: Path | str | None = None) -> TaskGraph:
    """Validate parsed JSON into a TaskGraph, or raise an InputError listing every problem."""
    if not isinstance(data, dict):
        raise InputError("a task graph is a JSON object with resources, tasks and edges", file=file)
    try:
        spec = GraphSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
            msg = "unknown key (check its spelling)" if err["type"] == "extra_forbidden" else err["msg"]
            problems.append(Problem(msg.removeprefix("Value error, "), file, None, where or None))
        raise InputError(problems=problems) from None
    problems = _semantic_problems(spec, file)
    if problems:
        raise InputError(problems=problems)
    return TaskGraph(spec.resources, spec.tasks, spec.edges, {frozenset(x.between): x for x in spec.links})


def load_graph(path: str | Path) -> TaskGraph:
    """Read a task graph JSON file (size-limited) and validate it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError("task graph not found", file=path) from None
    if size > MAX_GRAPH_BYTES:
        raise InputError(f"task graph is {size} bytes; the limit is {MAX_GRAPH_BYTES}", file=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=path, line=exc.lineno) from None
    except UnicodeDecodeError:
        raise InputError("task graph is not UTF-8 text", file=path) from None
    return graph_from_data(data, path)


def topo_order(graph: TaskGraph) -> list[int]:
    """Kahn's order (stable: lower index first among ready tasks)."""
    indeg = [len(p) for p in graph.pred]
    ready = deque(i for i, d in enumerate(indeg) if d == 0)
    order: list[int] = []
    while ready:
        i = ready.popleft()
        order.append(i)
        for j, _ in graph.succ[i]:
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    return order
