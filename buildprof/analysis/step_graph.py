"""One build's steps joined to the build graph's edges, and the graph walks the scheduling analyses share.

Everything here works on whole numpy arrays (one entry per edge or per dependency) so that a
manifest of 200,000 edges takes well under a second; Python loops run per graph level, never per edge.

Which edges matter: ninja with no target builds the `default` nodes, or when the manifest has none,
its root nodes (every output of an edge that no edge reads, ninja 1.11 `State::RootNodes`), and
everything they need. `needed_edges` is that set.

Dependencies: edge `e` waits for the producer of each of its inputs, explicit, implicit AND
order-only: ninja starts an edge only when all of them are ready (`Edge::AllInputsReady`), so
order-only inputs delay the start as much as the others, even though they never make `e` dirty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from buildprof.errors import InputError
from buildprof.model.graph import BuildGraph


def csr_rows(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For CSR `offsets`, the value positions of `rows` (concatenated) and the row each belongs to."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 1:  # one row: a slice (deep, narrow graphs walk one edge per level)
        first, last = int(offsets[rows[0]]), int(offsets[rows[0] + 1])
        return np.arange(first, last, dtype=np.int64), np.full(last - first, rows[0], dtype=np.int64)
    starts = offsets[rows]
    lengths = offsets[rows + 1] - starts
    total = int(lengths.sum())
    owner = np.repeat(rows, lengths)
    if total == 0:
        return np.zeros(0, np.int64), owner
    first = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return first + np.arange(total, dtype=np.int64), owner


@dataclass
class EdgeDeps:
    """The edge-to-edge dependencies of a graph, one pair per input produced by an edge.

    Pair `k` says edge `dst[k]` reads an output of edge `src[k]`; `order_only[k]` when that input is
    order-only (`||`). Pairs are sorted by `src` with CSR offsets `succ_offsets` (edges + 1) and a
    second view sorted by `dst` (`pred_order`, `pred_offsets`) for walks in either direction.
    """

    src: np.ndarray
    dst: np.ndarray
    order_only: np.ndarray
    succ_offsets: np.ndarray
    pred_order: np.ndarray
    pred_offsets: np.ndarray

    def successors(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pair indices of the dependents of `edges`, and the edge (of `edges`) each comes from."""
        return csr_rows(self.succ_offsets, edges)

    def predecessors(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pair indices of what `edges` wait for, and the edge (of `edges`) each belongs to."""
        positions, owner = csr_rows(self.pred_offsets, edges)
        return self.pred_order[positions], owner


def edge_deps(graph: BuildGraph) -> EdgeDeps:
    """Every (producer edge -> reading edge) pair of the graph, order-only inputs included."""
    n_edges = graph.edges
    counts = np.diff(graph.in_offsets)
    dst = np.repeat(np.arange(n_edges, dtype=np.int64), counts)
    position = np.arange(len(graph.in_nodes), dtype=np.int64) - np.repeat(graph.in_offsets[:-1], counts)
    order_only = position >= np.repeat(graph.in_explicit + graph.in_implicit, counts)
    src = graph.producer[graph.in_nodes].astype(np.int64) if len(graph.in_nodes) else np.zeros(0, np.int64)
    keep = src >= 0
    src, dst, order_only = src[keep], dst[keep], order_only[keep]
    by_src = np.argsort(src, kind="stable")
    src, dst, order_only = src[by_src], dst[by_src], order_only[by_src]
    succ_offsets = np.concatenate(([0], np.cumsum(np.bincount(src, minlength=n_edges)))).astype(np.int64)
    pred_order = np.argsort(dst, kind="stable")
    pred_offsets = np.concatenate(([0], np.cumsum(np.bincount(dst, minlength=n_edges)))).astype(np.int64)
    return EdgeDeps(src, dst, order_only, succ_offsets, pred_order, pred_offsets)


def root_nodes(graph: BuildGraph) -> np.ndarray:
    """Outputs no edge reads (ninja's `State::RootNodes`), in edge order: what `ninja` builds when
    the manifest has no `default` statement."""
    read = np.zeros(len(graph.paths), dtype=bool)
    read[graph.in_nodes] = True
    return graph.out_nodes[~read[graph.out_nodes]].astype(np.int64)


def default_targets(graph: BuildGraph) -> np.ndarray:
    """The nodes `ninja` with no target builds: the defaults, else the root nodes."""
    if graph.defaults:
        return np.asarray(graph.defaults, dtype=np.int64)
    return root_nodes(graph)


def needed_edges(graph: BuildGraph, targets: np.ndarray | list[int] | None = None) -> np.ndarray:
    """Boolean per edge: the edges the `targets` nodes need (default: `default_targets`), themselves
    included, following every input (explicit, implicit, order-only), and the validations of every
    edge needed (which ninja 1.11 adds as targets, with what they need)."""
    nodes = default_targets(graph) if targets is None else np.asarray(targets, dtype=np.int64)
    seeds = graph.producer[nodes] if len(nodes) else np.zeros(0, np.int64)
    deps = edge_deps(graph)
    needed = upstream(deps, graph.edges, seeds[seeds >= 0])
    while graph.validations:  # ninja 1.11 builds an edge's validations (`|@`) whenever it builds the edge
        nodes = [n for e, found in graph.validations.items() if needed[e] for n in found]
        seeds = graph.producer[np.asarray(nodes, dtype=np.int64)] if nodes else np.zeros(0, np.int64)
        seeds = seeds[seeds >= 0]
        seeds = seeds[~needed[seeds]]
        if not len(seeds):
            break
        needed |= upstream(deps, graph.edges, seeds)
    return needed


def upstream(deps: EdgeDeps, n_edges: int, seeds: np.ndarray) -> np.ndarray:
    """Boolean per edge: the `seeds` edges and every edge they wait for, directly or not."""
    frontier = np.unique(np.asarray(seeds, dtype=np.int64))
    found = np.zeros(n_edges, dtype=bool)
    found[frontier] = True
    while len(frontier):
        pairs, _ = deps.predecessors(frontier)
        reached = np.unique(deps.src[pairs])
        frontier = reached[~found[reached]]
        found[frontier] = True
    return found


def topological_levels(graph: BuildGraph, deps: EdgeDeps, mask: np.ndarray) -> list[np.ndarray]:
    """The edges of `mask` in levels: each edge after every edge of `mask` it waits for.

    Raises InputError naming the manifest when the edges hold a dependency cycle (ninja refuses
    such a manifest too)."""
    keep = mask[deps.src] & mask[deps.dst]
    waiting = np.bincount(deps.dst[keep], minlength=graph.edges).astype(np.int64)
    frontier = np.flatnonzero(mask & (waiting == 0))
    levels: list[np.ndarray] = []
    placed = 0
    while len(frontier):
        levels.append(frontier)
        placed += len(frontier)
        pairs, _ = deps.successors(frontier)
        targets = deps.dst[pairs]
        targets = targets[mask[targets]]
        np.subtract.at(waiting, targets, 1)
        touched = np.unique(targets)
        frontier = touched[waiting[touched] == 0]
    if placed != int(mask.sum()):
        left = np.flatnonzero(mask & (waiting > 0))
        outputs = ", ".join(graph.outputs_of(int(left[0]))[:1])
        raise InputError(
            f"dependency cycle among {len(left)} build statements (one writes {outputs})", graph.manifest
        )
    return levels


@dataclass
class EdgeTimes:
    """One build's measured steps, per edge of the graph (arrays indexed by edge id).

    `duration_ms` is the measured `end - start` of the step that ran the edge in this build, 0 when
    the edge did not run in it or is phony; `start_ms`/`end_ms` are the logged times (-1 when it
    did not run). `step_row` is the row of the steps DataFrame (-1), `edge_of_step` the reverse
    (-1 for a step whose outputs are not in the graph: the manifest changed since the build, or the
    step is not a build statement). `needed`: the edges the build's targets need (`needed_edges`),
    and, when steps ran that those do not need (the build named other targets), those edges and
    everything they wait for too (`ran_outside` counts them).
    """

    needed: np.ndarray
    ran: np.ndarray
    duration_ms: np.ndarray
    start_ms: np.ndarray
    end_ms: np.ndarray
    step_row: np.ndarray
    edge_of_step: np.ndarray
    wall_ms: int  # last end - first start of the build's steps, as the log says
    unmatched: list[str] = field(default_factory=list)  # first output of each step not in the graph
    repeated: list[str] = field(default_factory=list)  # outputs of edges more than one step claimed
    ran_outside: int = 0  # steps that ran although the targets do not need their edges


def output_edge(graph: BuildGraph, path: str) -> int:
    """The edge that writes `path` (a path as `.ninja_log` gives it), -1 when none does.

    Logged paths are ninja's node paths, so most match exactly; an absolute path (CMake names some
    implicit outputs absolute) that is not a node is tried as its trailing parts, so a build folder
    moved since the build (or a log whose absolute prefix differs) still maps."""
    node = graph.node_of.get(path)
    if node is None and path.startswith("/"):
        parts = path.split("/")
        for k in range(2, len(parts)):
            node = graph.node_of.get("/".join(parts[k:]))
            if node is not None:
                break
    return -1 if node is None else int(graph.producer[node])


def join_steps(
    graph: BuildGraph,
    steps: pd.DataFrame,
    lines: pd.DataFrame | None = None,
    targets: np.ndarray | list[int] | None = None,
) -> EdgeTimes:
    """Match each step of one build (STEP_COLUMNS) to the edge that writes its outputs.

    A step maps through its first logged output; with `lines` (the build's `.ninja_log` rows,
    LOG_COLUMNS) a step whose first output is not in the graph is tried through its other outputs
    too. `targets`: the nodes the build was for (default: ninja's defaults, `default_targets`).
    """
    n_edges = graph.edges
    others: dict[tuple[int, int, int], list[str]] = {}
    if lines is not None and len(lines):
        for hash_, start, end, output in zip(
            lines["cmdhash"].to_numpy(),
            lines["start_ms"].to_numpy(),
            lines["end_ms"].to_numpy(),
            lines["output"].astype(str).to_numpy(),
            strict=True,
        ):
            others.setdefault((int(hash_), int(start), int(end)), []).append(output)
    outputs = steps["output"].astype(str).to_numpy()
    starts = steps["start_ms"].to_numpy(dtype=np.int64)
    ends = steps["end_ms"].to_numpy(dtype=np.int64)
    hashes = steps["cmdhash"].to_numpy()
    edge_of_step = np.full(len(steps), -1, dtype=np.int64)
    unmatched: list[str] = []
    for row, output in enumerate(outputs):
        edge = output_edge(graph, output)
        if edge < 0:
            for other in others.get((int(hashes[row]), int(starts[row]), int(ends[row])), ()):
                edge = output_edge(graph, other)
                if edge >= 0:
                    break
        if edge < 0:
            unmatched.append(output)
        edge_of_step[row] = edge
    step_row = np.full(n_edges, -1, dtype=np.int64)
    matched = np.flatnonzero(edge_of_step >= 0)
    step_row[edge_of_step[matched]] = matched  # the later step wins when two claim one edge
    claims = np.bincount(edge_of_step[matched], minlength=n_edges)
    repeated = [graph.outputs_of(int(e))[0] for e in np.flatnonzero(claims > 1)]
    ran = step_row >= 0
    start = np.full(n_edges, -1, dtype=np.int64)
    end = np.full(n_edges, -1, dtype=np.int64)
    start[ran] = starts[step_row[ran]]
    end[ran] = ends[step_row[ran]]
    duration = np.where(ran & ~phony_mask(graph), end - start, 0).astype(np.int64)
    wall = int(ends.max() - starts.min()) if len(steps) else 0
    needed = needed_edges(graph, targets)
    outside = ran & ~needed
    if outside.any():
        needed |= upstream(edge_deps(graph), n_edges, np.flatnonzero(outside))
    return EdgeTimes(
        needed=needed,
        ran=ran,
        duration_ms=duration,
        start_ms=start,
        end_ms=end,
        step_row=step_row,
        edge_of_step=edge_of_step,
        wall_ms=wall,
        unmatched=unmatched,
        repeated=repeated,
        ran_outside=int(outside.sum()),
    )


def phony_mask(graph: BuildGraph) -> np.ndarray:
    """Boolean per edge: the phony edges (they run nothing and cost nothing)."""
    if not graph.edges:
        return np.zeros(0, dtype=bool)
    return np.array([r == "phony" for r in graph.rules], dtype=bool)[graph.edge_rule]


def edge_targets(times: EdgeTimes, steps: pd.DataFrame) -> np.ndarray:
    """The target of each edge (object array of str) from the step that ran it, "" for the others."""
    targets = np.full(len(times.step_row), "", dtype=object)
    ran = np.flatnonzero(times.step_row >= 0)
    if len(ran):
        targets[ran] = steps["target"].astype(str).to_numpy()[times.step_row[ran]]
    return targets
