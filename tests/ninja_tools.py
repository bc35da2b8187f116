"""Debian's ninja (-t query, -t graph, -t deps) and our readers' records, put in the same shape to compare.

Each `ninja_*` function runs the real tool on a build folder and parses its output; each `our_*`
function gives the same answer from a BuildGraph or NinjaDeps. The tests assert that both are equal.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from buildprof.model.graph import BuildGraph, NinjaDeps

NINJA = "/usr/bin/ninja"
needs_ninja = pytest.mark.skipif(
    not Path(NINJA).exists(), reason=f"{NINJA} is not installed (CI installs it)"
)


def run_ninja(folder: Path, *args: str) -> str:
    """Run ninja in `folder`; its stdout (a failure fails the test with ninja's own words)."""
    done = subprocess.run([NINJA, "-C", str(folder), *args], capture_output=True)
    if done.returncode:
        pytest.fail(f"ninja {' '.join(args[:3])} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout.decode("utf-8", "surrogateescape")


def ninja_query(folder: Path, paths: list[str]) -> dict[str, dict]:
    """`ninja -t query` of each path: {path: {"rule", "inputs" (with `| `/`|| ` marks), "validations",
    "outputs", "validation_for"}} ("rule" None for a node no edge writes)."""
    found: dict[str, dict] = {}
    for start in range(0, len(paths), 1000):
        current: dict = {}
        section = ""
        for line in run_ninja(folder, "-t", "query", *paths[start : start + 1000]).split("\n"):
            if line and not line.startswith(" ") and line.endswith(":"):
                current = found[line[:-1]] = {"rule": None, "inputs": [], "validations": [], "outputs": []}
                current["validation_for"] = []
            elif line.startswith("  input: "):
                current["rule"], section = line[9:], "inputs"
            elif line in ("  validations:", "  outputs:", "  validation for:"):
                section = line.strip(" :").replace(" ", "_")
            elif line.startswith("    "):
                current[section].append(line[4:])
    return found


def our_query(graph: BuildGraph, path: str, consumers: tuple[np.ndarray, np.ndarray]) -> dict:
    """What `ninja -t query path` says, from our graph."""
    node = graph.node_of[path]
    answer: dict = {"rule": None, "inputs": [], "validations": [], "outputs": [], "validation_for": []}
    edge = int(graph.producer[node])
    if edge >= 0:
        answer["rule"] = graph.rules[graph.edge_rule[edge]]
        explicit, implicit = int(graph.in_explicit[edge]), int(graph.in_implicit[edge])
        for i, name in enumerate(graph.inputs_of(edge)):
            answer["inputs"].append(
                ("" if i < explicit else "| " if i < explicit + implicit else "|| ") + name
            )
        answer["validations"] = [graph.paths[n] for n in graph.validations.get(edge, [])]
    offsets, edges = consumers
    for reader in edges[offsets[node] : offsets[node + 1]]:
        answer["outputs"] += graph.outputs_of(int(reader))
    for checked, nodes in graph.validations.items():
        if node in nodes:
            answer["validation_for"] += graph.outputs_of(checked)
    return answer


_NODE = re.compile(r'^"(0x[0-9a-f]+)" \[label="(.*?)"(, shape=ellipse)?\]$')
_ARROW = re.compile(
    r'^"(0x[0-9a-f]+)" -> "(0x[0-9a-f]+)"(?: \[label=" (.*)"\]| \[arrowhead=none( style=dotted)?\])?$'
)


def ninja_graph_edges(folder: Path) -> set[tuple]:
    """The edges `ninja -t graph` draws (reachable from the default targets), each as
    (rule, outputs, inputs), an input as (path, order-only?) or (path, None) for a one-in one-out edge."""
    labels: dict[str, str] = {}
    rules: dict[str, str] = {}
    outs: dict[str, list[str]] = {}
    ins: dict[str, list[tuple[str, bool]]] = {}
    simple: list[tuple[str, str, str]] = []
    for line in run_ninja(folder, "-t", "graph").split("\n"):
        if node := _NODE.match(line):
            (rules if node.group(3) else labels)[node.group(1)] = node.group(2)
        elif arrow := _ARROW.match(line):
            source, target, rule, dotted = arrow.groups()
            if rule is not None:
                simple.append((rule, source, target))
            elif line.endswith("]"):
                ins.setdefault(target, []).append((source, bool(dotted)))
            else:
                outs.setdefault(source, []).append(target)
    edges = {(rule, (labels[t],), ((labels[s], None),)) for rule, s, t in simple}
    for edge, rule in rules.items():
        inputs = tuple((labels[n], order_only) for n, order_only in ins.get(edge, []))
        # ninja labels only the nodes it visits: another output of an edge may stay unnamed (None)
        edges.add((rule, tuple(labels.get(n) for n in outs.get(edge, [])), inputs))
    return edges


def our_graph_edges(graph: BuildGraph) -> set[tuple]:
    """The same edges from our graph: those reachable from the defaults (else from the root nodes);
    an output the walk never reaches is None, as ninja leaves it unnamed."""
    offsets, _ = graph.consumers()
    roots = graph.defaults or [
        int(n)
        for e in range(graph.edges)
        for n in graph.out_nodes[graph.out_offsets[e] : graph.out_offsets[e + 1]]
        if offsets[n] == offsets[n + 1]
    ]
    found: list[tuple] = []
    seen_nodes, seen_edges, stack = set(), set(), list(roots)
    while stack:
        node = stack.pop()
        if node in seen_nodes:
            continue
        seen_nodes.add(node)
        edge = int(graph.producer[node])
        if edge < 0 or edge in seen_edges:
            continue
        seen_edges.add(edge)
        inputs, outputs = graph.inputs_of(edge), graph.outputs_of(edge)
        before_order_only = int(graph.in_explicit[edge] + graph.in_implicit[edge])
        if len(inputs) == 1 and len(outputs) == 1:
            marked = ((inputs[0], None),)
        else:
            marked = tuple((path, i >= before_order_only) for i, path in enumerate(inputs))
        found.append((graph.rules[graph.edge_rule[edge]], edge, marked))
        stack += [int(n) for n in graph.in_nodes[graph.in_offsets[edge] : graph.in_offsets[edge + 1]]]
    edges = set()
    for rule, edge, marked in found:
        outputs = graph.out_nodes[graph.out_offsets[edge] : graph.out_offsets[edge + 1]]
        edges.add((rule, tuple(graph.paths[n] if int(n) in seen_nodes else None for n in outputs), marked))
    return edges


_DEPS_HEAD = re.compile(r"^(.*): #deps (\d+), deps mtime (-?\d+) \((?:VALID|STALE)\)$")


def ninja_deps(folder: Path) -> list[tuple[str, int, list[str]]]:
    """`ninja -t deps`: (output, deps mtime, inputs) for each live record, in ninja's order."""
    found: list[tuple[str, int, list[str]]] = []
    for line in run_ninja(folder, "-t", "deps").split("\n"):
        if head := _DEPS_HEAD.match(line):
            found.append((head.group(1), int(head.group(3)), []))
        elif line.startswith("    "):
            found[-1][2].append(line[4:])
    return found


def our_deps(deps: NinjaDeps, graph: BuildGraph | None) -> list[tuple[str, int, list[str]]]:
    """The same from our records; with a graph, only outputs whose edge has `deps` set (ninja's
    IsDepsEntryLiveFor, which `-t deps` applies)."""
    found = []
    for i, output in enumerate(deps.outputs):
        path = deps.paths[output]
        if graph is not None:
            node = graph.node_of.get(path)
            if node is None or graph.producer[node] < 0 or not graph.edge_deps[graph.producer[node]]:
                continue
        ids = deps.dep_ids[deps.dep_offsets[i] : deps.dep_offsets[i + 1]]
        found.append((path, int(deps.mtimes[i]), [deps.paths[d] for d in ids]))
    return found
