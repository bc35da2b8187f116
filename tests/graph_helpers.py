"""Build graphs by hand for the scheduling tests: a BuildGraph from a list of build statements.

    make_graph([
        ("cc", ["a.o"], ["a.cc"], [], []),                # rule, outputs, explicit, implicit, order-only
        ("link", ["app"], ["a.o"], [], [], "link_pool"),  # optional sixth item: the pool
    ], pools=[("link_pool", 1)], defaults=["app"])

Edge ids are the statements' order, as a manifest's; node ids the order paths first appear in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from buildprof.model.graph import BuildGraph


def make_graph(
    statements: list[tuple],
    defaults: list[str] | None = None,
    pools: list[tuple[str, int]] | None = None,
    manifest: str = "build.ninja",
) -> BuildGraph:
    """A BuildGraph of `statements` (rule, outputs, explicit, implicit, order_only[, pool])."""
    paths: list[str] = []
    node_of: dict[str, int] = {}

    def node(path: str) -> int:
        if path not in node_of:
            node_of[path] = len(paths)
            paths.append(path)
        return node_of[path]

    pools = [("console", 1), *(pools or [])]
    pool_index = {name: k for k, (name, _) in enumerate(pools)}
    rules: list[str] = []
    edge_rule, out_nodes, out_counts, in_nodes, in_counts, explicit, implicit, edge_pool = (
        [] for _ in range(8)
    )
    for statement in statements:
        rule, outs, exp, imp, order = statement[:5]
        pool = statement[5] if len(statement) > 5 else None
        if rule not in rules:
            rules.append(rule)
        edge_rule.append(rules.index(rule))
        out_nodes += [node(p) for p in outs]
        out_counts.append(len(outs))
        in_nodes += [node(p) for p in [*exp, *imp, *order]]
        in_counts.append(len(exp) + len(imp) + len(order))
        explicit.append(len(exp))
        implicit.append(len(imp))
        edge_pool.append(pool_index[pool] if pool else -1)
    producer = np.full(len(paths), -1, dtype=np.int32)
    out_offsets = np.concatenate(([0], np.cumsum(out_counts))).astype(np.int64)
    for edge in range(len(statements)):
        producer[out_nodes[out_offsets[edge] : out_offsets[edge + 1]]] = edge
    return BuildGraph(
        manifest=manifest,
        paths=paths,
        node_of=node_of,
        rules=rules,
        edge_rule=np.array(edge_rule, dtype=np.int32),
        out_offsets=out_offsets,
        out_nodes=np.array(out_nodes, dtype=np.int32),
        out_explicit=np.array(out_counts, dtype=np.int32),
        in_offsets=np.concatenate(([0], np.cumsum(in_counts))).astype(np.int64),
        in_nodes=np.array(in_nodes, dtype=np.int32),
        in_explicit=np.array(explicit, dtype=np.int32),
        in_implicit=np.array(implicit, dtype=np.int32),
        producer=producer,
        edge_pool=np.array(edge_pool, dtype=np.int32),
        pools=pools,
        defaults=[node_of[p] for p in defaults or []],
    )


def make_steps(rows: list[tuple[str, int, int]], kind: str = "compile", target: str = "t") -> pd.DataFrame:
    """A steps DataFrame (STEP_COLUMNS) of (output, start_ms, end_ms) rows, in log order."""
    frame = pd.DataFrame(rows, columns=["output", "start_ms", "end_ms"])
    frame.insert(0, "step", np.arange(len(rows)))
    frame["n_outputs"] = 1
    frame["duration_ms"] = frame["end_ms"] - frame["start_ms"]
    frame["weighted_ms"] = frame["duration_ms"].astype(float)
    frame["kind"] = kind
    frame["target"] = target
    frame["cmdhash"] = np.arange(len(rows), dtype=np.uint64) + 1
    frame["line"] = np.arange(len(rows)) + 2
    return frame
