"""`trace`: the analysed build of a folder as a Chrome / Perfetto trace, optionally down to clang's events.

The build is the log's last one, as `report` analyses it (the same split, steps, kinds and targets);
its steps get lanes (analysis.lanes). With embedding, each compile step's trace is found and joined
to it as `report` does (traces.find_trace_files, the summaries' scan, analysis.compile_units), and
its events are read one trace at a time while the file is written (traces.read_clang_events).
"""

from __future__ import annotations

import os
import sys
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

    if "numpy" not in sys.modules:  # no linear algebra here: OpenBLAS's idle threads would only spin
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # (0.05 s of CPU on a million steps)
    options = options or TraceExportOptions()
    found = find_inputs(path, with_traces=options.embed)
    refuse_to_overwrite_inputs(found, options.output_path)
    if found.inputs.ninja_log is None:
        raise InputError("no .ninja_log here: the trace shows a ninja build's steps", found.build_dir)
    from buildprof.ninja.log_tail import start_last_build

    # The log's end is scanned (in C, in a thread) while numpy and the analysis are imported.
    last_build = start_last_build(
        str(found.inputs.ninja_log), line_numbers=found.inputs.manifest_dir is not None
    )
    with gc_paused():
        return _export(found, options, last_build)


def _export(found: FolderInputs, options: TraceExportOptions, last_build: Callable) -> TraceExport:
    import numpy as np

    from buildprof.analysis.lanes import assign_lanes
    from buildprof.ninja.manifest import read_ninja_manifest

    inputs = found.inputs
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    last = last_build()
    if last is not None:  # found from the end of the log: the builds before it are not counted
        log, span, builds_found = last.log, last.span, None
    else:
        from buildprof.analysis.builds import split_builds
        from buildprof.ninja.log import read_ninja_log

        log = read_ninja_log(inputs.ninja_log)
        split = split_builds(log)
        if not split.builds:
            raise InputError("the ninja log holds no build to export", log.path)
        span, builds_found = split.builds[-1], len(split.builds)
    steps = _classified_steps(log, span, manifest)
    steps["group"], groups = _groups(steps.pop("kind"), steps.pop("target"))  # then only numbers to sort
    order = np.lexsort((steps["end_ms"], steps["start_ms"]))
    steps = {name: column[order] for name, column in steps.items()}
    start, end, group = steps["start_ms"], steps["end_ms"], steps["group"]
    lane = assign_lanes(start, end, in_order=True)
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
        build_index=span.index if builds_found is not None else None,
        builds_found=builds_found,
        lanes=int(lane.max()) + 1 if len(lane) else 0,
        names=log.paths.data,
        name_lo=steps["lo"],
        name_hi=steps["hi"],
        n_outputs=steps["n_outputs"],
        start_ms=start,
        end_ms=end,
        weighted_ms=steps["weighted_ms"],
        group=group,
        groups=groups,
        lane=lane,
        warnings=warnings,
    )
    if options.embed:
        _join_traces(export, found, options)
    return export


def _classified_steps(log, span, manifest) -> dict:
    """The build's steps as `report` analyses them (analysis.build_steps: the same grouping,
    weighted times, kinds and targets; without a manifest no path is decoded but those the
    classifier asks for) as contiguous numpy columns, in the order of their first lines: start_ms,
    end_ms, n_outputs, weighted_ms, kind, target and lo/hi, the byte range of each step's first
    output in the log."""
    import numpy as np

    from buildprof.analysis.build_steps import build_steps

    steps = build_steps(log, span, manifest)
    rows = steps.rows_in_log()
    columns = {
        name: steps[name] for name in ("start_ms", "end_ms", "n_outputs", "weighted_ms", "kind", "target")
    }
    columns.update(lo=log.paths.lo[rows], hi=log.paths.hi[rows])
    types = {"weighted_ms": np.float64, "kind": object, "target": object}
    return {
        name: np.ascontiguousarray(column, dtype=types.get(name, np.int64))
        for name, column in columns.items()
    }


def _groups(kinds, targets) -> tuple:
    """Each step's (kind, target) pair as a code, and the (kind, target) of each code."""
    from buildprof.analysis.step_tables import pair_codes

    codes, firsts = pair_codes(kinds, targets)
    return codes, list(zip(kinds[firsts].tolist(), targets[firsts].tolist(), strict=True))


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
            "output": export.outputs(),
            "duration_ms": export.end_ms - export.start_ms,
            "weighted_ms": export.weighted_ms,
            "target": [export.groups[g][1] for g in export.group.tolist()],
        }
    )
    units = compile_unit_table(scan.summaries, str(found.build_dir), steps)
    joined = units["step_output"].notna().to_numpy()
    rows = {out: i for i, out in enumerate(steps["output"].tolist())}
    paths = [s.path for s in scan.summaries]
    export.traces = {
        rows[out]: paths[k]
        for k, out in zip(
            units.index[joined].tolist(), units.loc[joined, "step_output"].tolist(), strict=True
        )
    }
