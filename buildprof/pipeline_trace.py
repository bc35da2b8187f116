"""`trace`: the analysed build of a folder as a Chrome / Perfetto trace, optionally down to clang's events.

The build is the log's last one, as `report` analyses it (the same split, steps, kinds and targets);
its steps get lanes (analysis.lanes). With embedding, each compile step's trace is found and joined
to it as `report` does (traces.find_trace_files, the summaries' scan, analysis.compile_units), and
its events are read one trace at a time while the file is written (traces.read_clang_events).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from buildprof import __version__
from buildprof.errors import InputError
from buildprof.inputs import FolderInputs, find_inputs, refuse_to_overwrite_inputs
from buildprof.model.trace_export import TraceExport


class TraceExportOptions(msgspec.Struct):
    """What to export: the clang traces too or not, their granularity, how to read them."""

    embed: bool = False  # each compile step's clang -ftime-trace events beneath it
    granularity_ms: float = 0.0  # leave out clang events shorter than this
    use_cache: bool = True
    jobs: int | None = None
    progress: Callable[[int, int], None] | None = None
    output_path: str | None = None  # never one of the inputs


def trace_export(path: str, options: TraceExportOptions | None = None) -> TraceExport:
    """The last build of the folder (or `.ninja_log`) at `path`, ready for render.chrome_trace."""
    from buildprof.gc_pause import gc_paused

    options = options or TraceExportOptions()
    found = find_inputs(path)
    refuse_to_overwrite_inputs(found, options.output_path)
    if found.inputs.ninja_log is None:
        raise InputError("no .ninja_log here: the trace shows a ninja build's steps", found.build_dir)
    with gc_paused():
        return _export(found, options)


def _export(found: FolderInputs, options: TraceExportOptions) -> TraceExport:
    import numpy as np

    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.lanes import assign_lanes
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.ninja.log import read_ninja_log
    from buildprof.ninja.manifest import read_ninja_manifest

    inputs = found.inputs
    log = read_ninja_log(inputs.ninja_log)
    split = split_builds(log)
    if not split.builds:
        raise InputError("the ninja log holds no build to export", log.path)
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    span = split.builds[-1]
    steps = analyse_build(log, span, manifest)
    steps = steps.iloc[np.lexsort((steps["end_ms"].to_numpy(), steps["start_ms"].to_numpy()))]
    start, end = steps["start_ms"].to_numpy(np.int64), steps["end_ms"].to_numpy(np.int64)
    lane = assign_lanes(start, end)
    group, kinds, targets = _groups(steps)
    warnings = []
    if log.problems_total:
        first = log.problems[0]
        warnings.append(
            f"{log.path}:{first.line}: {first.message} ({log.problems_total} damaged lines left out)"
        )
    export = TraceExport(
        generator=f"buildprof {__version__}",
        build_dir=str(found.build_dir),
        log_path=log.path,
        build_index=span.index,
        builds_found=len(split.builds),
        lanes=int(lane.max()) + 1 if len(lane) else 0,
        output=steps["output"].tolist(),
        n_outputs=steps["n_outputs"].to_numpy(np.int64),
        start_ms=start,
        end_ms=end,
        weighted_ms=steps["weighted_ms"].to_numpy(np.float64),
        group=group,
        groups=list(zip(kinds.tolist(), targets.tolist(), strict=True)),
        lane=lane,
        warnings=warnings,
    )
    if options.embed:
        _join_traces(export, found, options)
    return export


def _groups(steps):
    """Each step's (kind, target) pair as a code, and the kind and target of each code."""
    import numpy as np
    import pandas as pd

    kind_codes, kinds = pd.factorize(steps["kind"].to_numpy(object))
    target_codes, targets = pd.factorize(steps["target"].to_numpy(object))
    pairs, group = np.unique(kind_codes.astype(np.int64) * len(targets) + target_codes, return_inverse=True)
    kind_of, target_of = np.divmod(pairs, max(len(targets), 1))
    return (
        group.reshape(-1).astype(np.int64),
        np.asarray(kinds, dtype=object)[kind_of],
        np.asarray(targets, dtype=object)[target_of],
    )


def _join_traces(export: TraceExport, found: FolderInputs, options: TraceExportOptions) -> None:
    """The trace of each compile step that has one, joined as `report` joins them."""
    import pandas as pd

    from buildprof.analysis.compile_units import compile_unit_table
    from buildprof.pipeline import ReportOptions, load_traces
    from buildprof.traces import read_clang_events

    scan = load_traces(
        found, ReportOptions(use_cache=options.use_cache, jobs=options.jobs, progress=options.progress)
    )
    export.read_events = read_clang_events
    export.granularity_us = round(options.granularity_ms * 1000)
    export.warnings += [f"{s.path}: {s.message}" for s in (scan.damaged if scan is not None else [])]
    if scan is None or not scan.summaries:
        export.warnings.append(f"{found.build_dir}: no clang -ftime-trace .json files to embed")
        return
    steps = pd.DataFrame(
        {
            "output": export.output,
            "duration_ms": export.end_ms - export.start_ms,
            "weighted_ms": export.weighted_ms,
            "target": [export.groups[g][1] for g in export.group.tolist()],
        }
    )
    units = compile_unit_table(scan.summaries, str(found.build_dir), steps)
    joined = units["step_output"].notna().to_numpy()
    rows = {out: i for i, out in enumerate(export.output)}
    paths = [s.path for s in scan.summaries]
    export.traces = {
        rows[out]: paths[k]
        for k, out in zip(
            units.index[joined].tolist(), units.loc[joined, "step_output"].tolist(), strict=True
        )
    }
