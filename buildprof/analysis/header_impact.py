"""What touching a header costs: the objects `.ninja_deps` says include it, everything ninja would
rebuild after them, and the measured time of those steps.

Who includes a header is taken from `.ninja_deps` (exact: the compiler's own list), never from the
traces, which leave out every include that parsed faster than clang's granularity. The rebuild set
follows ninja's dirtiness rules: an edge is rerun when an explicit or implicit input is newer than
its outputs, so the set is the objects' edges plus every edge that reads their outputs through an
explicit or implicit input, transitively; order-only inputs never make an edge dirty. Only edges a
plain `ninja` builds count (the defaults and what they need); phony edges run nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from buildprof.analysis.step_graph import EdgeDeps, output_edge, phony_mask
from buildprof.model.graph import BuildGraph, NinjaDeps
from buildprof.model.impact import RebuildImpact


@dataclass
class HeaderDeps:
    """`.ninja_deps` turned around: for each recorded dependency path, the outputs that list it.

    `keys[i]` is path id i of the deps log as an absolute, normalised path (a relative one is taken
    from the build folder the compiler ran in), so it compares with the paths clang's traces give.
    """

    keys: list[str]
    key_of: dict[str, int]
    offsets: np.ndarray  # int64, len(keys) + 1
    objects: np.ndarray  # int32 path ids of outputs, grouped by dependency
    deps: NinjaDeps

    def objects_of(self, key: int) -> list[str]:
        """The outputs (object files, as ninja names them) whose deps list path id `key`."""
        ids = self.objects[self.offsets[key] : self.offsets[key + 1]]
        return [self.deps.paths[i] for i in ids]

    def count(self, key: int) -> int:
        """How many outputs list path id `key` among their dependencies."""
        return int(self.offsets[key + 1] - self.offsets[key])


def invert_deps(deps: NinjaDeps, build_dir: str) -> HeaderDeps:
    """Index `.ninja_deps` by dependency; `build_dir` is the folder the compiler ran in (for paths
    recorded relative to it, such as generated headers)."""
    keys = [os.path.normpath(p if p.startswith("/") else os.path.join(build_dir, p)) for p in deps.paths]
    counts = np.diff(deps.dep_offsets)
    owners = np.repeat(deps.outputs.astype(np.int32), counts)
    order = np.argsort(deps.dep_ids, kind="stable")
    offsets = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(deps.dep_ids, minlength=len(keys)), out=offsets[1:])
    return HeaderDeps(keys, {k: i for i, k in enumerate(keys)}, offsets, owners[order], deps)


def find_dependency(index: HeaderDeps, query: str) -> list[int]:
    """Path ids a query names: an exact path, else paths ending with `/query`, among dependencies."""
    exact = index.key_of.get(os.path.normpath(query)) if query.startswith("/") else None
    if exact is not None and index.count(exact):
        return [exact]
    tail = "/" + query.lstrip("/")
    return [i for i, key in enumerate(index.keys) if key.endswith(tail) and index.count(i)]


def rebuild_edges(
    graph: BuildGraph, edge_deps: EdgeDeps, needed: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Boolean per edge: what ninja reruns when the outputs of edges `start` become out of date
    (those edges themselves, then every needed edge reading their outputs through an explicit or
    implicit input, transitively), phony edges left out."""
    dirty = np.zeros(graph.edges, dtype=bool)
    frontier = np.unique(start[start >= 0]).astype(np.int64)
    dirty[frontier] = True
    while len(frontier):
        pairs, _ = edge_deps.successors(frontier)
        pairs = pairs[~edge_deps.order_only[pairs]]
        found = np.unique(edge_deps.dst[pairs])
        frontier = found[~dirty[found]]
        dirty[frontier] = True
    return dirty & needed & ~phony_mask(graph)


def edges_of_outputs(graph: BuildGraph, outputs: list[str]) -> np.ndarray:
    """The edges writing these outputs (as ninja or its deps log name them); -1 where none does."""
    return np.asarray([output_edge(graph, o) for o in outputs], dtype=np.int64)


def header_node_edges(graph: BuildGraph, edge_deps: EdgeDeps, path_keys: list[str]) -> np.ndarray:
    """Edges that read a header named in the manifest itself (e.g. a generated header listed as an
    input): they are dirty too when it changes."""
    nodes = [graph.node_of[p] for p in path_keys if p in graph.node_of]
    if not nodes:
        return np.zeros(0, dtype=np.int64)
    reads = np.isin(graph.in_nodes, np.asarray(nodes))
    counts = np.diff(graph.in_offsets)
    edge_of_input = np.repeat(np.arange(graph.edges), counts)
    position = np.arange(len(graph.in_nodes)) - np.repeat(graph.in_offsets[:-1], counts)
    not_order_only = position < np.repeat(graph.in_explicit + graph.in_implicit, counts)
    return np.unique(edge_of_input[reads & not_order_only]).astype(np.int64)


def latest_durations(graph: BuildGraph, entries: pd.DataFrame) -> np.ndarray:
    """Per edge, the duration (ms) of the newest `.ninja_log` entry of its outputs; NaN for an edge
    the log never measured. A rebuild's cost is what each of its steps took the last time it ran."""
    latest = entries.drop_duplicates("output", keep="last")
    durations = np.full(graph.edges, np.nan)
    outputs = latest["output"].astype(str).to_numpy()
    took = (latest["end_ms"] - latest["start_ms"]).to_numpy(dtype=float)
    edges = edges_of_outputs(graph, list(outputs))
    known = edges >= 0
    np.fmax.at(durations, edges[known], took[known])
    return durations


def most_at_once(steps: pd.DataFrame) -> int:
    """The most steps of a build that ran at the same time: its `-j`, as far as the log shows."""
    starts = np.sort(steps["start_ms"].to_numpy())
    ends = np.sort(steps["end_ms"].to_numpy())
    # steps running at each start: started so far minus ended by then (an end at the same ms frees a slot)
    running = np.arange(1, len(starts) + 1) - np.searchsorted(ends, starts, side="right")
    return int(running.max()) if len(running) else 1


def impact_of(
    index: HeaderDeps,
    key: int,
    graph: BuildGraph | None,
    edge_deps: EdgeDeps | None,
    needed: np.ndarray | None,
    durations: np.ndarray | None,
    jobs: int | None,
    memo: dict[bytes, tuple],
    order: str = "1.11",
) -> RebuildImpact:
    """Who includes dependency `key` and what touching it reruns; without a graph, only who.

    `memo` keeps the rebuild of each distinct set of including objects (many headers share one)."""
    from buildprof.analysis.classify import classify_output

    objects = index.objects_of(key)
    targets = sorted({classify_output(o, None)[1] for o in objects})
    impact = RebuildImpact(
        file=index.keys[key], tus=len(objects), targets=targets, steps=0, compiles=0, cpu_ms=0.0
    )
    if graph is None or edge_deps is None or needed is None or durations is None:
        return impact
    start = edges_of_outputs(graph, objects)
    start = np.concatenate([start, header_node_edges(graph, edge_deps, [index.keys[key]])])
    signature = np.unique(start).tobytes()
    if signature not in memo:
        run = rebuild_edges(graph, edge_deps, needed, start)
        memo[signature] = (run, {})
    run, walls = memo[signature]
    edges = np.flatnonzero(run)
    took = durations[edges]
    impact.steps = len(edges)
    impact.compiles = int(np.isin(edges, start).sum())
    impact.cpu_ms = round(float(np.nansum(took)), 3)
    impact.unmeasured = int(np.isnan(took).sum())
    impact.outputs = [graph.paths[graph.out_nodes[graph.out_offsets[e]]] for e in edges]
    if jobs:
        if jobs not in walls:
            from buildprof.analysis.simulate import simulate

            walls[jobs] = simulate(graph, np.nan_to_num(durations), run, jobs, edge_deps, order=order).wall_ms
        impact.wall_ms = round(float(walls[jobs]), 3)
        impact.jobs = jobs
    return impact
