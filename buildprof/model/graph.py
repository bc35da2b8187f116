"""The build graph as the ninja readers give it: `build.ninja`'s DAG and `.ninja_deps`' headers.

Both are kept as flat arrays (CSR: an offsets array and a values array) because a large build has
hundreds of thousands of edges and tens of millions of header dependencies: one Python object per
dependency would take seconds and gigabytes. Node ids index `paths`; edge ids are the order of the
build statements in the manifest (ninja's own edge order, which its 1.11 scheduler follows).

Paths are as ninja names them: canonicalised (`./` and `x/../` removed), relative to the build
folder unless written absolute; `.ninja_deps` paths are as the compiler reported them (CMake builds:
absolute for headers outside the build folder).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


@dataclass
class BuildGraph:
    """The DAG of a manifest (with its include/subninja files): nodes are paths, edges statements.

    Edge `e` writes `out_nodes[out_offsets[e]:out_offsets[e + 1]]`, the first `out_explicit[e]` of
    them explicit, the rest implicit (`|`). It reads `in_nodes[in_offsets[e]:in_offsets[e + 1]]`:
    first `in_explicit[e]` explicit inputs, then `in_implicit[e]` implicit ones (`|`), then the
    order-only ones (`||`), which order the build but never make an output dirty.
    """

    manifest: str  # path of the top build.ninja
    paths: list[str]  # node id -> path
    node_of: dict[str, int]  # path -> node id
    rules: list[str]  # rule names, indexed by edge_rule ("phony" is one of them when used)
    edge_rule: np.ndarray  # int32 per edge: index into rules
    out_offsets: np.ndarray  # int64, edges + 1
    out_nodes: np.ndarray  # int32
    out_explicit: np.ndarray  # int32 per edge
    in_offsets: np.ndarray  # int64, edges + 1
    in_nodes: np.ndarray  # int32
    in_explicit: np.ndarray  # int32 per edge
    in_implicit: np.ndarray  # int32 per edge
    producer: np.ndarray  # int32 per node: the edge that writes it, -1 for a source (or a missing) file
    edge_pool: np.ndarray  # int32 per edge: index into pools, -1 for the default (unlimited) pool
    pools: list[tuple[str, int]] = field(default_factory=list)  # (name, depth); "console" is depth 1
    defaults: list[int] = field(default_factory=list)  # node ids of `default` statements
    # included files not read: (path, why)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)
    # bool per edge: its `deps` variable is set (gcc or msvc), so ninja keeps the headers its outputs
    # read in .ninja_deps (`ninja -t deps` lists only such outputs); None when not known
    edge_deps: np.ndarray | None = None
    # edge -> node ids of its validations (`|@`): built whenever the edge is, never its inputs
    validations: dict[int, list[int]] = field(default_factory=dict)
    # statements ninja would refuse, as "file:line: message" (they were skipped, the rest was read)
    problems: list[str] = field(default_factory=list)

    @property
    def edges(self) -> int:
        """How many build statements the manifest has."""
        return len(self.edge_rule)

    def outputs_of(self, edge: int) -> list[str]:
        """The paths an edge writes, explicit first."""
        return [self.paths[n] for n in self.out_nodes[self.out_offsets[edge] : self.out_offsets[edge + 1]]]

    def inputs_of(self, edge: int) -> list[str]:
        """The paths an edge reads: explicit, implicit, then order-only."""
        return [self.paths[n] for n in self.in_nodes[self.in_offsets[edge] : self.in_offsets[edge + 1]]]

    def explicit_outputs_of(self, edge: int) -> list[str]:
        """The explicit outputs of an edge (the ones before `|`)."""
        start = self.out_offsets[edge]
        return [self.paths[n] for n in self.out_nodes[start : start + self.out_explicit[edge]]]

    def consumers(self) -> tuple[np.ndarray, np.ndarray]:
        """(offsets, edges): node `n` is an input of edges[offsets[n]:offsets[n + 1]], in edge order,
        once per time it is listed (ninja's out_edges; validations not included)."""
        import numpy as np

        counts = np.diff(self.in_offsets)
        edge_of_input = np.repeat(np.arange(self.edges, dtype=np.int32), counts)
        order = np.argsort(self.in_nodes, kind="stable")
        offsets = np.zeros(len(self.paths) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.in_nodes, minlength=len(self.paths)), out=offsets[1:])
        return offsets, edge_of_input[order]

    def is_phony(self, edge: int) -> bool:
        """A phony edge runs nothing: it only names (or groups) other nodes."""
        return self.rules[self.edge_rule[edge]] == "phony"


@dataclass
class NinjaDeps:
    """`.ninja_deps`: the headers the compiler reported for each output, the newest record of each.

    Output `outputs[i]` (a path id) had modification time `mtimes[i]` when recorded and depends on
    `dep_ids[dep_offsets[i]:dep_offsets[i + 1]]` (path ids into `paths`).
    """

    path: str
    version: int  # 3 (ninja before 1.9, 32-bit mtimes) or 4
    paths: list[str]  # path id -> path, as recorded
    # int32 path ids, one per output that has a deps record (its newest counts), in id order; `ninja
    # -t deps` lists only those whose edge has `deps` set in the manifest (BuildGraph.edge_deps)
    outputs: np.ndarray
    mtimes: np.ndarray  # int64, ninja's mtime units (nanoseconds on Linux for version 4)
    dep_offsets: np.ndarray  # int64, len(outputs) + 1
    dep_ids: np.ndarray  # int32
    # damage found (e.g. "truncated at byte N"): reading stopped there, as ninja does
    problems: list[str] = field(default_factory=list)
