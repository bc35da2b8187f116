"""The build graph's inputs and what the header commands take from them: who includes a header
(exact, from `.ninja_deps`) and what touching it costs (the rebuild set, its CPU and wall time, and
with git how often it changed).

The graph is optional everywhere: a folder without `build.ninja` or `.ninja_deps`, or with one that
cannot be read, gets a note, and everything that does not need the graph still runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from buildprof.errors import InputError

if TYPE_CHECKING:
    import numpy as np

    from buildprof.analysis.header_impact import HeaderDeps
    from buildprof.analysis.step_graph import EdgeDeps
    from buildprof.inputs import FolderInputs
    from buildprof.model.churn import FileChurn
    from buildprof.model.graph import BuildGraph
    from buildprof.model.impact import RebuildImpact


@dataclass
class GraphInputs:
    """A build folder's graph (None where absent or unreadable, with a note saying so)."""

    graph: BuildGraph | None = None
    deps: HeaderDeps | None = None
    notes: list[str] = field(default_factory=list)
    durations: np.ndarray | None = None  # per edge: the log's newest duration (NaN: never measured)
    jobs: int | None = None  # the analysed build's parallelism (most steps at once)
    edge_deps: EdgeDeps | None = None
    needed: np.ndarray | None = None
    source_root: str = ""  # the build's source tree as the compiler saw it
    order: str = "1.11"  # the ready order of the ninja that wrote the log (simulate.ready_order)


def read_graph_inputs(found: FolderInputs, need_manifest: bool = True) -> GraphInputs:
    """Read `build.ninja` and `.ninja_deps` of the folder (each one's trouble becomes a note)."""
    from buildprof.analysis.header_impact import invert_deps
    from buildprof.git import compile_commands
    from buildprof.ninja.deps import read_ninja_deps
    from buildprof.ninja.graph import read_build_graph

    entries = compile_commands(found.build_dir)
    out = GraphInputs(source_root=source_root_of(found, None, entries))
    folder = found.inputs.manifest_dir or found.build_dir
    try:
        deps = read_ninja_deps(folder)
        if deps is None:
            out.notes.append(f"{folder}: no .ninja_deps: who includes each header is known only from traces")
        else:
            out.notes += [f"{deps.path}: {problem}" for problem in deps.problems]
            out.deps = invert_deps(deps, compiler_dir(found.build_dir, entries))
    except InputError as exc:
        out.notes.append(str(exc))
    if need_manifest:
        try:
            out.graph = read_build_graph(folder)
            if out.graph is None:
                out.notes.append(f"{folder}: no build.ninja: the rebuild after a change cannot be followed")
            else:
                out.notes += out.graph.problems
        except InputError as exc:
            out.notes.append(str(exc))
    return out


def compiler_dir(build_dir: Path, entries: list) -> str:
    """The folder the compiler ran in, as compile_commands.json (`entries`) names it (a copied build
    folder keeps the original's paths in .ninja_deps and in the traces); else the build folder."""
    try:
        return os.fsdecode(entries[0]["directory"])
    except (LookupError, TypeError):
        return str(build_dir.resolve())


def add_log_times(inputs: GraphInputs, entries, steps) -> None:
    """Per edge the newest measured duration, and the analysed build's parallelism."""
    from buildprof.analysis.header_impact import latest_durations, most_at_once
    from buildprof.analysis.step_graph import edge_deps, needed_edges

    if inputs.graph is None:
        return
    inputs.durations = latest_durations(inputs.graph, entries)
    inputs.jobs = most_at_once(steps) if steps is not None and len(steps) else None
    inputs.edge_deps = edge_deps(inputs.graph)
    inputs.needed = needed_edges(inputs.graph)


def rebuild_impacts(
    inputs: GraphInputs, keys: list[int], churn: FileChurn | None, with_wall: int = 0
) -> list[RebuildImpact]:
    """What touching each header (path ids of `.ninja_deps`) costs; the wall time is simulated for
    the first `with_wall` of them (a simulation per header is the slow part)."""
    from buildprof.analysis.header_impact import impact_of

    assert inputs.deps is not None
    keys_paths = [inputs.deps.keys[k] for k in keys]
    changes = churn_by_key(churn, keys_paths, inputs.source_root) if churn is not None else None
    memo: dict[bytes, tuple] = {}
    out = []
    for i, key in enumerate(keys):
        impact = impact_of(
            inputs.deps,
            key,
            inputs.graph,
            inputs.edge_deps,
            inputs.needed,
            inputs.durations,
            inputs.jobs if i < with_wall else None,
            memo,
            inputs.order,
        )
        if churn is not None and changes is not None:
            impact.changes = changes[i]
            impact.commits = churn.commits
            if churn.commits:
                impact.expected_ms_per_commit = round(impact.changes / churn.commits * impact.cpu_ms, 3)
        out.append(impact)
    return out


def churn_by_key(churn: FileChurn, keys: list[str], source_root: str) -> list[int]:
    """Commits that changed each header: by absolute path, else by its path under the build's
    source tree matched to the end of a path in the repository (the sources were compiled from
    another checkout, or the project is a folder of the repository)."""
    top = (churn.repository or "").rstrip("/") + "/"
    by_tail: dict[str, int] = {}
    for path, n in churn.changes.items():
        parts = path[len(top) :].split("/") if path.startswith(top) else []
        for k in range(len(parts)):
            by_tail.setdefault("/".join(parts[k:]), n)
    root = source_root.rstrip("/") + "/" if source_root else "/"
    counts = []
    for key in keys:
        found = churn.changes.get(key)
        if found is None and key.startswith(root):
            parts = key[len(root) :].split("/")  # longest end first, at least a folder and a name
            tails = ("/".join(parts[k:]) for k in range(len(parts) - 1))
            found = next((by_tail[t] for t in tails if t in by_tail), 0)
        counts.append(found or 0)
    return counts


def project_headers(inputs: GraphInputs, source_root: str) -> list[int]:
    """Path ids of the dependencies under the source tree (the project's own headers: system
    headers are not the project's to split); every one listed by some output when no root is known."""
    assert inputs.deps is not None
    deps = inputs.deps
    root = source_root.rstrip("/") + "/" if source_root else ""
    outputs = set(deps.deps.outputs.tolist())
    return [
        i
        for i, key in enumerate(deps.keys)
        if deps.count(i)
        and i not in outputs
        and (not root or key.startswith(root))
        and not key.endswith(SOURCE_SUFFIXES)
    ]


def source_root_of(found: FolderInputs, repo: str | None, entries: list) -> str:
    """The source tree: --repo, else CMakeCache.txt's CMAKE_HOME_DIRECTORY, else the folder holding
    every file compile_commands.json (`entries`) compiles; "" when none says."""
    from buildprof.git import cmake_home_directory

    if repo:
        return str(Path(repo).resolve())
    home = cmake_home_directory(found.build_dir)
    if home is not None:
        return home
    try:
        files = [os.path.join(e["directory"], e["file"]) for e in entries]
        return os.path.commonpath(files) if files else ""
    except (LookupError, TypeError, ValueError):
        return ""


SOURCE_SUFFIXES = (
    ".c",
    ".cc",
    ".cpp",
    ".cxx",
    ".c++",
    ".C",
    ".m",
    ".mm",
    ".cu",
    ".S",
    ".s",
)  # TUs, not headers
IMPACT_WALLS = 10  # impact rows whose rebuild is simulated for a wall time (the table's first rows)


def graph_with_times(found: FolderInputs, read: tuple | None = None) -> GraphInputs:
    """The folder's graph and deps, with the log's measured durations when there is a log.
    `read`: the log and its last build's steps when the caller has read them already."""
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.analysis.simulate import ready_order
    from buildprof.ninja.log import read_ninja_log

    inputs = read_graph_inputs(found)
    if inputs.graph is None or found.inputs.ninja_log is None:
        return inputs
    if read is not None:
        log, steps = read
    else:
        try:
            log = read_ninja_log(found.inputs.ninja_log)
        except InputError as exc:
            inputs.notes.append(f"{exc}: rebuild costs unknown")
            return inputs
        builds = split_builds(log).builds
        steps = analyse_build(log, builds[-1], None) if builds else None
    add_log_times(inputs, log.entries, steps)
    inputs.order = ready_order(log.version or 5)
    return inputs


def churn_of(
    found: FolderInputs, since: str | None, commits: int | None, repo: str | None, source_root: str
) -> FileChurn | None:
    """git's changes per file over the asked window, in --repo or else the build's source tree;
    None when no window was asked for."""
    from buildprof.git_churn import file_churn

    if since is None and commits is None:
        return None
    return file_churn(repo or source_root or found.build_dir, since, commits)


def headers_graph_fields(found: FolderInputs, options, listing) -> dict:
    """The graph's part of the headers document: exact TU counts on the trace rows, and the
    project's headers by what touching them costs (all of them ranked, `top` kept)."""
    from buildprof.model.trace_report import Listing

    inputs = graph_with_times(found)
    churn = churn_of(found, options.since, options.commits, options.repo, inputs.source_root)
    fields: dict = {"graph_notes": inputs.notes, "churn": churn}
    if inputs.deps is None:
        return fields
    for row in listing.rows:
        key = inputs.deps.key_of.get(os.path.normpath(row.file))
        row.deps_tus = inputs.deps.count(key) if key is not None else 0
    keys = project_headers(inputs, inputs.source_root)
    if options.match:
        from buildprof.analysis.listings import path_matcher

        matches = path_matcher(inputs.source_root)
        keys = [k for k in keys if matches(inputs.deps.keys[k], options.match)]
    impacts = rebuild_impacts(inputs, keys, churn)
    ranked = sorted(impacts, key=lambda i: (-(i.expected_ms_per_commit or 0.0), -i.cpu_ms, i.file))
    rows = ranked[: options.top]
    walls = rebuild_impacts(
        inputs, [inputs.deps.key_of[r.file] for r in rows[:IMPACT_WALLS]], churn, IMPACT_WALLS
    )
    rows[: len(walls)] = walls
    sort = "impact" if churn is not None else "rebuild"
    fields["impact"] = Listing(sort=sort, match=options.match, matched=len(impacts), rows=rows)
    return fields


def why_graph_fields(found: FolderInputs, options, traced: list[str] = (), read: tuple | None = None) -> dict:
    """The graph's part of `why`: who includes the header (exact) and what touching it reruns.
    `traced`: the paths of the traces' files the query matches, to choose among several matches;
    `read`: the log and its last build's steps, already read by the caller."""
    from buildprof.analysis.header_impact import find_dependency

    inputs = graph_with_times(found, read)
    churn = churn_of(found, options.since, options.commits, options.repo, inputs.source_root)
    fields: dict = {"graph_notes": inputs.notes, "churn": churn}
    if inputs.deps is None:
        return fields
    keys = find_dependency(inputs.deps, options.header)
    name = options.header.rsplit("/", 1)[-1]
    for narrower in (
        lambda k: inputs.deps.keys[k].rsplit("/", 1)[-1] == name,
        lambda k: inputs.deps.keys[k] in {os.path.normpath(t) for t in traced},
    ):
        if len(keys) > 1 and any(narrower(k) for k in keys):
            keys = [k for k in keys if narrower(k)]
    if len(keys) == 1:
        fields["rebuild"] = rebuild_impacts(inputs, keys, churn, with_wall=1)[0]
    elif keys:
        fields["graph_notes"] = [
            *inputs.notes,
            f"{options.header!r} matches {len(keys)} files in .ninja_deps",
        ]
    return fields
