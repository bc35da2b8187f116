"""A simulator of ninja's scheduler (1.11; 1.12's ready order as an option), for what-if: the same
DAG with other durations or another -j.

What it follows (ninja 1.11.1 src/build.cc `Plan`, `Builder::Build`; src/state.cc `Pool`):

- The plan is the wanted edges (commands that run) and every edge they wait for. An edge is ready
  when the producers of all its inputs are done (explicit, implicit, order-only). Edges that do not
  run are done at once when their inputs are (ninja's `kWantNothing`), or at time 0 when nothing
  they wait for runs.
- Ready order: ninja 1.11 keeps ready edges in a set ordered by edge id (the order of the build
  statements in the manifest) and starts the lowest id first (`Plan::FindWork`); this is the
  default. ninja 1.12 changed it to the edge with the longest remaining chain first, counted in
  non-phony edges to the targets (`Plan::ComputeCriticalPath`, `EdgePriorityQueue`), lowest id
  among equals: `order="1.12"` (1.13 is the same). Each reproduces its own ninja's start order step
  for step on the captures, and not the other's.
- `-j N`: a ready edge starts only while fewer than N commands run (`CanRunMore`; a finished
  command holds its slot until ninja reaps it, one per loop turn, after starting what it can).
  A phony edge that has to be "run" (an input is rebuilt) is taken from the ready set like a
  command but finishes at once and never holds a slot: it takes no time, but waits for a free
  slot to be picked, as in ninja.
- Pools with a depth (`console` has depth 1): a ready edge of such a pool waits in the pool's delay
  set until the pool has room; it counts against the pool from when it enters the ready set, not
  from when it starts, as in 1.11 (`Pool::EdgeScheduled`). Delayed edges leave in edge-id order
  (1.12: in the ready order).
- Commands finishing at the same instant are reaped in the order they started; durations are the
  given ones, with no overhead between steps. Optionally (`cores`) commands beyond the machine's
  cores share them, each slowed by cores / running.

- The edges ready at the start are scheduled as ninja 1.11 finds them walking from the targets
  (depth first), which decides which edges of a pool go first; 1.12 releases them by priority.

Left out: dyndep files, `restat` (an edge that does not change its output stops the rebuild below
it: give the wanted set of the real build instead), the load limit (`-l`), the jobserver (1.13).

The what-if transforms are pure functions over per-edge duration arrays: durations in, durations out.
"""

from __future__ import annotations

import fnmatch
import heapq
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from buildprof.analysis.step_graph import (
    EdgeDeps,
    default_targets,
    edge_deps,
    needed_edges,
    phony_mask,
    topological_levels,
    upstream,
)
from buildprof.model.graph import BuildGraph
from buildprof.model.graph_report import SimulatedBuild


@dataclass
class Schedule:
    """A simulated build. Arrays are per edge: `start_ms`/`end_ms` NaN for edges outside the plan
    (phony and non-running edges in it get the instant they are done as both), `lane` the worker
    slot a command ran in (0-based, -1 for everything else), `simulated` the commands that ran."""

    jobs: int  # 0: unlimited
    start_ms: np.ndarray
    end_ms: np.ndarray
    lane: np.ndarray
    simulated: np.ndarray
    wall_ms: float  # the last command's end (the build starts at 0)
    cpu_ms: float  # sum of the simulated commands' durations


def simulate(
    graph: BuildGraph,
    durations_ms: np.ndarray,
    wanted: np.ndarray,
    jobs: int,
    deps: EdgeDeps | None = None,
    cores: int | None = None,
    order: str = "1.11",
    targets: np.ndarray | None = None,
) -> Schedule:
    """Replay ninja 1.11's scheduling of the `wanted` edges (boolean per edge: the commands that
    run; phony edges in it are ignored, the simulator decides which phony edges are rebuilt) with
    one duration per edge at `-j jobs` (0: unlimited). For the build that was measured, `wanted` is
    `EdgeTimes.ran`; for a rebuild prediction, the edges that would rebuild.

    `cores`: when given, more commands than cores share them (processor sharing: with n > cores
    running, each advances at cores / n of its speed), so a -j above the machine's cores does not
    promise what the machine cannot give. None: every command takes its duration, whatever runs
    beside it (the durations measured at the build's own -j already hold that build's contention).
    Give `cores` only with durations measured with at most that many commands running: durations
    measured at -j4 on 2 cores are already stretched, and would be stretched twice.

    `order`: "1.11" (the lowest edge id first) or "1.12" (ninja 1.12 and later: the ready edge with
    the most non-phony edges on its longest chain to the `targets`, node ids, default ninja's
    defaults, first; then the lowest id; pools release their delayed edges in that order too, and
    the edges ready at the start enter their pools before any pool releases one)."""
    if jobs < 0:
        raise ValueError(f"jobs must be 0 (unlimited) or more, not {jobs}")
    if cores is not None and cores < 1:
        raise ValueError(f"cores must be 1 or more, not {cores}")
    if order not in ("1.11", "1.12"):
        raise ValueError(f'order must be "1.11" or "1.12", not {order!r}')
    deps = deps if deps is not None else edge_deps(graph)
    n_edges = graph.edges
    phony = phony_mask(graph)
    durations = np.asarray(durations_ms, dtype=np.float64)
    commands = np.asarray(wanted, dtype=bool) & ~phony
    plan, dirty = _plan(graph, deps, commands, phony)
    keep = plan[deps.src] & plan[deps.dst]
    waiting = np.bincount(deps.dst[keep], minlength=n_edges).tolist()
    slot_limit = jobs if jobs > 0 else n_edges + 1
    pool_of = graph.edge_pool.tolist()
    depth = [d for _, d in graph.pools]
    succ_offsets = deps.succ_offsets.tolist()
    succ = deps.dst.tolist()
    in_plan = plan.tolist()
    is_dirty = dirty.tolist()
    is_phony = phony.tolist()
    duration = durations.tolist()
    rank = (
        _priority_rank(graph, deps, phony, plan, targets) if order == "1.12" else np.zeros(n_edges, np.int64)
    )
    key = (rank * max(n_edges, 1) + np.arange(n_edges)).tolist()  # heaps hold keys: smallest first

    start = [float("nan")] * n_edges
    end = [float("nan")] * n_edges
    lane = [-1] * n_edges
    ready: list[int] = []
    delayed: list[list[int]] = [[] for _ in depth]
    use = [0] * len(depth)

    def retrieve(pool: int) -> None:
        waiting_edges = delayed[pool]
        while waiting_edges and use[pool] + 1 <= depth[pool]:
            heapq.heappush(ready, heapq.heappop(waiting_edges))
            use[pool] += 1

    def schedule(edge: int, release: bool = True) -> None:
        pool = pool_of[edge]
        if pool >= 0 and depth[pool] > 0:
            heapq.heappush(delayed[pool], key[edge])
            if release:
                retrieve(pool)
        else:
            heapq.heappush(ready, key[edge])

    def finished(first: int, now: float) -> None:
        stack = [first]
        while stack:
            edge = stack.pop()
            end[edge] = now
            if start[edge] != start[edge]:  # NaN: done without running
                start[edge] = now
            pool = pool_of[edge]
            if pool >= 0 and depth[pool] > 0:
                if is_dirty[edge]:
                    use[pool] -= 1
                retrieve(pool)
            for k in range(succ_offsets[edge], succ_offsets[edge + 1]):
                nxt = succ[k]
                if not in_plan[nxt]:
                    continue
                waiting[nxt] -= 1
                if waiting[nxt] == 0:
                    if is_dirty[nxt]:
                        schedule(nxt)
                    else:
                        stack.append(nxt)

    initial = plan & dirty & (np.array(waiting) == 0) if n_edges else plan
    for edge in _first_scheduled(graph, initial, targets, order):
        schedule(edge, release=order == "1.11")
    for pool in range(len(depth)):
        if depth[pool] > 0:
            retrieve(pool)

    running: list[tuple[float, int, int]] = []
    free_lanes: list[int] = []
    lanes_used = 0
    sequence = 0
    now = 0.0
    work = 0.0  # with `cores`: the work every running command has done since the start (virtual time)
    while True:
        if len(running) < slot_limit and ready:
            edge = heapq.heappop(ready) % max(n_edges, 1)
            if is_phony[edge]:
                finished(edge, now)
                continue
            if free_lanes:
                lane[edge] = heapq.heappop(free_lanes)
            else:
                lane[edge] = lanes_used
                lanes_used += 1
            start[edge] = now
            heapq.heappush(running, ((work if cores else now) + duration[edge], sequence, edge))
            sequence += 1
            continue
        if not running:
            break
        if cores and len(running) > cores:  # every running command advances at cores / n
            done, _, edge = heapq.heappop(running)
            now += (done - work) * (len(running) + 1) / cores
            work = done
        else:
            done, _, edge = heapq.heappop(running)
            now, work = (now + (done - work), done) if cores else (done, done)
        heapq.heappush(free_lanes, lane[edge])
        finished(edge, now)

    end_array = np.array(end, dtype=np.float64)
    simulated = commands & plan
    return Schedule(
        jobs=jobs,
        start_ms=np.array(start, dtype=np.float64),
        end_ms=end_array,
        lane=np.array(lane, dtype=np.int32),
        simulated=simulated,
        wall_ms=float(end_array[simulated].max()) if simulated.any() else 0.0,
        cpu_ms=float(durations[simulated].sum()),
    )


def ready_order(log_version: int) -> str:
    """The `order` of the ninja that wrote a `.ninja_log` of this version: v5 and older are written
    by ninja 1.11 and older ("1.11"), v6 by 1.12 and v7 by 1.13 (each refuses older logs and starts
    a new one), which share 1.12's order ("1.12")."""
    return "1.12" if log_version >= 6 else "1.11"


def _first_scheduled(
    graph: BuildGraph, initial: np.ndarray, targets: np.ndarray | None, order: str
) -> list[int]:
    """The edges ready at the start, in the order ninja schedules them. 1.11 schedules each while
    walking the graph from the targets (`Plan::AddSubTarget`: depth first, an edge before its
    inputs, inputs in their order), which decides which edges of a pool with a depth go first;
    edges the walk does not reach follow by id. Without such a pool (and for 1.12, which releases
    pools by priority afterwards) the order changes nothing: by id."""
    edges = np.flatnonzero(initial)
    pooled = graph.edge_pool[edges]
    depths = np.array([d for _, d in graph.pools] + [0], dtype=np.int64)
    if order != "1.11" or not (depths[pooled] > 0).any():
        return edges.tolist()
    ready = initial.tolist()
    offsets = graph.in_offsets.tolist()
    producers = graph.producer[graph.in_nodes].tolist() if len(graph.in_nodes) else []
    nodes = default_targets(graph) if targets is None else np.asarray(targets, dtype=np.int64)
    seen = bytearray(graph.edges)
    walked: list[int] = []
    for root in graph.producer[nodes].tolist() if len(nodes) else []:
        stack = [root]
        while stack:
            edge = stack.pop()
            if edge < 0 or seen[edge]:  # (ninja stops at edges already done: none leads to a ready one)
                continue
            seen[edge] = 1
            if ready[edge]:
                walked.append(edge)
            stack.extend(reversed(producers[offsets[edge] : offsets[edge + 1]]))
    return walked + [e for e in edges.tolist() if not seen[e]]


def _priority_rank(
    graph: BuildGraph, deps: EdgeDeps, phony: np.ndarray, plan: np.ndarray, targets: np.ndarray | None
) -> np.ndarray:
    """ninja 1.12's priority as a rank (0 = first): each edge's critical path weight, the most
    non-phony edges on a chain from it to the targets (itself included), over every edge the
    targets and the plan need (ninja 1.12 `Plan::ComputeCriticalPath`)."""
    needed = needed_edges(graph, targets) | upstream(deps, graph.edges, np.flatnonzero(plan))
    own = (~phony).astype(np.int64)
    weight = np.zeros(graph.edges, dtype=np.int64)
    best = np.zeros(graph.edges, dtype=np.int64)
    for level in reversed(topological_levels(graph, deps, needed)):
        weight[level] = own[level] + best[level]
        pairs, _ = deps.predecessors(level)
        np.maximum.at(best, deps.src[pairs], weight[deps.dst[pairs]])
    return weight.max(initial=0) - weight


def _plan(
    graph: BuildGraph, deps: EdgeDeps, commands: np.ndarray, phony: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The edges of the plan (the commands, what they wait for, minus what waits on nothing that
    runs) and the dirty ones: the commands and the phony edges with a rebuilt non-order-only input."""
    closure = upstream(deps, graph.edges, np.flatnonzero(commands))
    pending = commands.copy()
    dirty = commands.copy()
    hard = ~deps.order_only
    for level in topological_levels(graph, deps, closure):
        pairs, _ = deps.successors(level)
        src, dst = deps.src[pairs], deps.dst[pairs]
        pending[dst[pending[src]]] = True
        carry = dirty[src] & hard[pairs] & phony[dst]
        dirty[dst[carry]] = True
    plan = closure & pending
    return plan, dirty & plan


def simulated_build(schedule: Schedule, measured_wall_ms: int | None = None) -> SimulatedBuild:
    """The SimulatedBuild record of a schedule, against the measured wall time when given."""
    error = None
    if measured_wall_ms:
        error = round((schedule.wall_ms - measured_wall_ms) / measured_wall_ms, 4)
    return SimulatedBuild(
        jobs=schedule.jobs,
        steps=int(schedule.simulated.sum()),
        predicted_wall_ms=round(schedule.wall_ms),
        cpu_ms=round(schedule.cpu_ms),
        measured_wall_ms=measured_wall_ms,
        error=error,
    )


# ---- what-if transforms: durations in, durations out


def match_edges(
    graph: BuildGraph, pattern: str, edge_targets: Sequence[str] | np.ndarray | None = None
) -> np.ndarray:
    """Boolean per edge: edges with an output path matching the shell `pattern` (fnmatch, case
    sensitive, `*` crosses `/`), or whose target (`edge_targets`, one per edge) equals it."""
    regex = re.compile(fnmatch.translate(pattern))
    node_hits = np.fromiter(
        (regex.match(p) is not None for p in graph.paths), dtype=bool, count=len(graph.paths)
    )
    owner = np.repeat(np.arange(graph.edges), np.diff(graph.out_offsets))
    hits = np.bincount(owner, weights=node_hits[graph.out_nodes], minlength=graph.edges) > 0
    if edge_targets is not None:
        hits |= np.asarray(edge_targets, dtype=object) == pattern
    return hits


def speed_up(durations_ms: np.ndarray, mask: np.ndarray, factor: float) -> np.ndarray:
    """Durations with the `mask` edges `factor` times faster (2 halves them; 0.5 doubles them)."""
    if not factor > 0:
        raise ValueError(f"a speed-up factor must be above 0, not {factor}")
    out = np.asarray(durations_ms, dtype=np.float64).copy()
    out[mask] /= factor
    return out


def remove_cost(
    durations_ms: np.ndarray, cost_ms: Mapping[int, float] | np.ndarray, factor: float | None = None
) -> np.ndarray:
    """Durations less a part of each edge's duration: `cost_ms` per edge (a mapping edge -> ms, or an
    array), e.g. the time its compile spent parsing one header (inclusive time from its trace).
    `factor` None removes the cost; a factor > 0 makes that part `factor` times faster instead.
    No duration goes below 0."""
    out = np.asarray(durations_ms, dtype=np.float64).copy()
    if isinstance(cost_ms, Mapping):
        cost = np.zeros(len(out))
        if cost_ms:
            edges = np.fromiter(cost_ms.keys(), dtype=np.int64, count=len(cost_ms))
            cost[edges] = np.fromiter(cost_ms.values(), dtype=np.float64, count=len(cost_ms))
    else:
        cost = np.asarray(cost_ms, dtype=np.float64)
    if factor is not None:
        if not factor > 0:
            raise ValueError(f"a speed-up factor must be above 0, not {factor}")
        cost = cost * (1.0 - 1.0 / factor)
    return np.maximum(out - cost, 0.0)
