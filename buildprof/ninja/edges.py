"""The build graph while the manifest is read: edges as rows and path strings, numbered at the end.

While the files are read, each build statement becomes one row (rule, counts, pool, deps) and its
paths are appended, as strings, to flat lists. `graph()` then numbers the nodes in one pass
(`dict.fromkeys` keeps the order in which paths first appear), canonicalises the few paths that
need it (CanonicalizePath), and applies in bulk what ninja's ParseEdge applies per edge: a second
edge writing an output already written loses that output (and the edge goes when it has none left);
a phony edge whose single output is among its inputs loses those inputs (phonycycle=warn). Paths
become Python strings once each; edges and their nodes become numpy arrays.

`add_simple` takes the common build line without building anything per path: no `$`, no implicit
outputs or validations, a rule whose pool and deps name no variable, bindings that set neither.
`add` takes any other, its paths already expanded.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from itertools import chain, count
from typing import TYPE_CHECKING

from buildprof.model.graph import BuildGraph
from buildprof.ninja.syntax import Rule, canonicalize

if TYPE_CHECKING:
    import numpy as np


class EdgeTable:
    """Edges, their paths, rules and pools read so far."""

    def __init__(self, problem: Callable[[str, str], None]) -> None:
        """`problem(where, message)` receives what ninja would refuse."""
        self.problem = problem
        self.rules: list[str] = []
        self.rule_index: dict[str, int] = {}
        # per edge: rule, outputs, explicit outputs, inputs, explicit inputs, implicit inputs, pool, deps
        self.rows: list[tuple[int, int, int, int, int, int, int, bool]] = []
        self.out_paths: list[str] = []
        self.in_paths: list[str] = []
        self.validations: dict[int, list[str]] = {}
        self.pools: list[tuple[str, int]] = []
        self.pool_index: dict[str, int] = {}
        self.where: list[int | str] = []  # per edge: "file:line", or its line index in the segment
        self.segments: list[tuple[int, str, list[int] | None]] = []  # (first edge, file, line numbers)

    def segment(self, label: str, numbers: list[int] | None) -> None:
        """Edges from now on come from file `label` (line index i is line numbers[i], or i + 1)."""
        self.segments.append((len(self.rows), label, numbers))

    def add(self, groups: list[list[str]], rule: Rule, pool_id: int, deps: bool, where: str) -> None:
        """Add a build statement: its six groups of expanded, canonical paths (outputs, implicit
        outputs, inputs, implicit, order-only, validations), pool and deps as looked up."""
        outs, implicit_outs, explicit, implicit, order_only, validations = groups
        if validations:
            self.validations[len(self.rows)] = validations
        self.out_paths += outs + implicit_outs
        self.in_paths += explicit + implicit + order_only
        inputs = len(explicit) + len(implicit) + len(order_only)
        outputs = len(outs) + len(implicit_outs)
        self.rows.append(
            (self.rule_id(rule), outputs, len(outs), inputs, len(explicit), len(implicit), pool_id, deps)
        )
        self.where.append(where)

    def add_simple(self, rest: str, rules: dict[str, Rule], variables: dict[str, str], line: int) -> bool:
        """Add the edge of `build REST` (at line index `line`) when it is the simple kind (see the
        module); False, nothing changed, when it needs the general path."""
        head, colon, tail = rest.partition(":")
        if not colon or "|" in head or ":" in tail:
            return False
        name, _, tail = tail.lstrip(" ").partition(" ")
        rule = rules.get(name)  # (a rule's name is an identifier: "name|x" is not found)
        if rule is None or rule.variable_pool or "pool" in variables or "deps" in variables:
            return False
        pool_id = rule.pool_id
        if pool_id is None:
            pool = rule.fixed["pool"]
            pool_id = self.pool_index.get(pool) if pool else -1
            if pool_id is None:
                return False  # console's first edge, or an unknown pool: the general path says which
            rule.pool_id = pool_id
        if "|" in tail:
            if "|@" in tail:
                return False  # validations: the general path
            tail, _, order_text = tail.partition("||")
            tail, _, implicit_text = tail.partition("|")
            if "|" in implicit_text or "|" in order_text:
                return False
            explicit, implicit = tail.split(), implicit_text.split()
            paths = explicit + implicit + order_text.split()
        else:
            explicit = paths = tail.split()
            implicit = ()
        outs = head.split()
        if not outs:
            return False
        self.out_paths += outs
        self.in_paths += paths
        rule_id = rule.index if rule.index >= 0 else self.rule_id(rule)
        outputs = len(outs)
        self.rows.append(
            (rule_id, outputs, outputs, len(paths), len(explicit), len(implicit), pool_id, rule.deps)
        )
        self.where.append(line)
        return True

    def rule_id(self, rule: Rule) -> int:
        """The index of a rule's name in `rules` (kept on the rule too)."""
        found = self.rule_index.get(rule.name)
        if found is None:
            found = self.rule_index[rule.name] = len(self.rules)
            self.rules.append(rule.name)
        rule.index = found
        return found

    def where_of(self, edge: int) -> str:
        """ "file:line" of an edge's build statement."""
        where = self.where[edge]
        if isinstance(where, str):
            return where
        _, label, numbers = self.segments[bisect_right(self.segments, edge, key=lambda s: s[0]) - 1]
        return f"{label}:{numbers[where] if numbers else where + 1}"

    def node_ids(self) -> tuple[list[str], dict[str, int], np.ndarray]:
        """(paths, node_of, ids): the canonical paths in order of first appearance, path -> node id,
        and the node id of each path written (outputs, inputs, validations, in table order)."""
        import numpy as np

        written = list(chain(self.out_paths, self.in_paths, *self.validations.values()))
        # One dict operation per path: each path keeps the index where it first appears; ranking
        # those indexes numbers the nodes in order of appearance.
        first: dict[str, int] = {}
        at = np.fromiter(map(first.setdefault, written, count()), np.int64, len(written))
        # Paths that may not be canonical: looked for in all of them at once, one by one only if found.
        blob = "\n".join(first)
        if (
            "/." in blob
            or "//" in blob
            or "\n." in blob
            or "/\n" in blob
            or blob[:1] == "."
            or blob[-1:] == "/"
        ):
            canonical = {
                k: canonicalize(k) for k in first if "/." in k or "//" in k or k[:1] == "." or k[-1:] == "/"
            }
            written = [canonical.get(p, p) for p in written]
            first = {}
            at = np.fromiter(map(first.setdefault, written, count()), np.int64, len(written))
        ids = np.unique(at, return_inverse=True)[1].astype(np.int32)
        return list(first), dict(zip(first, count())), ids

    def graph(self, manifest: str, defaults: list[tuple[str, str]], skipped: list) -> BuildGraph:
        """The table as a BuildGraph: nodes numbered, duplicate outputs and phony self-references
        dropped as ninja drops them; `defaults` as (canonical path, "file:line")."""
        import numpy as np

        paths, node_of, ids = self.node_ids()
        rows = np.fromiter(chain.from_iterable(self.rows), np.int64, 8 * len(self.rows)).reshape(-1, 8)
        outputs, inputs = len(self.out_paths), len(self.in_paths)
        out_nodes, in_nodes = ids[:outputs], ids[outputs : outputs + inputs]
        validations, at = {}, outputs + inputs
        for edge, nodes in self.validations.items():
            validations[edge] = ids[at : at + len(nodes)].tolist()
            at += len(nodes)
        _, first = np.unique(out_nodes, return_index=True)
        if len(first) < len(out_nodes):
            dropped = self._drop_second_writers(rows, out_nodes, in_nodes, validations, first, paths)
            rows, out_nodes, in_nodes, validations = dropped
        in_nodes = _drop_phony_self_references(rows, out_nodes, in_nodes, self.rule_index.get("phony", -1))
        out_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        in_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(rows[:, 1], out=out_offsets[1:])
        np.cumsum(rows[:, 3], out=in_offsets[1:])
        producer = np.full(len(paths), -1, dtype=np.int32)
        producer[out_nodes] = np.repeat(np.arange(len(rows), dtype=np.int32), rows[:, 1])
        default_ids = []
        for path, where in defaults:
            if path in node_of:
                default_ids.append(node_of[path])
            else:
                self.problem(where, f"unknown target '{path}'")
        return BuildGraph(
            manifest=manifest,
            paths=paths,
            node_of=node_of,
            rules=self.rules,
            edge_rule=rows[:, 0].astype(np.int32),
            out_offsets=out_offsets,
            out_nodes=out_nodes,
            out_explicit=rows[:, 2].astype(np.int32),
            in_offsets=in_offsets,
            in_nodes=in_nodes,
            in_explicit=rows[:, 4].astype(np.int32),
            in_implicit=rows[:, 5].astype(np.int32),
            producer=producer,
            edge_pool=rows[:, 6].astype(np.int32),
            pools=self.pools,
            defaults=default_ids,
            skipped_files=skipped,
            edge_deps=rows[:, 7].astype(np.bool_),
            validations=validations,
        )

    def _drop_second_writers(self, rows, out_nodes, in_nodes, validations: dict, first, paths: list[str]):
        """Outputs already written by an earlier edge leave the later one (noted as problems); an edge
        left without outputs leaves the graph, with its inputs and validations."""
        import numpy as np

        edges = len(rows)
        edge_of_out = np.repeat(np.arange(edges), rows[:, 1])
        out_start = np.cumsum(rows[:, 1]) - rows[:, 1]
        keep = np.zeros(len(out_nodes), dtype=np.bool_)
        keep[first] = True
        for position in np.flatnonzero(~keep).tolist():
            edge = int(edge_of_out[position])
            self.problem(self.where_of(edge), f"multiple rules generate {paths[out_nodes[position]]}")
            rows[edge, 2] -= position - out_start[edge] < rows[edge, 2]
        rows[:, 1] = np.bincount(edge_of_out[keep], minlength=edges)
        live = rows[:, 1] > 0
        in_nodes = in_nodes[np.repeat(live, rows[:, 3])]
        new_id = np.cumsum(live) - 1
        validations = {int(new_id[e]): v for e, v in validations.items() if live[e]}
        return rows[live], out_nodes[keep], in_nodes, validations


def _drop_phony_self_references(rows, out_nodes, in_nodes, phony: int):
    """ninja's phonycycle=warn: a phony edge with one output, no implicit outputs or inputs, loses
    the inputs that name that output (CMake 2.8/3.0 wrote such edges). `rows` is updated in place."""
    import numpy as np

    candidate = (rows[:, 0] == phony) & (rows[:, 1] == 1) & (rows[:, 2] == 1) & (rows[:, 5] == 0)
    if not candidate.any():
        return in_nodes
    edges = len(rows)
    edge_of_in = np.repeat(np.arange(edges), rows[:, 3])
    out_start = np.cumsum(rows[:, 1]) - rows[:, 1]
    only_out = np.where(rows[:, 1] > 0, out_nodes[np.minimum(out_start, max(len(out_nodes) - 1, 0))], -1)
    self_ref = candidate[edge_of_in] & (in_nodes == only_out[edge_of_in])
    if not self_ref.any():
        return in_nodes
    in_start = np.cumsum(rows[:, 3]) - rows[:, 3]
    explicit = np.arange(len(in_nodes)) - in_start[edge_of_in] < rows[edge_of_in, 4]
    rows[:, 4] -= np.bincount(edge_of_in[self_ref & explicit], minlength=edges)
    rows[:, 3] -= np.bincount(edge_of_in[self_ref], minlength=edges)
    return in_nodes[~self_ref]
