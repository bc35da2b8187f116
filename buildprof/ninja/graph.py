"""Read the whole build graph of `build.ninja` (and the files it includes) as ninja 1.11 builds it.

The statements follow ninja's src/manifest_parser.cc:

- `include FILE` reads FILE in the including file's scope; `subninja FILE` in a child scope (it sees
  the parent's variables and rules; what it defines stays in it). Paths are relative to the build
  folder, as for ninja, which runs there.
- `build outs | implicit_outs : rule ins | implicit || order_only |@ validations`, then indented
  bindings. The paths of a build line are expanded with the edge's own bindings first, then the file
  scope (never the rule's bindings: ninja evaluates them in the edge's BindingEnv), and canonicalised
  like CanonicalizePath. The bindings' values see the file scope only.
- An edge's `pool` and `deps` are looked up as ninja's EdgeEnv does: the edge's binding, else the
  rule's (expanded with the edge's bindings and the file scope), else the file scope's variable.
  `console` is the built-in pool of depth 1.
- A second edge writing an output already written keeps its other outputs (ninja -w dupbuild=warn;
  ninja 1.11 stops with an error by default): the output is noted in `problems`. A phony edge that
  lists its only output as an input loses that input (ninja's phonycycle=warn, the default).

Where ninja would stop with a syntax error, this reader notes `file:line: message` in `problems`,
skips that statement and reads on. An included file that cannot be read, an include cycle and
includes nested too deep are noted in `skipped_files`. Expanded values are cut at MAX_VALUE characters
(a variable doubled on every line would otherwise grow without end).
"""

from __future__ import annotations

import re
from pathlib import Path

from buildprof.errors import InputError
from buildprof.files import read_regular, why_unusable
from buildprof.model.graph import BuildGraph
from buildprof.ninja.syntax import (
    IDENT,
    PendingEdge,
    Rule,
    Scope,
    canonicalize,
    evaluate,
    logical_lines,
    parse_value,
    split_build_line,
    split_path_list,
)

MAX_FILES = 10_000
MAX_DEPTH = 64  # includes within includes
MAX_PROBLEMS = 1000
RULE_BINDINGS = {"command", "depfile", "dyndep", "description", "deps", "generator", "pool", "restat"}
RULE_BINDINGS |= {"rspfile", "rspfile_content", "msvc_deps_prefix"}
_EDGE_LISTS = (
    "edge_rule",
    "out_explicit",
    "in_explicit",
    "in_implicit",
    "edge_pool",
    "out_nodes",
    "in_nodes",
)


def read_build_graph(build_dir: str | Path, name: str = "build.ninja") -> BuildGraph | None:
    """The graph of `build_dir/name` and the files it includes; None when there is no manifest."""
    top = Path(build_dir) / name
    why = why_unusable(top)
    if why == "no such file or folder":
        return None
    try:
        if why is not None:
            raise OSError(why)
        text = read_regular(top).decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InputError(f"cannot read ninja manifest: {why or exc.strerror}", top) from None
    reader = _Reader(Path(build_dir), top)
    reader.parse(str(top), text, Scope({}, {"phony": Rule("phony")}))
    return reader.graph()


class _Reader:
    """Parses manifest files into the flat lists of one BuildGraph, following include and subninja."""

    def __init__(self, build_dir: Path, top: Path) -> None:
        """Read relative to `build_dir`; `top` is the manifest named in the graph."""
        self.build_dir = build_dir
        self.top = str(top)
        self.files_read = 1
        self.reading = [top.resolve()]
        self.paths: list[str] = []
        self.node_of: dict[str, int] = {}
        self.producer: list[int] = []
        self.rules: list[str] = []
        self.rule_index: dict[str, int] = {}
        self.edge_rule: list[int] = []  # per edge, as the other lists of _EDGE_LISTS and edge_deps
        self.out_explicit, self.in_explicit, self.in_implicit, self.edge_pool = [], [], [], []
        self.out_nodes: list[int] = []
        self.in_nodes: list[int] = []
        self.out_offsets, self.in_offsets = [0], [0]
        self.edge_deps: list[bool] = []
        self.validations: dict[int, list[int]] = {}
        self.pools: list[tuple[str, int]] = []
        self.pool_index: dict[str, int] = {}
        self.defaults: list[int] = []
        self.skipped_files: list[tuple[str, str]] = []
        self.problems: list[str] = []
        self.problems_total = 0

    def problem(self, where: str, message: str) -> None:
        """Note a statement ninja would refuse (the first MAX_PROBLEMS of them)."""
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(f"{where}: {message}")

    def parse(self, label: str, text: str, scope: Scope) -> None:
        """Add the statements of one file (named `label` in messages) read in `scope`."""
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        pending: PendingEdge | list | None = None  # an edge, or [kind, name, bindings, where] of rule/pool
        for number, line in logical_lines(text):
            if line[:1] == " ":
                stripped = line.lstrip(" ")
                if stripped[:1] == "#":
                    continue
                if not stripped:
                    pending = self._finish(pending, scope)
                elif pending is None:
                    self.problem(f"{label}:{number}", "unexpected indent")
                elif (
                    pending.__class__ is PendingEdge
                    and pending.fast
                    and "pool" not in stripped
                    and "deps" not in stripped
                ):
                    continue
                else:
                    self._binding(pending, stripped, scope, f"{label}:{number}")
                continue
            if pending is not None:
                pending = self._finish(pending, scope)
            if not line or line[0] == "#":
                continue
            if line.startswith("build "):
                pending = self._build_line(line[6:], scope, f"{label}:{number}")
                continue
            word = IDENT.match(line)
            keyword = word.group(0) if word else ""
            rest = line[word.end() :].lstrip(" ") if word else line
            where = f"{label}:{number}"
            if keyword == "build":
                pending = self._build_line(rest, scope, where)
            elif keyword in ("rule", "pool"):
                if IDENT.fullmatch(rest):
                    pending = [keyword, rest, {}, where]
                else:
                    self.problem(where, f"expected {keyword} name")
            elif keyword == "default":
                self._default(rest, scope, where)
            elif keyword in ("include", "subninja"):
                self._include(rest, scope, keyword == "subninja", where)
            elif keyword and rest[:1] == "=":
                value = evaluate(parse_value(rest[1:].lstrip(" ")), scope.vars.get)
                scope.vars[keyword] = value
            else:
                self.problem(where, "expected a statement (build, rule, pool, default, include, name =)")
        self._finish(pending, scope)

    def _binding(self, pending: PendingEdge | list, text: str, scope: Scope, where: str) -> None:
        """One indented `name = value` line of an edge, rule or pool."""
        word = IDENT.match(text)
        rest = text[word.end() :].lstrip(" ") if word else ""
        if not word or rest[:1] != "=":
            self.problem(where, "expected 'name = value'")
            return
        key, value = word.group(0), parse_value(rest[1:].lstrip(" "))
        if pending.__class__ is PendingEdge:
            pending.bindings[key] = evaluate(value, scope.vars.get)
        elif pending[0] == "rule" and key not in RULE_BINDINGS:
            self.problem(where, f"unexpected variable '{key}'")
        else:
            pending[2][key] = value

    def _finish(self, pending: PendingEdge | list | None, scope: Scope) -> None:
        """Complete the statement whose bindings were being read."""
        if pending is None:
            return None
        if pending.__class__ is PendingEdge:
            self._add_edge(pending, scope)
            return None
        kind, name, bindings, where = pending
        if kind == "rule":
            if name in scope.local_rules or name == "phony":
                self.problem(where, f"duplicate rule '{name}'")
                return None
            scope.rules[name] = Rule(name, bindings)
            scope.local_rules.add(name)
            if "command" not in bindings:
                self.problem(where, "expected 'command =' line")
            return None
        if name in self.pool_index or name == "console":
            self.problem(where, f"duplicate pool '{name}'")
        elif "depth" not in bindings:
            self.problem(where, "expected 'depth =' line")
        else:
            digits = re.match(r"\s*[-+]?\d*", evaluate(bindings["depth"], scope.vars.get)).group(0)
            depth = int(digits) if digits.strip(" +-") else 0
            if depth < 0:
                self.problem(where, "invalid pool depth")
            else:
                self.pool_index[name] = len(self.pools)
                self.pools.append((name, depth))
        return None

    def _build_line(self, rest: str, scope: Scope, where: str) -> PendingEdge | None:
        """The edge of a build line, its bindings still to come; None (and a problem) if malformed."""
        split = split_build_line(rest)
        if isinstance(split, str):
            self.problem(where, split)
            return None
        groups, name, fast = split
        rule = scope.rules.get(name)
        if rule is None:
            self.problem(where, f"unknown build rule '{name}'")
            return None
        return PendingEdge(groups, rule, where, fast)

    def _add_edge(self, edge: PendingEdge, scope: Scope) -> None:
        """Add a complete build statement to the graph (ninja's ParseEdge after the bindings)."""
        bindings, variables = edge.bindings, scope.vars

        def lookup(name: str) -> str | None:
            value = bindings.get(name)
            return variables.get(name) if value is None else value

        groups = edge.groups
        if not edge.final:
            groups = [[canonicalize(evaluate(p, lookup)) for p in group] for group in groups]
        if not groups[0]:
            self.problem(edge.line, "expected path")
            return
        if any(not p for group in groups for p in group):
            self.problem(edge.line, "empty path")
            return
        pool = self._edge_binding("pool", edge, lookup)
        pool_id = -1
        if pool:
            if pool == "console" and pool not in self.pool_index:
                self.pool_index[pool] = len(self.pools)
                self.pools.append((pool, 1))
            if pool not in self.pool_index:
                self.problem(edge.line, f"unknown pool name '{pool}'")
            pool_id = self.pool_index.get(pool, -1)
        node_of, paths, producer = self.node_of, self.paths, self.producer
        edge_id = len(self.edge_rule)
        outs = []
        explicit_outs = len(groups[0])
        for i, path in enumerate(groups[0] + groups[1]):
            node = node_of.get(path)
            if node is None:
                node = node_of[path] = len(paths)
                paths.append(path)
                producer.append(edge_id)
            elif producer[node] >= 0:
                self.problem(edge.line, f"multiple rules generate {path}")
                explicit_outs -= i < len(groups[0])
                continue
            else:
                producer[node] = edge_id
            outs.append(node)
        if not outs:
            return
        ins = []
        for path in (*groups[2], *groups[3], *groups[4], *groups[5]):
            node = node_of.get(path)
            if node is None:
                node = node_of[path] = len(paths)
                paths.append(path)
                producer.append(-1)
            ins.append(node)
        counts = [len(groups[2]), len(groups[3]), len(groups[4])]
        if groups[5]:
            self.validations[edge_id] = ins[sum(counts) :]
            del ins[sum(counts) :]
        if edge.rule.name == "phony" and len(outs) == 1 and not groups[1] and not groups[3]:
            kinds = [k for k in (0, 2) for _ in range(counts[k])]
            kept = [(n, k) for n, k in zip(ins, kinds, strict=True) if n != outs[0]]
            ins, counts = [n for n, _ in kept], [sum(1 for _, k in kept if k == j) for j in (0, 1, 2)]
        rule_id = self.rule_index.get(edge.rule.name)
        if rule_id is None:
            rule_id = self.rule_index[edge.rule.name] = len(self.rules)
            self.rules.append(edge.rule.name)
        self.edge_rule.append(rule_id)
        self.out_nodes += outs
        self.out_offsets.append(len(self.out_nodes))
        self.out_explicit.append(explicit_outs)
        self.in_nodes += ins
        self.in_offsets.append(len(self.in_nodes))
        self.in_explicit.append(counts[0])
        self.in_implicit.append(counts[1])
        self.edge_pool.append(pool_id)
        self.edge_deps.append(bool(self._edge_binding("deps", edge, lookup)))

    @staticmethod
    def _edge_binding(name: str, edge: PendingEdge, lookup) -> str:
        """An edge variable as ninja's EdgeEnv finds it: edge binding, rule binding, file scope."""
        value = edge.bindings.get(name)
        if value is not None:
            return value
        raw = edge.rule.bindings.get(name)
        if raw is not None:
            return evaluate(raw, lookup)
        return lookup(name) or ""

    def _default(self, rest: str, scope: Scope, where: str) -> None:
        """A `default` statement: each path must name a node already in the graph."""
        problems: list[str] = []
        items = split_path_list(rest, problems)
        if problems or not items or any(isinstance(item, str) for item in items):
            self.problem(where, problems[0] if problems else "expected target name")
            return
        for item in items:
            path = canonicalize(evaluate(item, scope.vars.get))
            node = self.node_of.get(path)
            if node is None:
                self.problem(where, f"unknown target '{path}'")
            else:
                self.defaults.append(node)

    def _include(self, rest: str, scope: Scope, subninja: bool, where: str) -> None:
        """Parse an included file where it is included (in a child scope for subninja)."""
        problems: list[str] = []
        items = split_path_list(rest, problems)
        if problems or len(items) != 1 or isinstance(items[0], str):
            self.problem(where, problems[0] if problems else "expected one path")
            return
        path = self.build_dir / evaluate(items[0], scope.vars.get)
        if self.files_read >= MAX_FILES:
            self.skipped_files.append((str(path), f"more than {MAX_FILES} files: skipped"))
            return
        resolved = path.resolve()
        if resolved in self.reading or len(self.reading) >= MAX_DEPTH:
            why = "includes itself (an include cycle)" if resolved in self.reading else "is nested too deep"
            self.skipped_files.append((str(path), f"{why}: skipped"))
            return
        try:
            text = read_regular(path).decode("utf-8", "surrogateescape")
        except OSError as exc:
            why = why_unusable(path) or f"cannot be read ({exc.strerror})"
            self.skipped_files.append((str(path), f"{why}: skipped"))
            return
        self.files_read += 1
        self.reading.append(resolved)
        try:
            self.parse(str(path), text, scope.child() if subninja else scope)
        finally:
            self.reading.pop()

    def graph(self) -> BuildGraph:
        """The lists read so far as a BuildGraph of numpy arrays."""
        import numpy as np

        def ints(values: list, dtype=np.int32) -> np.ndarray:
            return np.array(values, dtype=dtype)

        if self.problems_total > len(self.problems):
            self.problems.append(f"... and {self.problems_total - len(self.problems)} more problems")
        return BuildGraph(
            manifest=self.top,
            paths=self.paths,
            node_of=self.node_of,
            rules=self.rules,
            **{name: ints(getattr(self, name)) for name in _EDGE_LISTS},
            out_offsets=ints(self.out_offsets, np.int64),
            in_offsets=ints(self.in_offsets, np.int64),
            producer=ints(self.producer),
            pools=self.pools,
            defaults=self.defaults,
            skipped_files=self.skipped_files,
            edge_deps=ints(self.edge_deps, np.bool_),
            validations=self.validations,
            problems=self.problems,
        )
