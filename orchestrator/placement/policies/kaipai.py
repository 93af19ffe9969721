"""``kaipai``: earliest estimated finish over zones, with episode locality, warm weights and stealing.

1. Zone (``choose_zone``): an episode's home is the zone of its first large artifact (a clip,
   HOME_BYTES); a task whose episode inputs all sit in the episode's home zone stays
   there when that zone can start it now about as fast as anywhere (a free core; an idle GPU holding
   its model within LOCALITY_SLACK_S of the fastest GPU anywhere). Otherwise the earliest estimated
   finish over zones: inputs shipped in (the largest input per source zone: transfers from one zone
   run in parallel), the zone's best idle GPU or, when none is idle, its first GPU to free up after
   the work queued ahead, the model load (warm GPUs, staged weights), and shipping the output back
   to the episode's home zone.
2. GPU (``enqueue_gpu``/``dispatch``): remaining path length (upward rank) orders each zone's
   queues (studio priority first, as before, gave 1.264x the lower bound at the median of
   datong-standard seeds 1-10 and 1.757x at the worst, against 1.178x and 1.385x; priorities and
   fair shares between studios belong to the cluster service's admission, not this order); the
   head goes to the idle GPU where it finishes first, unless a faster kind would
   get to it (after the queue ahead) and finish it sooner: no 1,700 s clip straggles on a 0.3x GPU.
   Nor does a run start on a slow GPU when it would outlast the cluster's horizon (``horizon.py``:
   the least time the work left needs, long tasks on kinds fast enough for them; HORIZON_SLACK
   above it) while a faster GPU of the zone is busy: it waits for that one (whose finish dispatches
   the zone again) or takes a faster idle one cold. A long task's zone is one whose fastest kind
   keeps within the horizon, and a thief never takes work its own GPUs would run past it. Without
   this, seeds 1, 3 and 5 of datong-standard ended on one Wan clip started late on an H20 or L40S.
   The slack was picked on seeds 1-20 (0.2 and 0.4 both give a mean of 1.169x the lower bound).
   A GPU holding another model that its zone still has queued work for is not switched to model m
   while the busy GPUs holding m drain m's queue before a load could finish (``warm_soon``).
3. Stealing (``gpu_freed``/``steal``): an idle GPU takes queued work from a backed-up zone when it
   outranks its own queue and finishes sooner here, transfers and weights included.
4. Weights: a zone lacking a model fetches one copy; its other GPUs wait for it.
5. Learning (``observe``): each GPU's speed is an exponential moving average of observed speeds, so
   a GPU slower than its kind is found after a few tasks and weighed (and picked) as what it is. How
   far runs miss their estimates (root mean square of the log ratio) makes the horizon rule
   pessimistic: a long run on a slow GPU counts RISK_SIGMAS misses above its estimate (exactly its
   estimate when runs keep to theirs). With ``--estimate-error 0.3`` on seeds 1-10 that took the
   median from 1.454x to 1.355x the lower bound (3 misses: 1.346x).
"""

from __future__ import annotations

import heapq
import math

from orchestrator.placement.cluster import INPUTS
from orchestrator.placement.horizon import LONG_TASK_S, kinds_horizon
from orchestrator.placement.policies.base import Placer

LOCALITY_SLACK_S = 1.0  # keep a task home when elsewhere would save at most this much GPU time
LEARNING_RATE = 0.3  # weight of one observation in a GPU's speed estimate
HORIZON_SLACK = 0.4  # a run may outlast the cluster's backlog horizon by this fraction on a slow GPU
RISK_SIGMAS = 2.0  # how pessimistic a long run on a slow GPU is weighed, in observed misses
HORIZON_EVERY_S = 5.0  # simulated seconds between two computations of the horizon
HOME_BYTES = 10e6  # the first task of an episode with an output this large (a clip) fixes its home


class KaipaiPlacer(Placer):
    name = "kaipai"
    fetch_once_per_zone = True

    def __init__(self, seed: int = 0) -> None:
        super().__init__(seed)
        self.home: dict[int, int] = {}  # episode -> its home zone

    def bind(self, sim) -> None:
        super().bind(sim)
        self.top_speed = max(sim.gpu_speed, default=0.0)
        self.long_tasks: set[int] = set()  # GPU tasks of LONG_TASK_S or more, placed and not finished
        self.horizon_at, self.horizon_cached = -1.0, 0.0
        # How far observed runs miss their estimates (log ratio, root mean square): a long run on a
        # slow GPU is weighed at RISK_SIGMAS of it above its estimate against the horizon.
        self.miss_sq, self.observed, self.risk = 0.0, 0, 1.0

    def queue_key(self, t: int) -> tuple:
        return (-self.sim.w.rank[t], t)

    def observe(self, t: int, g: int, seconds: float) -> None:
        s = self.sim
        self.long_tasks.discard(t)
        if not s.warm_start[t] or seconds <= 0:  # a load's time says nothing about the GPU's speed
            return
        seen = s.w.work[t] / seconds
        if abs(seen - s.est_speed[g]) > 1e-9 * seen:  # float noise in now - start is no news
            miss = math.log(seen / s.est_speed[g])
            self.miss_sq += miss * miss
            s.est_speed[g] = (1 - LEARNING_RATE) * s.est_speed[g] + LEARNING_RATE * seen
        self.observed += 1
        if self.miss_sq:  # else exp(0): the risk stays exactly 1
            self.risk = math.exp(RISK_SIGMAS * math.sqrt(self.miss_sq / self.observed))

    # ---- 1. zone

    def stays_home(self, t: int, h: int) -> bool:
        s = self.sim
        w = s.w
        if not s.alive[h]:
            return False
        zone_of, episode = s.zone_of, w.episode
        for p in w.preds[t]:  # the episode's own inputs; a series' character sheets are small and shared
            if zone_of[p] != h and episode[p] >= 0:
                return False
        m = w.model[t]
        if m < 0:
            return s.cpu_free[h] > 0
        if w.allowed and not (w.allowed[t] >> h) & 1:
            return False
        own = s.free[h][m]
        return bool(own) and w.work[t] / -own[0][0] - w.work[t] / self.top_speed <= LOCALITY_SLACK_S

    def choose_zone(self, t: int) -> int:
        s = self.sim
        w = s.w
        m, ps, ep = w.model[t], w.preds[t], w.episode[t]
        if m >= 0 and w.work[t] >= LONG_TASK_S:
            self.long_tasks.add(t)
        ep_home = self.home.get(ep, -1) if ep >= 0 else -1
        wt = w.work[t]
        zone_of = s.zone_of
        if ep_home >= 0 and ps and s.alive[ep_home]:  # stays_home(t, ep_home), inline
            episode = w.episode
            for p in ps:
                if zone_of[p] != ep_home and episode[p] >= 0:
                    break
            else:
                if m < 0:
                    if s.cpu_free[ep_home] > 0:
                        return ep_home
                elif not w.allowed or (w.allowed[t] >> ep_home) & 1:
                    own = s.free[ep_home][m]
                    if own and wt / -own[0][0] - wt / self.top_speed <= LOCALITY_SLACK_S:
                        return ep_home
        # s.inputs_by_zone(ps), inline for the common case, inputs in one zone: one_zone, one_bytes
        one_zone, one_bytes, sources = -1, 0.0, []
        if ps:
            out_bytes = w.out_bytes
            one_zone, one_bytes = zone_of[ps[0]], out_bytes[ps[0]]
            for p in ps:
                if zone_of[p] != one_zone:
                    one_zone, sources = -1, s.inputs_by_zone(ps)
                    break
                if out_bytes[p] > one_bytes:
                    one_bytes = out_bytes[p]
        nz, link_at, alive, speed_sum, free_count = s.nz, s.link_at, s.alive, s.speed_sum, s.free_count
        max_speed, risk, free = s.max_speed, self.risk, s.free
        zone_groups, free_in_group = s.zone_groups, s.free_in_group
        mask = w.allowed[t] if w.allowed else -1
        # A long task goes to a zone whose fastest kind finishes it within the horizon, when one can.
        long = m >= 0 and wt >= LONG_TASK_S
        limit = (1 + HORIZON_SLACK) * max(self.horizon(), risk * wt / self.top_speed) if long else 0
        best_z, best_est, best_slow = -1, 0.0, True
        for zi in range(nz):
            if not alive[zi] or not (mask >> zi) & 1 or (m >= 0 and not speed_sum[zi]):
                continue
            slow = limit > 0 and risk * wt / max_speed[zi] > limit
            if slow and not best_slow:
                continue
            ready = 0.0
            if one_zone >= 0:
                if one_zone != zi:
                    link = link_at[one_zone * nz + zi]
                    x = link.latency + one_bytes * (len(link.heap) + 1) / link.bandwidth
                    if x > ready:
                        ready = x
            else:
                for pz, nbytes in sources:
                    if pz != zi:
                        link = link_at[pz * nz + zi]
                        x = link.latency + nbytes * (len(link.heap) + 1) / link.bandwidth
                        if x > ready:
                            ready = x
            if m < 0:
                wait = s.cpu_backlog[zi] / s.n_cpus[zi]
                est = (ready if ready > wait else wait) + wt
            elif free_count[zi]:  # ready + s.best_free_seconds(zi, m, wt), inline
                fastest = 0.0
                for x in zone_groups[zi]:
                    if free_in_group[x]:
                        fastest = s.group_speed[x]
                        break
                own = free[zi][m]
                if own:
                    speed = -own[0][0]
                    if speed >= fastest:
                        est = ready + wt / speed
                    else:
                        est = ready + min(wt / speed, s.fetch_estimate(zi, m) + wt / fastest)
                elif s.staged[zi][m] or s.weight_source[zi][m] < 0:
                    est = ready + (s.load_local[zi][m] + wt / fastest)
                else:
                    est = ready + (s.fetch_estimate(zi, m) + wt / fastest)
            else:  # the zone's first GPU to free up, after the work queued ahead, at its best speed
                wait = s.zone_first_free(zi) - s.now + s.queued_work[zi] / speed_sum[zi]
                load = 0.0 if s.warm[zi][m] else s.fetch_estimate(zi, m)
                est = (ready if ready > wait else wait) + load + wt / max_speed[zi]
            if ep_home >= 0 and zi != ep_home:
                link = link_at[zi * nz + ep_home]
                est += link.latency + w.out_bytes[t] * (len(link.heap) + 1) / link.bandwidth
            if best_z < 0 or est < best_est or (best_slow and not slow):
                best_z, best_est, best_slow = zi, est, slow
        if ep >= 0 and (ep_home < 0 or not alive[ep_home]) and w.out_bytes[t] >= HOME_BYTES:
            self.home[ep] = best_z
        return best_z

    # ---- 2. GPU inside the zone

    def faster_soon(self, zi: int, t: int, speed: float) -> bool:
        """Whether a faster GPU of zone zi would get to t and finish it before ``speed`` would: the
        faster GPUs first drain the rest of the zone's queue, so a long queue is shared with slow GPUs."""
        s = self.sim
        wt = s.w.work[t]
        mine = wt / speed
        ahead = max(s.queued_work[zi] - wt, 0.0)
        group_speed, free_in_group, now = s.group_speed, s.free_in_group, s.now
        for x in s.zone_groups[zi]:
            gs = group_speed[x]
            if gs <= speed:
                break
            if free_in_group[x]:  # idle ones were weighed already, load included; waiting on them
                continue  # would have no event to wake this task
            if s.group_free_at(x) - now + ahead / s.group_capacity[x] + wt / gs < mine:
                return True
        return False

    def horizon(self) -> float:
        """Seconds the GPU work placed and not finished needs at the least (``kinds_horizon``): a task
        that would run longer than this on a slow GPU straggles past everything else. Recomputed every
        HORIZON_EVERY_S simulated seconds, counted down in between."""
        s = self.sim
        if s.now < self.horizon_at + HORIZON_EVERY_S and self.horizon_at >= 0:
            return self.horizon_cached - (s.now - self.horizon_at)
        capacity: dict[float, float] = {}
        for zi in range(s.nz):
            if s.alive[zi]:
                for x in s.zone_groups[zi]:
                    speed = s.group_speed[x]
                    capacity[speed] = capacity.get(speed, 0.0) + speed * s.group_count[x]
        waiting = []  # long tasks placed and not started (a started one holds its GPU already)
        for t in self.long_tasks:
            g = s.ran_on[t]
            if g < 0 or s.running_on[g] != t:
                waiting.append(s.w.work[t])
        waiting.sort(reverse=True)
        self.horizon_cached = kinds_horizon(s.gpu_work_left(), waiting, sorted(capacity.items()))
        self.horizon_at = s.now
        return self.horizon_cached

    def pick_gpu(self, zi: int, t: int, stealing: bool = False) -> int:
        """The free-heap index of zone zi's idle GPU for task t, or -1 to leave t queued for a faster
        GPU of the zone that is busy now (its finish dispatches the zone again, so t never starves)."""
        s = self.sim
        w = s.w
        m, wt = w.model[t], w.work[t]
        free = s.free[zi]
        # i = s.best_free_gpu(zi, m, wt)[0], inline
        cold_i, cold_speed = -1, 0.0
        for k, heap in enumerate(free):
            if heap and k != m and -heap[0][0] > cold_speed:
                cold_i, cold_speed = k, -heap[0][0]
        own = free[m]
        if not own:
            i = m if cold_i < 0 else cold_i
        else:
            own_speed = -own[0][0]
            if own_speed >= cold_speed or cold_i < 0:
                i = m
            else:
                i = m if 0.0 <= wt / own_speed <= s.fetch_estimate(zi, m) + wt / cold_speed else cold_i
        speed = -free[i][0][0]
        if speed < s.max_speed[zi] and self.faster_soon(zi, t, speed):  # no kind is faster than the fastest
            return -1
        if i != m and i != s.none and s.queued_model_work[zi][i] and self.warm_soon(zi, m):
            return -1
        risk, now, at = self.risk, s.now, self.horizon_at
        # horizon(), inline: its cached value counted down, or computed again
        horizon = self.horizon_cached - (now - at) if now < at + HORIZON_EVERY_S and at >= 0 else self.horizon()
        own_run = risk * wt / self.top_speed
        limit = (1 + HORIZON_SLACK) * (own_run if own_run > horizon else horizon)  # max(horizon, own_run)
        if risk * wt / speed <= limit:
            return i
        j = max(range(len(free)), key=lambda k: -free[k][0][0] if free[k] else 0.0)
        if self.risk * wt / -free[j][0][0] <= limit:  # a faster idle GPU, cold: the load is short next to this run
            return j
        kind = s.gpu_speed[free[i][0][1]]  # faster GPUs by kind: learned speeds wobble with the noise
        for x in s.zone_groups[zi]:
            if s.group_speed[x] <= kind:
                break
            if s.free_in_group[x] < s.group_count[x]:  # a faster GPU is busy: wait for it
                return -1
        return -1 if stealing else i  # its own zone has nothing faster; a thief leaves it where it is

    def warm_soon(self, zi: int, m: int) -> bool:
        """Whether zone zi's GPUs holding model m, all busy, drain its queue before a cold GPU could
        load the model: then loading one more copy only takes a GPU from other work (on seed 4 of
        datong-standard a fifth of all GPU time went to loads)."""
        s = self.sim
        warm = s.warm[zi][m]
        if not warm or s.free[zi][m]:
            return False
        return s.queued_model_work[zi][m] / (warm * s.max_speed[zi]) < s.fetch_estimate(zi, m)

    def enqueue_gpu(self, t: int, zi: int) -> None:
        s = self.sim
        m, wt = s.w.model[t], s.w.work[t]
        queued_work, model_work = s.queued_work, s.queued_model_work[zi]
        queued_work[zi] += wt
        model_work[m] += wt
        if s.free_count[zi] and not s.queued[zi]:  # dispatch() with t the only head, without the queue
            i = self.pick_gpu(zi, t)
            if i >= 0:
                queued_work[zi] -= wt
                model_work[m] -= wt
                g = heapq.heappop(s.free[zi][i])[1]
                s.free_count[zi] -= 1  # s.take_gpu(g), inline (g is of zone zi)
                s.free_in_group[s.group_of[g]] -= 1
                s.first_free_at[zi] = -1.0
                s.run_on_gpu(t, g)
                return
        heapq.heappush(s.gpu_queue[zi][m], (-s.w.rank[t], t))  # self.queue_key(t), inline: once per queued task
        s.queued[zi] += 1
        if s.free_count[zi]:  # else dispatch has nothing to match
            self.dispatch(zi)

    def start_queued(self, zi: int, m: int, heap_index: int, dst: int) -> tuple[int, int]:
        """Pop the head of zone zi's queue for model m and the head idle GPU of ``free[dst][heap_index]``."""
        s = self.sim
        t = heapq.heappop(s.gpu_queue[zi][m])[-1]
        wt = s.w.work[t]
        s.queued[zi] -= 1
        s.queued_work[zi] -= wt
        s.queued_model_work[zi][m] -= wt
        g = heapq.heappop(s.free[dst][heap_index])[1]
        s.take_gpu(g)
        return t, g

    def dispatch(self, zi: int) -> None:
        """Match zone zi's queued tasks (priority, then longest remaining path) with its idle GPUs."""
        s = self.sim
        queues, free_count, queued, pick_gpu = s.gpu_queue[zi], s.free_count, s.queued, self.pick_gpu
        free = s.free[zi]
        while free_count[zi] and queued[zi]:
            heads = self.dispatchable_heads(zi, queues, free)
            if len(heads) > 1:
                heads.sort()  # keys end with the task id, so they never tie
            for key, m in heads:
                i = pick_gpu(zi, key[-1])
                if i >= 0:  # start_queued(zi, m, i, zi), inline
                    t = heapq.heappop(queues[m])[-1]
                    wt = s.w.work[t]
                    queued[zi] -= 1
                    s.queued_work[zi] -= wt
                    s.queued_model_work[zi][m] -= wt
                    g = heapq.heappop(free[i])[1]
                    free_count[zi] -= 1  # s.take_gpu(g), inline (g is of zone zi)
                    s.free_in_group[s.group_of[g]] -= 1
                    s.first_free_at[zi] = -1.0
                    s.run_on_gpu(t, g)
                    break
            else:
                return

    def dispatchable_heads(self, zi: int, queues: list[list[tuple]], free: list[list[tuple]]) -> list[tuple]:
        """(key, model) of zone zi's queue heads, less those pick_gpu would refuse by warm_soon: with no
        idle GPU holding a head's model, the GPU it would take is the fastest idle one (lowest heap
        index among equals) whatever the head, so the test is the same for all of them. Most of
        dispatch's refusals are these, and a refusal has no side effect, so skipping them is exact."""
        s = self.sim
        warm, model_work = s.warm[zi], s.queued_model_work[zi]
        heads = []
        cold_busy = None  # whether the fastest idle GPU holds a model with work queued; found once, if asked
        for m, q in enumerate(queues):
            if not q:
                continue
            if warm[m] and not free[m]:
                if cold_busy is None:
                    # Whether zone zi's fastest idle GPU (lowest heap index among equals) holds a model
                    # with work queued: pick_gpu's warm_soon test as written, the same for every head
                    # without an idle warm GPU.
                    cold_i, cold_speed = -1, 0.0
                    for i, heap in enumerate(free):
                        if heap and -heap[0][0] > cold_speed:
                            cold_i, cold_speed = i, -heap[0][0]
                    cold_busy = 0 <= cold_i != s.none and bool(model_work[cold_i])
                if not cold_busy:
                    heads.append((q[0], m))
                    continue
                # warm_soon(zi, m), fetch_estimate's common case (weights on the zone's disk) inline
                # (the zone's rows looked up only here: most rounds never get this far)
                if s.staged[zi][m] or s.weight_source[zi][m] < 0:
                    fetch = s.load_local[zi][m]
                else:
                    fetch = s.fetch_estimate(zi, m)
                if model_work[m] / (warm[m] * s.max_speed[zi]) < fetch:
                    continue
            heads.append((q[0], m))
        return heads

    # ---- 3. stealing

    def gpu_freed(self, g: int) -> None:
        s = self.sim
        zi = s.gpu_zone[g]
        # s.release_gpu(g), inline: once per GPU task
        speed = s.est_speed[g]
        if speed is not s.entry_speed[g]:  # learned since: a new entry
            s.entry_speed[g] = speed
            s.free_entry[g] = (-speed, g)
        heapq.heappush(s.free[zi][s.gpu_model[g]], s.free_entry[g])
        s.free_count[zi] += 1
        s.free_in_group[s.group_of[g]] += 1
        s.first_free_at[zi] = -1.0
        queued = s.queued
        for other in range(s.nz):
            if other != zi and queued[other]:  # else steal has nothing to take
                self.steal(zi)  # a backed-up zone's more urgent work first
                break
        if queued[zi] and s.free_count[zi]:  # else dispatch has nothing to match
            self.dispatch(zi)

    def steal(self, zi: int) -> None:
        """Idle GPUs of zone zi take queued work from a backed-up zone when it finishes sooner here,
        inputs and weights shipped over included, and only work that ranks above this zone's own queue."""
        s = self.sim
        own_head = None
        queued, free_count = s.queued, s.free_count
        for other in range(s.nz):
            if other == zi or not queued[other]:
                continue
            if own_head is None and queued[zi]:  # min(h[0] for h in s.gpu_queue[zi] if h), without a generator
                for h in s.gpu_queue[zi]:
                    if h and (own_head is None or h[0] < own_head):
                        own_head = h[0]
            # There, a task starts once the work queued in that zone has drained to its GPUs (asked
            # once a head outranks this zone's own: stealing from there leaves that zone's GPUs as they are).
            first = None
            for m, q in enumerate(s.gpu_queue[other]):
                while q and free_count[zi]:
                    key = q[0]
                    if own_head is not None and key > own_head:
                        break
                    if first is None:
                        first = s.zone_first_free(other) - s.now
                    if not self.steal_one(zi, other, m, key[-1], first):
                        break

    def steal_one(self, zi: int, other: int, m: int, t: int, first: float) -> bool:
        """Take task t (head of zone other's queue for model m) when it finishes sooner on zi."""
        s = self.sim
        w = s.w
        wt = w.work[t]
        if w.allowed and not (w.allowed[t] >> zi) & 1:
            return False
        there = first + (s.queued_work[other] - wt) / s.speed_sum[other] + wt / s.max_speed[other]
        seconds = s.best_free_seconds(zi, m, wt)
        if seconds >= there:  # not even with free transfers
            return False
        ship = 0.0
        for p in w.preds[t]:
            if s.zone_of[p] != zi:
                ship = max(ship, s.transfer_estimate(s.zone_of[p], zi, w.out_bytes[p]))
        if ship + seconds >= there:
            return False
        i = self.pick_gpu(zi, t, stealing=True)
        if i < 0:
            return False
        t, g = self.start_queued(other, m, i, zi)
        s.move(t, other, zi)
        by_src: dict[int, float] = {}
        for p in w.preds[t]:
            if s.zone_of[p] != zi and w.out_bytes[p] > 0:
                by_src[s.zone_of[p]] = by_src.get(s.zone_of[p], 0.0) + w.out_bytes[p]
        if not by_src:
            s.run_on_gpu(t, g)
            return True
        s.running_on[g] = t
        s.mark_busy(g, s.now + ship + seconds)
        s.pending[t] = len(by_src)
        for src, nbytes in by_src.items():
            s.start_transfer(src, zi, nbytes, INPUTS, t, g)
        return True
