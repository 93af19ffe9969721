"""The simulated cluster's state and the questions a placement policy asks of it.

Zones with GPUs (one speed per kind, related machines), CPU cores, per-zone queues, the models each
GPU holds, weights on each zone's disk, and the inter-zone links. A ``Placer`` reads this state (free
slots per zone and kind, warm models, queued and running work, link load) to decide; the event loop
in ``simulator.py`` changes it. Everything is O(log n) or O(GPU kinds) per question.
"""

from __future__ import annotations

import heapq
import random

from orchestrator.placement.costmodel import GPU_SPEED, MODEL_INIT_SECONDS, MODELS
from orchestrator.placement.topology import Topology
from orchestrator.placement.workload import Workload

# Event kinds of the simulator's loop (here so placers that start transfers can name them)
ARRIVE, DONE, LINK, INPUTS, WEIGHTS, ZONE_WEIGHTS, LOSE = range(7)

SLOW_FACTOR = 3.0  # a "slow GPU" runs this many times slower than its kind's estimate


class Link:
    """Processor sharing: n concurrent transfers each get bandwidth / n. Virtual time V counts the
    bytes every active transfer has received; a transfer of b bytes started at V0 ends when V = V0 + b."""

    __slots__ = ("bandwidth", "heap", "last", "latency", "v", "version")

    def __init__(self, latency: float, bandwidth: float) -> None:
        self.latency, self.bandwidth = latency, bandwidth
        self.v = 0.0
        self.last = 0.0
        self.heap: list[tuple[float, int]] = []
        self.version = 0

    def advance(self, now: float) -> None:
        if self.heap:
            self.v += (now - self.last) * self.bandwidth / len(self.heap)
        self.last = now

    def next_time(self) -> float:
        return self.last + (self.heap[0][0] - self.v) * len(self.heap) / self.bandwidth


class ClusterState:
    """Zones, GPUs (grouped by zone and kind, fastest first), queues, weights and links."""

    # Fixed attributes, no instance dict: the event loop reads them millions of times, and an instance
    # dict of more than 30 keys is not a shared-key one, so CPython 3.11 looked most of them up by name
    # (slots: 5% fewer instructions per simulated task). Simulation adds its own.
    # fmt: off
    __slots__ = (
        "alive", "backlog", "booked_speed", "booked_totals", "booked_work", "busy_at", "busy_heap", "busy_until",
        "cpu_backlog", "cpu_free", "cpu_queue", "entry_speed", "est_speed", "fetching", "first_free_at", "free",
        "free_count", "free_entry", "free_in_group", "gpu_count", "gpu_kind", "gpu_model", "gpu_queue", "gpu_speed",
        "gpu_zone", "group_capacity", "group_count", "group_of", "group_speed", "link_at", "links", "load_local",
        "max_speed", "model_bytes", "n_cpus", "none", "now", "nz", "per_zone", "queued", "queued_model_work",
        "queued_work", "running_on", "speed_sum", "staged", "topology", "true_speed", "w", "warm", "weight_source",
        "zone_groups", "zone_of", "zones",
    )
    # fmt: on

    def __init__(self, topology: Topology, w: Workload, *, slow_gpus: int = 0, seed: int = 0) -> None:
        self.topology = topology
        self.zones = topology.zones
        self.nz = nz = len(self.zones)
        self.w = w
        self.now = 0.0
        models = w.models
        self.none = len(models)  # the "no model loaded" index
        self.model_bytes = [(MODELS[m].weights_bytes if m in MODELS else 10e9) for m in models]
        # Weights on each zone's disk. A zone that streams a model from another zone keeps it
        # afterwards (its cache), but every GPU that loads it before the copy lands streams it too.
        self.staged = [[m in z.weights for m in models] for z in self.zones]
        self.alive = [True] * nz
        self._build_gpus(topology, len(models))
        self._build_groups()
        self._slow_down(slow_gpus, seed)
        self.queued = [0] * nz  # GPU tasks waiting in each zone's queues
        self.queued_work = [0.0] * nz
        self.queued_model_work = [[0.0] * len(models) for _ in range(nz)]  # the same, per model
        self.fetching: list[dict[int, list[tuple[int, int]]]] = [{} for _ in range(nz)]  # zone copies in flight
        self.warm = [[0] * len(models) for _ in range(nz)]  # GPUs holding each model, per zone
        self.cpu_free = [max(z.cpus, 1) for z in self.zones]
        self.n_cpus = list(self.cpu_free)
        self.gpu_queue: list[list[list[tuple]]] = [[[] for _ in models] for _ in range(nz)]  # heaps of keys
        self.cpu_queue: list[list[tuple]] = [[] for _ in range(nz)]
        self.backlog = [0.0] * nz  # GPU work (speed-1 seconds) placed in a zone and not finished
        self.cpu_backlog = [0.0] * nz
        self._build_links(topology)
        self.zone_of = [-1] * len(w.kind)
        self.per_zone = [0] * nz

    def preload(self, warm_gpus: dict[tuple[str, str], int]) -> None:
        """GPUs that start with a model already in memory: (zone, model) -> how many (a live pool's
        actors). The fastest idle GPUs of the zone take it; a model no task uses is left out."""
        zone_index = {z.name: i for i, z in enumerate(self.zones)}
        model_index = {name: i for i, name in enumerate(self.w.models)}
        for (zone, model), count in sorted(warm_gpus.items()):
            zi, m = zone_index.get(zone), model_index.get(model)
            if zi is None or m is None:
                continue
            unloaded = self.free[zi][self.none]
            for _ in range(min(count, len(unloaded))):
                entry = heapq.heappop(unloaded)
                self.gpu_model[entry[1]] = m
                self.warm[zi][m] += 1
                heapq.heappush(self.free[zi][m], entry)

    def _build_gpus(self, topology: Topology, n_models: int) -> None:
        speed_of = {**GPU_SPEED, **topology.gpu_speed}
        self.gpu_speed: list[float] = []  # the kind's speed: what every estimate assumes
        self.est_speed: list[float] = []  # what the policy believes (learned from observed runs)
        self.true_speed: list[float] = []  # what it really runs at
        self.gpu_zone: list[int] = []
        self.gpu_kind: list[str] = []
        self.gpu_model: list[int] = []
        # free[z][m]: heap of (-speed, gpu) idle GPUs holding model m (index n_models = none loaded)
        self.free: list[list[list[tuple[float, int]]]] = [[[] for _ in range(n_models + 1)] for _ in range(self.nz)]
        # Each GPU's free-heap entry, kept while its estimated speed is the same float object
        # (entry_speed): no tuple to build per release, and GPUs of one speed share the -speed object,
        # so comparing their entries' first fields is an identity test.
        self.free_entry: list[tuple[float, int]] = []
        for zi, z in enumerate(self.zones):
            for kind_name, count in z.gpus.items():
                s = speed_of.get(kind_name, 0.5)
                neg = -s
                for _ in range(count):
                    g = len(self.gpu_speed)
                    self.gpu_speed.append(s)
                    self.gpu_zone.append(zi)
                    self.gpu_kind.append(kind_name)
                    self.gpu_model.append(n_models)
                    self.free_entry.append((neg, g))
                    self.free[zi][n_models].append(self.free_entry[g])
            heapq.heapify(self.free[zi][n_models])
        self.est_speed = list(self.gpu_speed)
        self.entry_speed = list(self.gpu_speed)
        self.true_speed = list(self.gpu_speed)
        self.running_on: list[int] = [-1] * len(self.gpu_speed)  # task per busy GPU
        self.free_count = [sum(z.gpus.values()) for z in self.zones]
        self.speed_sum = [sum(speed_of.get(k, 0.5) * c for k, c in z.gpus.items()) for z in self.zones]
        self.gpu_count = list(self.free_count)

    def _build_groups(self) -> None:
        """One group per (zone, kind), fastest first: "when does a faster GPU free up?" is O(kinds)."""
        self.group_of: list[int] = []
        self.group_speed: list[float] = []
        self.zone_groups: list[list[int]] = [[] for _ in range(self.nz)]
        for zi, s in zip(self.gpu_zone, self.gpu_speed, strict=True):
            key = next((x for x in self.zone_groups[zi] if self.group_speed[x] == s), -1)
            if key < 0:
                key = len(self.group_speed)
                self.group_speed.append(s)
                self.zone_groups[zi].append(key)
            self.group_of.append(key)
        for zi in range(self.nz):
            self.zone_groups[zi].sort(key=lambda x: -self.group_speed[x])
        self.free_in_group = [0] * len(self.group_speed)
        for x in self.group_of:
            self.free_in_group[x] += 1
        self.group_capacity = [self.group_speed[x] * self.free_in_group[x] for x in range(len(self.group_speed))]
        self.group_count = list(self.free_in_group)  # GPUs per group
        # Per group, the estimated finishes booked (a heap of plain floats: no tuples to compare) and
        # per finish the GPUs booked for it; a GPU booked again since is a stale entry.
        self.busy_heap: list[list[float]] = [[] for _ in self.group_speed]
        self.busy_at: list[dict[float, list[int]]] = [{} for _ in self.group_speed]
        self.busy_until = [0.0] * len(self.gpu_speed)
        # What busy GPUs are booked for: per GPU its estimated speed and task work, and over all of
        # them (sum of speeds, sum of speed x estimated finish, sum of work): gpu_work_left in O(1).
        self.booked_speed = [0.0] * len(self.gpu_speed)
        self.booked_work = [0.0] * len(self.gpu_speed)
        self.booked_totals = [0.0, 0.0, 0.0]
        self.max_speed = [
            max((self.group_speed[x] for x in self.zone_groups[zi]), default=0.0) for zi in range(self.nz)
        ]
        self.first_free_at = [-1.0] * self.nz  # zone_first_free's answer until the zone's GPUs change

    def _slow_down(self, count: int, seed: int) -> None:
        """``count`` GPUs, drawn from the seed, run SLOW_FACTOR times slower than their kind says."""
        if count <= 0 or not self.gpu_speed:
            return
        for g in random.Random(seed + 7).sample(range(len(self.gpu_speed)), min(count, len(self.gpu_speed))):
            self.true_speed[g] = self.gpu_speed[g] / SLOW_FACTOR

    def _build_links(self, topo: Topology) -> None:
        nz, zones, models = self.nz, self.zones, self.w.models
        self.links: dict[tuple[int, int], Link] = {}
        for a in range(nz):
            for b in range(a + 1, nz):
                latency, bandwidth = topo.latency_bandwidth(zones[a].name, zones[b].name)
                self.links[(a, b)] = self.links[(b, a)] = Link(latency, bandwidth)
        self.link_at = [self.links.get((a // nz, a % nz)) for a in range(nz * nz)]  # by src * nz + dst
        names = topo.zone_names()
        self.weight_source: list[list[int]] = []
        for z in zones:
            row = []
            for m in models:
                src = topo.weights_source(m, z.name) if m not in z.weights else z.name
                row.append(names.index(src) if src else -1)
            self.weight_source.append(row)
        self.load_local = [
            [MODEL_INIT_SECONDS + self.model_bytes[m] / z.read_bandwidth for m in range(len(models))] for z in zones
        ]

    def unbook(self, g: int) -> None:
        """GPU g's booking is over (its task finished, or its zone was lost)."""
        speed = self.booked_speed[g]
        if speed:
            totals = self.booked_totals
            totals[0] -= speed
            totals[1] -= speed * self.busy_until[g]
            totals[2] -= self.booked_work[g]
            self.booked_speed[g] = 0.0

    # ---- questions policies ask

    def gpu_work_left(self) -> float:
        """Estimated speed-1 GPU seconds still to do in live zones: the work placed and not started,
        plus what running tasks have left by their estimated finish (loads included)."""
        placed = sum(b for b, up in zip(self.backlog, self.alive, strict=True) if up)
        speed, until, running = self.booked_totals
        return placed - running + max(until - speed * self.now, 0.0)

    def transfer_estimate(self, src: int, dst: int, nbytes: float) -> float:
        """Seconds to ship ``nbytes`` now, sharing the link with the transfers already on it."""
        link = self.link_at[src * self.nz + dst]  # a list index: no tuple to build and hash
        return link.latency + nbytes * (len(link.heap) + 1) / link.bandwidth

    def fetch_estimate(self, zi: int, m: int) -> float:
        """Seconds until model m could run on a GPU of zone zi that does not hold it."""
        if self.staged[zi][m] or self.weight_source[zi][m] < 0:
            return self.load_local[zi][m]
        return self.transfer_estimate(self.weight_source[zi][m], zi, self.model_bytes[m]) + self.load_local[zi][m]

    def group_free_at(self, x: int) -> float:
        """When the first GPU of group x is free: now if one is idle, else its earliest estimated finish."""
        now = self.now
        if self.free_in_group[x]:
            return now
        heap, busy_until, busy_at = self.busy_heap[x], self.busy_until, self.busy_at[x]
        while heap:
            until = heap[0]
            if until >= now:
                booked = busy_at[until]
                while booked:
                    if busy_until[booked[-1]] == until:
                        return until
                    booked.pop()  # booked again since: stale
            heapq.heappop(heap)
            del busy_at[until]
        return now

    def zone_first_free(self, zi: int) -> float:
        """When zone zi's first GPU is free (now if one is idle); cached until its GPUs change."""
        first = self.first_free_at[zi]
        if first >= self.now:
            return first
        first = float("inf")
        for x in self.zone_groups[zi]:
            at = self.group_free_at(x)
            if at < first:
                first = at
        self.first_free_at[zi] = first
        return first

    def fastest_free(self, zi: int) -> float:
        """Speed of zone zi's fastest idle GPU kind (0 when none is idle)."""
        for x in self.zone_groups[zi]:
            if self.free_in_group[x]:
                return self.group_speed[x]
        return 0.0

    def best_free_gpu(self, zi: int, m: int, wt: float) -> tuple[int, float]:
        """(free-heap index, seconds to finish) of zone zi's idle GPU that finishes ``wt`` seconds of
        model m first: one holding the model, or the fastest idle one plus loading the model (O(models);
        among equally fast cold GPUs the lowest heap index, evicting the same model every time)."""
        free = self.free[zi]
        cold_i, cold_speed = -1, 0.0
        for i, heap in enumerate(free):
            if heap and i != m and -heap[0][0] > cold_speed:
                cold_i, cold_speed = i, -heap[0][0]
        own = free[m]
        if not own:
            warm_s = -1.0
        else:
            own_speed = -own[0][0]
            warm_s = wt / own_speed
            if own_speed >= cold_speed:  # as fast and no load (a load takes time): warm wins outright
                return m, warm_s
        if cold_i < 0:
            return m, warm_s
        cold_s = self.fetch_estimate(zi, m) + wt / cold_speed
        if 0.0 <= warm_s <= cold_s:
            return m, warm_s
        return cold_i, cold_s

    def best_free_seconds(self, zi: int, m: int, wt: float) -> float:
        """Seconds until zone zi's best idle GPU finishes the work (best_free_gpu's time only)."""
        own = self.free[zi][m]
        fastest = 0.0
        free_in_group = self.free_in_group
        for x in self.zone_groups[zi]:
            if free_in_group[x]:
                fastest = self.group_speed[x]
                break
        if own:
            speed = -own[0][0]
            if speed >= fastest:  # loading weights always costs time, so a warm GPU as fast wins
                return wt / speed
            return min(wt / speed, self.fetch_estimate(zi, m) + wt / fastest)
        if self.staged[zi][m] or self.weight_source[zi][m] < 0:  # fetch_estimate's common case, inline
            return self.load_local[zi][m] + wt / fastest
        return self.fetch_estimate(zi, m) + wt / fastest

    def inputs_by_zone(self, ps: tuple[int, ...]) -> list[tuple[int, float]]:
        """(zone, largest input bytes there) for the zones holding inputs; usually just one zone."""
        if not ps:
            return []
        zone_of, out_bytes = self.zone_of, self.w.out_bytes
        first = zone_of[ps[0]]
        largest = out_bytes[ps[0]]
        for p in ps:
            if zone_of[p] != first:
                break
            if out_bytes[p] > largest:
                largest = out_bytes[p]
        else:
            return [(first, largest)]
        in_zone = [-1.0] * self.nz  # -1 where none
        for p in ps:
            pz = zone_of[p]
            if out_bytes[p] > in_zone[pz]:
                in_zone[pz] = out_bytes[p]
        return [(pz, in_zone[pz]) for pz in range(self.nz) if in_zone[pz] >= 0.0]

    def can_run(self, zi: int, t: int) -> bool:
        """Zone zi is up, allowed for task t, and has the kind of slot t needs."""
        if not self.alive[zi]:
            return False
        allowed = self.w.allowed
        if allowed and not (allowed[t] >> zi) & 1:
            return False
        return self.w.model[t] < 0 or self.speed_sum[zi] > 0
