"""The build graph while the manifest is read: nodes numbered as they appear, one row per edge.

`EdgeTable.add` adds a build statement as ninja's ParseEdge does once its bindings are read (paths
expanded and canonicalised, a second writer of an output dropped, a phony edge's self-reference
dropped, the pool and `deps` looked up). `add_simple` does the same at once for the common line: no
`$`, no implicit outputs or validations, a rule whose pool and deps name no variable, bindings that
set neither; anything else it leaves, untouched, to `add`. `graph()` gives the BuildGraph.
"""

from __future__ import annotations

from collections.abc import Callable

from buildprof.model.graph import BuildGraph
from buildprof.ninja.syntax import Rule, canonicalize, evaluate


class EdgeTable:
    """Nodes, rules, pools and edges read so far."""

    def __init__(self, problem: Callable[[str, str], None]) -> None:
        """`problem(where, message)` receives what ninja would refuse."""
        self.problem = problem
        self.node_of: dict[str, int] = {}  # path -> node id, in the order nodes appear
        self.produced: set[int] = set()  # nodes an edge writes
        self.rules: list[str] = []
        self.rule_index: dict[str, int] = {}
        # per edge: rule, outputs, explicit outputs, inputs, explicit inputs, implicit inputs, pool, deps
        self.edge_rows: list[tuple[int, int, int, int, int, int, int, bool]] = []
        self.out_nodes: list[int] = []
        self.in_nodes: list[int] = []
        self.validations: dict[int, list[int]] = {}
        self.pools: list[tuple[str, int]] = []
        self.pool_index: dict[str, int] = {}

    def add(
        self,
        groups: list,
        rule: Rule,
        bindings: dict[str, str],
        variables: dict[str, str],
        where: str,
        final: bool,
    ) -> None:
        """Add a build statement: its six path groups (outputs, implicit outputs, inputs, implicit,
        order-only, validations) as strings when `final`, else EvalStrings to expand; its bindings;
        the file scope's variables; "file:line" for messages."""

        def lookup(name: str) -> str | None:
            value = bindings.get(name)
            return variables.get(name) if value is None else value

        def binding(name: str) -> str:
            """An edge variable as ninja's EdgeEnv finds it: edge binding, rule binding, file scope."""
            value = bindings.get(name)
            if value is not None:
                return value
            raw = rule.bindings.get(name)
            return (variables.get(name) or "") if raw is None else evaluate(raw, lookup)

        if not final:
            groups = [[canonicalize(evaluate(p, lookup)) for p in group] for group in groups]
            if any(not p for group in groups for p in group):
                self.problem(where, "empty path")
                return
        outs, implicit_outs, explicit, implicit, order_only, validations = groups
        node_of, produced = self.node_of, self.produced
        add = node_of.setdefault
        out_paths = outs + implicit_outs
        out_ids = [add(p, len(node_of)) for p in out_paths]
        explicit_outs = len(outs)
        kept = []
        for i, node in enumerate(out_ids):
            if node in produced:
                self.problem(where, f"multiple rules generate {out_paths[i]}")
                explicit_outs -= i < len(outs)
            else:
                produced.add(node)
                kept.append(node)
        out_ids = kept
        if not out_ids:
            return
        in_ids = [add(p, len(node_of)) for p in explicit + implicit + order_only + validations]
        counts = [len(explicit), len(implicit), len(order_only)]
        if validations:
            self.validations[len(self.edge_rows)] = in_ids[len(in_ids) - len(validations) :]
            del in_ids[len(in_ids) - len(validations) :]
        if rule.name == "phony" and len(out_ids) == 1 and not implicit_outs and not implicit:
            kinds = [0] * counts[0] + [2] * counts[2]
            kept = [(n, k) for n, k in zip(in_ids, kinds, strict=True) if n != out_ids[0]]
            in_ids, counts = [n for n, _ in kept], [sum(1 for _, k in kept if k == j) for j in (0, 1, 2)]
        pool = binding("pool")
        pool_id = self.pool_index.get(pool, -1) if pool else -1
        if pool and pool_id < 0:
            if pool == "console":
                pool_id = self.pool_index[pool] = len(self.pools)
                self.pools.append((pool, 1))
            else:
                self.problem(where, f"unknown pool name '{pool}'")
        self.out_nodes += out_ids
        self.in_nodes += in_ids
        deps = bool(binding("deps"))
        row = (self.rule_id(rule), len(out_ids), explicit_outs, len(in_ids), *counts[:2], pool_id, deps)
        self.edge_rows.append(row)

    def add_simple(self, rest: str, rules: dict[str, Rule], variables: dict[str, str]) -> bool:
        """Add the edge of `build REST` when it is the simple kind (see the module); False, nothing
        changed but nodes named, when it needs `add`."""
        head, colon, tail = rest.partition(":")
        if not colon or "|" in head or ":" in tail:
            return False
        name, _, tail = tail.lstrip(" ").partition(" ")
        rule = rules.get(name)  # (a rule's name is an identifier: "name|x" is not found)
        if rule is None or rule.variable_pool:
            return False
        implicit: list[str] = []
        order_only: list[str] = []
        if "|" in tail:
            tail, _, order_text = tail.partition("||")
            tail, _, implicit_text = tail.partition("|")
            if "|" in implicit_text or "|" in order_text:
                return False
            implicit, order_only = implicit_text.split(), order_text.split()
        outs, explicit = head.split(), tail.split()
        if not outs:
            return False
        pool = rule.fixed["pool"]
        if pool is None:
            pool = variables.get("pool")
        pool_id = self.pool_index.get(pool, -1) if pool else -1
        if pool and pool_id < 0:
            return False  # console's first edge, or an unknown pool
        # Node ids; a path not seen yet is canonicalised first (a known one is canonical already).
        get = self.node_of.get
        out_ids = list(map(get, outs))
        if None in out_ids:
            out_ids = self._named(outs, out_ids)
        paths = explicit + implicit + order_only if implicit or order_only else explicit
        in_ids = list(map(get, paths))
        if None in in_ids:
            in_ids = self._named(paths, in_ids)
        produced = self.produced
        if not produced.isdisjoint(out_ids) or (len(out_ids) > 1 and len(set(out_ids)) < len(out_ids)):
            return False
        if rule.name == "phony" and len(out_ids) == 1 and not implicit and out_ids[0] in in_ids:
            return False
        produced.update(out_ids)
        deps = rule.fixed["deps"]
        if deps is None:
            deps = variables.get("deps")
        self.out_nodes += out_ids
        self.in_nodes += in_ids
        rule_id = rule.index if rule.index >= 0 else self.rule_id(rule)
        outputs = len(out_ids)
        self.edge_rows.append(
            (rule_id, outputs, outputs, len(in_ids), len(explicit), len(implicit), pool_id, bool(deps))
        )
        return True

    def _named(self, paths: list[str], ids: list[int | None]) -> list[int]:
        """`ids` with each None replaced by the id of its path, canonicalised (a new node if need be)."""
        node_of = self.node_of
        add = node_of.setdefault
        return [
            add(canonicalize(p), len(node_of)) if n is None else n for p, n in zip(paths, ids, strict=True)
        ]

    def rule_id(self, rule: Rule) -> int:
        """The index of a rule's name in `rules` (kept on the rule too)."""
        found = self.rule_index.get(rule.name)
        if found is None:
            found = self.rule_index[rule.name] = len(self.rules)
            self.rules.append(rule.name)
        rule.index = found
        return found

    def graph(self, manifest: str, defaults: list[int], skipped: list, problems: list[str]) -> BuildGraph:
        """The table as a BuildGraph of numpy arrays."""
        import numpy as np

        rows = np.array(self.edge_rows, dtype=np.int64).reshape(-1, 8)
        out_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        in_offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(rows[:, 1], out=out_offsets[1:])
        np.cumsum(rows[:, 3], out=in_offsets[1:])
        out_nodes = np.array(self.out_nodes, dtype=np.int32)
        producer = np.full(len(self.node_of), -1, dtype=np.int32)
        producer[out_nodes] = np.repeat(np.arange(len(rows), dtype=np.int32), rows[:, 1])
        return BuildGraph(
            manifest=manifest,
            paths=list(self.node_of),
            node_of=self.node_of,
            rules=self.rules,
            edge_rule=rows[:, 0].astype(np.int32),
            out_offsets=out_offsets,
            out_nodes=out_nodes,
            out_explicit=rows[:, 2].astype(np.int32),
            in_offsets=in_offsets,
            in_nodes=np.array(self.in_nodes, dtype=np.int32),
            in_explicit=rows[:, 4].astype(np.int32),
            in_implicit=rows[:, 5].astype(np.int32),
            producer=producer,
            edge_pool=rows[:, 6].astype(np.int32),
            pools=self.pools,
            defaults=defaults,
            skipped_files=skipped,
            edge_deps=rows[:, 7].astype(np.bool_),
            validations=self.validations,
            problems=problems,
        )
