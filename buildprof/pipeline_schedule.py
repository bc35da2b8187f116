"""The build-graph commands' documents: `critical-path` and `what-if`, and the report's short
critical-path section. Each reads the log's last build, joins its steps to `build.ninja`'s edges,
and hands durations to the pure analyses (analysis/critical_path.py, analysis/simulate.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from buildprof.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from buildprof.analysis.step_graph import EdgeTimes
    from buildprof.inputs import FolderInputs
    from buildprof.model.graph import BuildGraph
    from buildprof.model.graph_documents import CriticalPathDocument, WhatIfChange, WhatIfDocument
    from buildprof.model.graph_report import CriticalPath


class JoinedBuild(msgspec.Struct):
    """The log's last build, its steps joined to the graph's edges."""

    graph: BuildGraph
    steps: pd.DataFrame
    times: EdgeTimes
    build: int  # 1 = the log's oldest build
    jobs: int
    order: str = "1.11"  # the ready order of the ninja that wrote the log (simulate.ready_order)
    notes: list[str] = msgspec.field(default_factory=list)


def joined_last_build(found: FolderInputs) -> JoinedBuild:
    """The log's last build on the graph; InputError when the log or the manifest is missing."""
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.ninja.graph import read_build_graph
    from buildprof.ninja.log import read_ninja_log
    from buildprof.ninja.manifest import read_ninja_manifest

    inputs = found.inputs
    if inputs.ninja_log is None:
        raise InputError("no .ninja_log: the build's step times are needed", found.build_dir)
    graph = read_build_graph(inputs.manifest_dir) if inputs.manifest_dir else None
    if graph is None:
        raise InputError("no build.ninja: the build graph is needed", found.build_dir)
    log = read_ninja_log(inputs.ninja_log)
    builds = split_builds(log).builds
    if not builds:
        raise InputError("the ninja log holds no build", log.path)
    span = builds[-1]
    return joined_build(graph, log, span, analyse_build(log, span, read_ninja_manifest(inputs.manifest_dir)))


def joined_build(graph: BuildGraph, log, span, steps: pd.DataFrame) -> JoinedBuild:
    """One build of the log (its span and classified steps) joined to the graph's edges."""
    from buildprof.analysis.header_impact import most_at_once
    from buildprof.analysis.simulate import ready_order
    from buildprof.analysis.step_graph import join_steps

    times = join_steps(graph, steps, _lines_of(log, span))
    notes = list(graph.problems)  # "file:line: message", statements ninja would refuse
    if times.unmatched:
        notes.append(
            f"{len(times.unmatched)} steps write nothing build.ninja names (it changed since the build), "
            f"e.g. {times.unmatched[0]}: left out"
        )
    order = ready_order(log.version or 5)
    return JoinedBuild(graph, steps, times, span.index + 1, most_at_once(steps), order, notes)


def _lines_of(log, span) -> pd.DataFrame:
    """The build's log lines (command hash, times, output) for join_steps, decoding only its paths
    (log.entries would decode every path of the log)."""
    import numpy as np
    import pandas as pd

    part = slice(span.first_row, span.end_row)
    lines = {name: log.columns[name][part] for name in ("cmdhash", "start_ms", "end_ms")}
    lines["output"] = log.paths.of(np.arange(span.first_row, span.end_row))
    return pd.DataFrame(lines)


def report_critical_path(
    found: FolderInputs, log, analysed: list, top: int
) -> tuple[CriticalPath | None, list[str]]:
    """The report's critical path of its last analysed build; None (with a note when the manifest
    is there but unusable) when the folder has no build.ninja."""
    if not analysed or found.inputs.manifest_dir is None:
        return None, []
    from buildprof.ninja.graph import read_build_graph  # only with a manifest: 13 ms of imports

    try:
        graph = read_build_graph(found.inputs.manifest_dir)
    except InputError as exc:
        return None, [f"{exc}: no critical path"]
    if graph is None:
        return None, []
    span, steps = analysed[-1]
    joined = joined_build(graph, log, span, steps.frame())
    return critical_path_of(joined, min(top, 10)), joined.notes


def critical_path_of(joined: JoinedBuild, top: int) -> CriticalPath:
    """The critical path of the joined build, with slack and drag."""
    from buildprof.analysis.critical_path import critical_path

    return critical_path(joined.graph, joined.times, joined.steps, top)


def critical_path_document(found: FolderInputs, options) -> CriticalPathDocument:
    from buildprof.model.graph_documents import CriticalPathDocument
    from buildprof.pipeline import header_fields

    joined = joined_last_build(found)
    return CriticalPathDocument(
        **header_fields(found),
        build=joined.build,
        critical_path=critical_path_of(joined, options.top),
        simulated=_replay(joined, joined.times.duration_ms, joined.jobs),
        notes=joined.notes,
    )


def _replay(joined: JoinedBuild, durations: np.ndarray, jobs: int):
    """The build's steps replayed by the simulator with `durations`, against the measured wall."""
    from buildprof.analysis.simulate import simulate, simulated_build
    from buildprof.analysis.step_graph import phony_mask

    wanted = joined.times.ran & ~phony_mask(joined.graph)
    schedule = simulate(joined.graph, durations, wanted, jobs, order=joined.order)
    return simulated_build(schedule, joined.times.wall_ms)


def what_if_document(found: FolderInputs, options) -> WhatIfDocument:
    """The last build replayed as measured and with the asked changes."""
    import numpy as np

    from buildprof.model.graph_documents import WhatIfDocument
    from buildprof.pipeline import header_fields

    joined = joined_last_build(found)
    measured = joined.times.duration_ms.astype(np.float64)
    durations = measured.copy()
    changes: list[WhatIfChange] = []
    traces = _Traces(found, joined, options)
    for pattern, factor in options.speedups:
        durations, change = _speed_up(joined, durations, pattern, factor, traces)
        changes.append(change)
    for header in options.remove_headers:
        durations, change = _header_change(joined, durations, header, traces, None)
        changes.append(change)
    as_measured = _replay(joined, measured, joined.jobs)
    predicted = _replay(joined, durations, options.what_if_jobs or joined.jobs)
    return WhatIfDocument(
        **header_fields(found),
        build=joined.build,
        measured_wall_ms=joined.times.wall_ms,
        measured_cpu_ms=int(joined.steps["duration_ms"].sum()),
        measured_jobs=joined.jobs,
        as_measured=as_measured,
        predicted=predicted,
        changes=changes,
        wall_change_ms=predicted.predicted_wall_ms - as_measured.predicted_wall_ms,
        cpu_change_ms=predicted.cpu_ms - as_measured.cpu_ms,
        notes=joined.notes,
    )


def _speed_up(joined: JoinedBuild, durations, pattern: str, factor: float, traces: _Traces):
    """`--speedup PATTERN=FACTOR`: a target by name, else steps by output pattern, else a header's
    parse time (in every compile whose trace recorded it)."""
    import numpy as np

    from buildprof.analysis.simulate import match_edges, speed_up
    from buildprof.analysis.step_graph import edge_targets
    from buildprof.model.graph_documents import WhatIfChange

    by_target = edge_targets(joined.times, joined.steps) == pattern
    mask = by_target if by_target.any() else match_edges(joined.graph, pattern)
    mask &= joined.times.ran
    if mask.any():
        changed = speed_up(durations, mask, factor)
        saved = float(np.sum(durations - changed))
        matched = "target" if by_target.any() else "steps"
        return changed, WhatIfChange("speedup", pattern, factor, matched, int(mask.sum()), round(saved, 3))
    return _header_change(joined, durations, pattern, traces, factor)


def _header_change(joined: JoinedBuild, durations, header: str, traces: _Traces, factor: float | None):
    """A header's parse time taken out of (or made `factor` times faster in) every compile of the
    build whose trace recorded it; InputError when the build's traces name no such header."""
    import numpy as np

    from buildprof.analysis.simulate import remove_cost
    from buildprof.model.graph_documents import WhatIfChange

    cost = traces.cost_of(header)
    changed = remove_cost(durations, cost, factor)
    saved = float(np.sum(durations - changed))
    kind = "remove-header" if factor is None else "speedup"
    return changed, WhatIfChange(kind, header, factor, "header", len(cost), round(saved, 3))


class _Traces:
    """The build's traces, read once on first use, for headers' parse times per compile edge."""

    def __init__(self, found: FolderInputs, joined: JoinedBuild, options) -> None:
        self.found, self.joined, self.options = found, joined, options
        self.loaded = None

    def cost_of(self, header: str) -> dict[int, float]:
        """Per compile edge that ran, the header's inclusive parse time (ms) in its trace."""
        from buildprof.analysis.headers import find_file, tus_paying_for

        trace_set, edge_of_trace = self._load()
        codes = find_file(trace_set, header)
        exact = [c for c in codes if trace_set.files[c].rsplit("/", 1)[-1] == header.rsplit("/", 1)[-1]]
        codes = exact if len(exact) == 1 else codes
        if len(codes) != 1:
            what = "no included file" if not codes else f"{len(codes)} included files"
            raise InputError(f"{what} of the traces match {header!r}, and no target or step does")
        cost: dict[int, float] = {}
        for row in tus_paying_for(trace_set, codes[0]).itertuples():
            edge = int(edge_of_trace[int(row.trace)])
            if edge >= 0 and self.joined.times.ran[edge]:
                cost[edge] = cost.get(edge, 0.0) + row.incl_us / 1000
        return cost

    def _load(self):
        if self.loaded is None:
            from buildprof.analysis.compile_units import compile_unit_table
            from buildprof.analysis.header_impact import edges_of_outputs
            from buildprof.pipeline import require_traces, trace_set_of

            scan = require_traces(self.found, self.options)
            trace_set, _ = trace_set_of(scan)
            units = compile_unit_table(scan.summaries, str(self.found.build_dir), self.joined.steps)
            outputs = [o if isinstance(o, str) else "" for o in units["step_output"].tolist()]
            self.loaded = (trace_set, edges_of_outputs(self.joined.graph, outputs))
        return self.loaded


def parse_speedup(text: str) -> tuple[str, float]:
    """`PATTERN=FACTOR` of --speedup; ValueError saying what is wrong."""
    pattern, sep, factor = text.rpartition("=")
    try:
        value = float(factor)
    except ValueError:
        value = -1.0
    if not sep or not pattern or not value > 0:
        raise ValueError(f"{text!r}: give PATTERN=FACTOR with a factor above 0 (e.g. 'absl/strings/*=2')")
    return pattern, value
