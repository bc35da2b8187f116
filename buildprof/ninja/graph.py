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
from itertools import compress, count, pairwise, repeat
from operator import not_
from pathlib import Path

from buildprof.errors import InputError
from buildprof.files import read_regular, why_unusable
from buildprof.gc_pause import gc_paused
from buildprof.model.graph import BuildGraph
from buildprof.ninja.edges import EdgeTable
from buildprof.ninja.syntax import (
    IDENT,
    ODD_SPACES,
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
    with gc_paused():  # hundreds of thousands of long-lived strings, no cycles
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
        self.table = EdgeTable(self.problem)
        self.defaults: list[tuple[str, str]] = []  # (canonical path, "file:line"), checked at the end
        self.skipped_files: list[tuple[str, str]] = []
        self.problems: list[tuple[str, str]] = []  # (where, message)
        self.problems_total = 0

    def problem(self, where: str | tuple[str, int], message: str) -> None:
        """Note a statement ninja would refuse (the first MAX_PROBLEMS of them) at "file:line" or
        (file, line)."""
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append((where if isinstance(where, str) else f"{where[0]}:{where[1]}", message))

    def parse(self, label: str, text: str, scope: Scope) -> None:
        """Add the statements of one file (named `label` in messages) read in `scope`."""
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines, numbers = logical_lines(text)
        # Statement lines (neither indented nor comments); the lines after each up to the next one
        # are its bindings.
        starts = compress(count(), map(not_, map(str.startswith, lines, repeat(" "))))
        starts = [i for i in starts if lines[i][:1] != "#"]
        starts.append(len(lines))
        if starts[0]:
            self._bindings(None, lines, 0, starts[0], scope, label, numbers)
        pending: PendingEdge | list | None = None  # an edge, or [kind, name, bindings, where] of rule/pool
        add_simple = self.table.add_simple
        self.table.segment(label, numbers)
        # The simple path splits on whitespace: only where the only whitespace is the space (ninja
        # reads a tab, a form feed or a no-break space as part of a path).
        plain_text = not any(ch in text for ch in ODD_SPACES)
        for i, end in pairwise(starts):
            if pending is not None:
                pending = self._finish(pending, scope)
            line = lines[i]
            if line.startswith("build "):
                if plain_text and "$" not in line and line.isascii():
                    block = "".join(lines[i + 1 : end]) if end > i + 1 else ""
                    if (
                        "pool" not in block
                        and "deps" not in block
                        and add_simple(line[6:], scope.rules, scope.vars, i)
                    ):
                        continue
                pending = self._build_line(line[6:], scope, f"{label}:{numbers[i] if numbers else i + 1}")
            elif line:
                pending = self._statement(line, scope, f"{label}:{numbers[i] if numbers else i + 1}")
                if self.table.segments[-1][1] is not label:  # an included file's edges came in between
                    self.table.segment(label, numbers)
            if end > i + 1:
                pending = self._bindings(pending, lines, i + 1, end, scope, label, numbers)
        self._finish(pending, scope)

    def _statement(self, line: str, scope: Scope, where: str) -> list | None:
        """A statement other than `build`: rule and pool are returned to receive their bindings."""
        word = IDENT.match(line)
        keyword = word.group(0) if word else ""
        rest = line[word.end() :].lstrip(" ") if word else line
        if keyword == "build":
            return self._build_line(rest, scope, where)
        if keyword in ("rule", "pool"):
            if IDENT.fullmatch(rest):
                return [keyword, rest, {}, where]
            self.problem(where, f"expected {keyword} name")
        elif keyword == "default":
            self._default(rest, scope, where)
        elif keyword in ("include", "subninja"):
            self._include(rest, scope, keyword == "subninja", where)
        elif keyword and rest[:1] == "=":
            scope.vars[keyword] = evaluate(parse_value(rest[1:].lstrip(" ")), scope.vars.get)
        else:
            self.problem(where, "expected a statement (build, rule, pool, default, include, name =)")
        return None

    def _bindings(self, pending, lines: list[str], start: int, end: int, scope: Scope, label: str, numbers):
        """The indented lines lines[start:end] after a statement; the statement still pending."""
        for k in range(start, end):
            stripped = lines[k].lstrip(" ")
            where = f"{label}:{numbers[k] if numbers else k + 1}"
            if stripped[:1] == "#":
                continue
            if not stripped:  # a line of spaces ends the bindings
                pending = self._finish(pending, scope)
            elif pending is None:
                self.problem(where, "unexpected indent")
            else:
                self._binding(pending, stripped, scope, where)
        return pending

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
            self._add_edge(pending, scope.vars)
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
        if name in self.table.pool_index or name == "console":
            self.problem(where, f"duplicate pool '{name}'")
        elif "depth" not in bindings:
            self.problem(where, "expected 'depth =' line")
        else:
            digits = re.match(r"\s*[-+]?\d*", evaluate(bindings["depth"], scope.vars.get)).group(0)
            depth = int(digits) if digits.strip(" +-") else 0
            if depth < 0:
                self.problem(where, "invalid pool depth")
            else:
                self.table.pool_index[name] = len(self.table.pools)
                self.table.pools.append((name, depth))
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

    def _add_edge(self, edge: PendingEdge, variables: dict[str, str]) -> None:
        """Expand a build statement's paths and look up its pool and deps as ninja's ParseEdge does
        once the bindings are read: paths see the edge's bindings, then the file scope; pool and deps
        the edge's binding, else the rule's (expanded likewise), else the file scope's variable."""
        bindings, rule = edge.bindings, edge.rule

        def lookup(name: str) -> str | None:
            value = bindings.get(name)
            return variables.get(name) if value is None else value

        def binding(name: str) -> str:
            value = bindings.get(name)
            if value is not None:
                return value
            raw = rule.bindings.get(name)
            return (variables.get(name) or "") if raw is None else evaluate(raw, lookup)

        groups = edge.groups
        if not edge.final:
            groups = [[canonicalize(evaluate(p, lookup)) for p in group] for group in groups]
            if any(not p for group in groups for p in group):
                self.problem(edge.line, "empty path")
                return
        pool = binding("pool")
        pool_id = self.table.pool_index.get(pool, -1) if pool else -1
        if pool and pool_id < 0:
            if pool == "console":
                pool_id = self.table.pool_index[pool] = len(self.table.pools)
                self.table.pools.append((pool, 1))
            else:
                self.problem(edge.line, f"unknown pool name '{pool}'")
        self.table.add(groups, rule, pool_id, bool(binding("deps")), edge.line)

    def _default(self, rest: str, scope: Scope, where: str) -> None:
        """A `default` statement: each path must name a node of the graph (checked at the end)."""
        problems: list[str] = []
        items = split_path_list(rest, problems)
        if problems or not items or any(isinstance(item, str) for item in items):
            self.problem(where, problems[0] if problems else "expected target name")
            return
        for item in items:
            self.defaults.append((canonicalize(evaluate(item, scope.vars.get)), where))

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
        """The graph read; its problems in file order, then line order."""
        graph = self.table.graph(self.top, self.defaults, self.skipped_files)
        rank = {label: i for i, (_, label, _) in reversed(list(enumerate(self.table.segments)))}

        def order(problem: tuple[str, str]) -> tuple[int, int]:
            label, _, line = problem[0].rpartition(":")
            return rank.get(label, len(rank)), int(line) if line.isdigit() else 0

        graph.problems = [f"{where}: {message}" for where, message in sorted(self.problems, key=order)]
        if self.problems_total > len(self.problems):
            graph.problems.append(f"... and {self.problems_total - len(self.problems)} more problems")
        return graph
