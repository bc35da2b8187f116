"""The critical path of a build: the longest chain of dependent steps by measured duration.

The critical path method (CPM) with unlimited parallelism, as Fuchsia's ninjago computes it
(tools/build/ninjago/ninjagraph/ninjagraph.go: earliestStart, latestFinish, totalFloat, drag):

- an edge waits for the producer of every input: explicit, implicit and order-only;
- duration: the step's measured `end - start` in the analysed build; a phony edge, or an edge that
  did not run in that build, costs 0;
- earliest start `ES(e)` = the largest earliest finish `EF(p) = ES(p) + d(p)` of the edges `p` it
  waits for (0 for none); the build's ideal length `T` = the largest `EF` (what unlimited cores and
  no overhead would take: the length of the longest path);
- latest finish `LF(e)` = the smallest latest start `LS(s) = LF(s) - d(s)` of the edges `s` that wait
  for it, or `T` when none does; slack (ninjago's total float) = `LS(e) - ES(e)`: how much later the
  step could start without making the build longer; 0 exactly on a longest path;
- drag of a step on the path (0 for every other step): its duration, capped by the smallest slack
  of the steps that run in parallel with it, ninjago's test for parallel being `LF(o) >= LF(e)` and
  `ES(o) < LF(e)` (o finishes no earlier and starts before e finishes). It is the time the ideal
  build would lose if the step took no time (Wikipedia "critical path drag"). As in ninjago, steps
  that cost nothing (phony edges; here also steps that did not run in the analysed build) are not
  counted among the parallel ones: they are not activities of this build.

The path returned is one longest chain: from the edge that finishes last, back through a predecessor
that finishes exactly when the current edge can start (the longest one when several do).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from buildprof.analysis.step_graph import EdgeDeps, EdgeTimes, edge_deps, phony_mask, topological_levels
from buildprof.model.graph import BuildGraph
from buildprof.model.graph_report import CriticalPath, CriticalPathStep, StepSlack


@dataclass
class PathTimes:
    """CPM times per edge (arrays indexed by edge id; 0, or NaN for slack, outside `mask`) and the path.

    `path`: the edges of one longest chain, first to last, including the zero-cost edges (phony,
    not run) it passes through; `length_ms`: the chain's total duration (= the largest EF)."""

    mask: np.ndarray
    duration_ms: np.ndarray
    earliest_start: np.ndarray
    earliest_finish: np.ndarray
    latest_start: np.ndarray
    latest_finish: np.ndarray
    slack: np.ndarray
    drag: np.ndarray
    path: np.ndarray
    length_ms: float


def path_times(
    graph: BuildGraph,
    durations_ms: np.ndarray,
    mask: np.ndarray,
    real: np.ndarray | None = None,
    deps: EdgeDeps | None = None,
) -> PathTimes:
    """CPM over the edges of `mask` (closed upwards: every edge a masked edge waits for is masked,
    as `needed_edges` gives) with one duration per edge. `real`: the edges that are activities for
    drag (default: non-phony edges with a positive duration)."""
    deps = deps if deps is not None else edge_deps(graph)
    durations = np.where(mask, np.asarray(durations_ms, dtype=np.float64), 0.0)
    levels = topological_levels(graph, deps, mask)
    es = np.zeros(graph.edges)
    ef = np.zeros(graph.edges)
    for level in levels:
        ef[level] = es[level] + durations[level]
        pairs, _ = deps.successors(level)
        np.maximum.at(es, deps.dst[pairs], ef[deps.src[pairs]])
    length = float(ef[mask].max()) if mask.any() else 0.0
    lf = np.where(mask, length, 0.0)
    ls = np.zeros(graph.edges)
    for level in reversed(levels):
        ls[level] = lf[level] - durations[level]
        pairs, _ = deps.predecessors(level)
        np.minimum.at(lf, deps.src[pairs], ls[deps.dst[pairs]])
    es = np.where(mask, es, 0.0)
    slack = np.where(mask, ls - es, np.nan)
    path = _longest_chain(deps, mask, durations, es, ef)
    if real is None:
        real = mask & ~phony_mask(graph) & (durations > 0)
    drag = _drag(path, durations, es, lf, slack, real & mask)
    return PathTimes(mask, durations, es, ef, ls, lf, slack, drag, path, length)


def _longest_chain(
    deps: EdgeDeps, mask: np.ndarray, durations: np.ndarray, es: np.ndarray, ef: np.ndarray
) -> np.ndarray:
    """One longest chain, first edge first: back from the last-finishing edge through binding
    predecessors (EF(p) == ES(current)), the longest step first, then the lowest edge id."""
    if not mask.any():
        return np.zeros(0, dtype=np.int64)
    candidates = np.flatnonzero(mask & (ef == ef[mask].max()))
    current = int(candidates[np.lexsort((candidates, -durations[candidates]))[0]])
    offsets = deps.pred_offsets.tolist()
    preds_of = deps.src[deps.pred_order].tolist()
    in_mask, finish, start, length = mask.tolist(), ef.tolist(), es.tolist(), durations.tolist()
    chain = [current]
    while True:
        binding = [
            p
            for p in preds_of[offsets[current] : offsets[current + 1]]
            if in_mask[p] and finish[p] == start[current]
        ]
        if not binding:
            break
        current = min(binding, key=lambda p: (-length[p], p))
        chain.append(current)
    return np.array(chain[::-1], dtype=np.int64)


def _drag(
    path: np.ndarray,
    durations: np.ndarray,
    es: np.ndarray,
    lf: np.ndarray,
    slack: np.ndarray,
    real: np.ndarray,
) -> np.ndarray:
    """ninjago's drag for each real step of the path with no slack, 0 elsewhere.

    The steps parallel to path step `c` are the real steps `o != c` with ES(o) < LF(c) <= LF(o): the
    intervals (ES, LF] that hold the point LF(c). One sweep over the path's points in increasing
    order answers every step at once: steps enter a heap by slack when ES(o) < point and leave it
    for good once LF(o) < point (later points are larger)."""
    drag = np.zeros(len(durations))
    queries = [int(e) for e in path if real[e] and slack[e] == 0]
    if not queries:
        return drag
    steps = np.flatnonzero(real)
    steps = steps[np.argsort(es[steps], kind="stable")]
    step_es, step_lf, step_slack = es[steps].tolist(), lf[steps].tolist(), slack[steps].tolist()
    step_ids = steps.tolist()
    heap: list[tuple[float, float, int]] = []
    entered = 0
    for edge in sorted(queries, key=lambda e: lf[e]):
        point = lf[edge]
        while entered < len(step_ids) and step_es[entered] < point:
            heapq.heappush(heap, (step_slack[entered], step_lf[entered], step_ids[entered]))
            entered += 1
        while heap and heap[0][1] < point:
            heapq.heappop(heap)
        own = heapq.heappop(heap) if heap and heap[0][2] == edge else None
        while heap and heap[0][1] < point:
            heapq.heappop(heap)
        smallest = heap[0][0] if heap else np.inf
        if own is not None:
            heapq.heappush(heap, own)
        drag[edge] = min(durations[edge], smallest)
    return drag


def critical_path(graph: BuildGraph, times: EdgeTimes, steps: pd.DataFrame, top: int = 10) -> CriticalPath:
    """The critical path of the analysed build (its steps joined by `join_steps`), with each step's
    slack and drag, the path against the measured wall time, and the `top` steps with the least and
    the most slack. Edges that did not run cost 0; only the edges the build's targets need count."""
    real = times.needed & times.ran & ~phony_mask(graph)
    result = path_times(graph, times.duration_ms, times.needed, real=real)
    return critical_path_record(graph, times, steps, result, top)


def critical_path_record(
    graph: BuildGraph, times: EdgeTimes, steps: pd.DataFrame, result: PathTimes, top: int = 10
) -> CriticalPath:
    """The CriticalPath record of `result` (from `path_times`) for the build of `times` and `steps`."""
    kinds = steps["kind"].astype(str).to_numpy() if len(steps) else np.zeros(0, dtype=object)
    targets = steps["target"].astype(str).to_numpy() if len(steps) else np.zeros(0, dtype=object)
    outputs = steps["output"].astype(str).to_numpy() if len(steps) else np.zeros(0, dtype=object)
    path_steps = []
    for edge in result.path:
        row = int(times.step_row[edge])
        if row < 0:  # phony, or did not run in this build
            continue
        path_steps.append(
            CriticalPathStep(
                output=str(outputs[row]),
                kind=str(kinds[row]),
                target=str(targets[row]),
                edge=int(edge),
                duration_ms=int(result.duration_ms[edge]),
                start_ms=int(result.earliest_start[edge]),
                slack_ms=int(result.slack[edge]),
                drag_ms=int(result.drag[edge]),
            )
        )
    ran = np.flatnonzero(times.needed & times.ran & ~phony_mask(graph))

    def slack_rows(order: np.ndarray) -> list[StepSlack]:
        rows = []
        for edge in ran[order][:top]:
            row = int(times.step_row[edge])
            rows.append(
                StepSlack(
                    output=str(outputs[row]),
                    kind=str(kinds[row]),
                    target=str(targets[row]),
                    duration_ms=int(result.duration_ms[edge]),
                    earliest_start_ms=int(result.earliest_start[edge]),
                    slack_ms=int(result.slack[edge]),
                )
            )
        return rows

    slack, duration = result.slack[ran], result.duration_ms[ran]
    length = round(result.length_ms)
    wall = times.wall_ms
    return CriticalPath(
        steps=path_steps,
        length_ms=length,
        ideal_wall_ms=length,
        wall_ms=wall,
        cpu_ms=int(steps["duration_ms"].sum()) if len(steps) else 0,
        path_share=round(length / wall, 4) if wall else 0.0,
        steps_ran=len(times.edge_of_step),
        steps_unmatched=len(times.unmatched),
        edges_needed=int(times.needed.sum()),
        least_slack=slack_rows(np.lexsort((ran, -duration, slack))),
        most_slack=slack_rows(np.lexsort((ran, -duration, -slack))),
    )
