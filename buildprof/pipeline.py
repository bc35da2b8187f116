"""From a build folder to a report document: ingest the inputs, analyse them, assemble the sections.

This is the one place that wires ingest (I/O) to analysis (pure); the CLI and library users call it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from buildprof import __version__
from buildprof.errors import InputError
from buildprof.model import SCHEMA_VERSION
from buildprof.model.traces import TraceFiles, TraceScan
from buildprof.ninja.inputs import BuildInputs


@dataclass
class ReportOptions:
    """What to put in a report and how to read the traces."""

    top: int = 10
    all_builds: bool = False
    all_traces: bool = False  # report: every trace of the folder, not only the analysed build's TUs
    use_cache: bool = True
    jobs: int | None = None
    progress: object = None  # callable(done, total) while traces are read
    output_path: str | None = None  # the file the report will be written to: never one of the inputs


def document_header(command: str, build_dir: str | Path) -> dict:
    """Fields every JSON document starts with (see docs/formats.md)."""
    return {
        "schema": "buildprof",
        "schema_version": SCHEMA_VERSION,
        "generator": f"buildprof {__version__}",
        "command": command,
        "build_dir": str(build_dir),
    }


@dataclass
class FolderInputs:
    """What a build folder holds, listed once: its ninja files and its trace (JSON) files."""

    inputs: BuildInputs
    traces: TraceFiles
    skipped: list[tuple[str, str]]  # inputs that were not read, and why

    @property
    def files(self) -> list:
        """The JSON files found (TraceFile), sorted by path."""
        return self.traces.files


def find_inputs(path: str | Path) -> FolderInputs:
    """The inputs under `path` (a build folder, a folder of traces, or a `.ninja_log` file)."""
    from buildprof.ninja.inputs import discover_inputs
    from buildprof.traces import find_trace_files

    inputs = discover_inputs(path)
    traces = find_trace_files(inputs.build_dir) if inputs.scan_traces else TraceFiles(str(inputs.build_dir))
    return FolderInputs(inputs, traces, [*inputs.skipped, *traces.skipped])


def skipped_inputs(found: FolderInputs, manifest=None) -> list[dict]:
    """The `skipped_inputs` of a document: every input file that was not read, and why."""
    skipped = [*found.skipped, *(manifest.skipped_files if manifest is not None else [])]
    return [{"path": path, "message": message} for path, message in skipped]


def load_traces(found: FolderInputs, options: ReportOptions) -> TraceScan | None:
    """Summaries of the folder's traces (None when there is no JSON file), through the cache."""
    from buildprof.traces import TraceOptions, read_traces

    if not found.files:
        return None
    trace_options = TraceOptions(options.use_cache, options.jobs, options.progress, _import_trace_analysis)
    scan = read_traces(found.traces, trace_options)
    if not scan.summaries and not scan.damaged and not scan.probes:
        return None
    return scan


def _import_trace_analysis() -> None:
    """Import the trace analysis (pandas with it) while the workers read the traces: the parent
    mostly waits for them then, and would otherwise import it before they start."""
    import buildprof.analysis.compile_units
    import buildprof.analysis.trace_report  # noqa: F401


def trace_set_of(scan: TraceScan, keep: list[int] | None = None):
    """The analysis index (TraceSet) of the scan's traces, or of those at `keep`, and their
    demangled function names."""
    from buildprof.analysis.trace_set import build_trace_set
    from buildprof.traces import demangle_names

    keep = list(range(len(scan.summaries))) if keep is None else keep
    chosen = [scan.summaries[i] for i in keep]
    trace_set = build_trace_set(chosen, [scan.names[i] for i in keep])
    demangled = demangle_names(f.name for s in chosen for f in s.functions)
    return trace_set, demangled


def cached_document(path: str | Path, command: str, options: ReportOptions, extra: dict, compute) -> dict:
    """`compute(found)`'s document, or the same document from the report cache if no input changed."""
    from buildprof.code_stamp import code_stamp
    from buildprof.report_cache import file_stamp, fingerprint, load_report, save_report
    from buildprof.traces import default_cache_dir, demangler_status

    found = find_inputs(path)
    refuse_to_overwrite_inputs(found, options.output_path)
    if not options.use_cache:
        return _computed(compute, found)
    inputs = found.inputs
    key = fingerprint(
        {
            "buildprof": [__version__, SCHEMA_VERSION, code_stamp()],
            "command": command,
            "options": {
                "top": options.top,
                "all_builds": options.all_builds,
                "all_traces": options.all_traces,
                **extra,
            },
            "where": [str(path), os.getcwd(), str(Path(inputs.build_dir).resolve())],
            "log": [str(inputs.ninja_log), file_stamp(inputs.ninja_log)],
            "manifests": [(str(p), file_stamp(p)) for p in _manifests(inputs.manifest_dir)],
            "files": [(f.path, f.size, f.mtime_ns) for f in found.files],
            "objects": sorted(found.traces.objects),
            "skipped": found.skipped,
            "demangler": demangler_status(),
        }
    )
    cache_dir = default_cache_dir(inputs.build_dir)
    doc = load_report(cache_dir, key, command)
    if doc is not None:
        facts = doc.get("trace_input")
        if facts is not None:  # nothing was read this time
            facts.update(parsed=0, cached=len(found.files))
        doc["report_cached"] = True
        return doc
    doc = _computed(compute, found)
    save_report(cache_dir, key, doc)
    return doc


def _computed(compute, found: FolderInputs) -> dict:
    """`compute(found)` with the garbage collector paused: see buildprof.gc_pause."""
    from buildprof.gc_pause import gc_paused

    with gc_paused():
        return compute(found)


def _manifests(folder) -> list[Path]:
    """The ninja manifests a report may read (build.ninja and the files CMake includes from it)."""
    if folder is None:
        return []
    return sorted([*Path(folder).glob("*.ninja"), *Path(folder).glob("CMakeFiles/*.ninja")])


def refuse_to_overwrite_inputs(found: FolderInputs, output_path: str | None) -> None:
    """InputError when the report would be written over one of the files it is computed from.

    Only an existing regular file can be one (a FIFO or device given to -o is written to, never
    replaced); it is compared by device and inode, so links and other spellings of a path are seen.
    """
    if not output_path:
        return
    try:
        out = os.stat(output_path)
    except OSError:
        return
    if not stat.S_ISREG(out.st_mode):
        return
    inputs = found.inputs
    candidates = [inputs.ninja_log, *_manifests(inputs.manifest_dir)]
    candidates += [f.path for f in found.files if f.size == out.st_size and f.mtime_ns == out.st_mtime_ns]
    for candidate in filter(None, candidates):
        try:
            same = os.path.samefile(candidate, output_path)
        except OSError:
            continue
        if same:
            message = f"refusing to write the report over {candidate}, an input of this analysis"
            raise InputError(f"{message} (choose another -o)", output_path)


def trace_facts(scan: TraceScan, root: Path) -> dict:
    """What was found under the folder: traces used, skipped JSON, damaged traces, cache use."""
    from buildprof.analysis.compile_units import source_root
    from buildprof.traces import demangler_status

    return {
        "root": str(root),
        "source_root": source_root([s.source for s in scan.summaries]),
        "traces": len(scan.summaries),
        "parsed": scan.parsed,
        "cached": scan.cached,
        "cache_dir": scan.cache_dir,
        "cache_problem": scan.cache_problem,
        "other_json": scan.skipped,
        "probes": [s.path for s in scan.probes],
        "damaged": [{"path": s.path, "message": s.message} for s in scan.damaged],
        "damaged_events": [
            {"path": s.path, "events": s.damaged_events, "message": s.damaged_note}
            for s in scan.summaries
            if s.damaged_events
        ],
        "demangler": demangler_status(),
    }


def build_report(path: str | Path, options: ReportOptions | None = None) -> dict:
    """The `report` document for a build folder (or a `.ninja_log` file)."""
    options = options or ReportOptions()
    return cached_document(path, "report", options, {}, lambda found: _report(found, options))


def _report(found: FolderInputs, options: ReportOptions) -> dict:
    inputs = found.inputs
    doc = document_header("report", inputs.build_dir)
    analysed = []
    manifest = None
    if inputs.ninja_log is not None:
        from buildprof.analysis.ninja_report import ninja_section  # pandas: not before a trace scan
        from buildprof.ninja.log import read_ninja_log
        from buildprof.ninja.manifest import read_ninja_manifest

        log = read_ninja_log(inputs.ninja_log)
        manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
        section, analysed = ninja_section(log, manifest, options.top, options.all_builds)
        if not section["builds"]:
            raise InputError(_no_build_message(section["ninja_log"]), log.path)
        doc.update(section)
    loaded = load_traces(found, options)
    doc["skipped_inputs"] = skipped_inputs(found, manifest)
    if inputs.ninja_log is None and loaded is None:
        raise InputError(_nothing_readable_message(found), inputs.build_dir)
    if loaded is not None:
        doc["trace_input"] = trace_facts(loaded, inputs.build_dir)
        if loaded.summaries:
            doc.update(_report_traces(loaded, str(inputs.build_dir), analysed, options))
    return doc


def _report_traces(loaded: TraceScan, build_dir: str, analysed: list, options: ReportOptions) -> dict:
    """`trace_scope`, and `traces` over the TUs in scope: those the analysed build(s) compiled.

    A folder's traces are the latest of every TU, written by whichever build last compiled it; the
    compile-time numbers of a build are those of the TUs it compiled. Without a ninja log, or with
    --all-traces, every trace is in scope.
    """
    import pandas as pd

    from buildprof.analysis.compile_units import compile_unit_table  # imported during the scan
    from buildprof.analysis.trace_report import trace_section

    steps = pd.concat([s for _, s in analysed], ignore_index=True) if analysed else None
    units = compile_unit_table(loaded.summaries, build_dir, steps)
    by_build = steps is not None and not options.all_traces
    keep = units.index[units["step_output"].notna()].tolist() if by_build else units.index.tolist()
    scope = {
        "covers": "analysed_builds" if by_build else "all_traces",
        "builds": [span.index for span, _ in analysed] if by_build else [],
        "tus": len(keep),
        "left_out": len(units) - len(keep),
    }
    if not keep:
        return {"trace_scope": scope}
    trace_set, demangled = trace_set_of(loaded, keep)
    chosen = units.iloc[keep].reset_index(drop=True)
    return {"trace_scope": scope, "traces": trace_section(trace_set, demangled, chosen, options.top)}


def require_loaded(found: FolderInputs, options: ReportOptions) -> tuple[object, TraceScan]:
    """Inputs and traces for the trace-only commands; a clear error when there is no trace."""
    from buildprof.traces import require_traces

    inputs = found.inputs
    if not inputs.scan_traces:
        raise InputError("give a build folder (or a folder of traces), not a file", inputs.ninja_log)
    loaded = load_traces(found, options)
    if loaded is None:
        raise InputError(_nothing_readable_message(found, traces_only=True), inputs.build_dir)
    require_traces(loaded, inputs.build_dir)
    return inputs, loaded


def _codebase_scope(loaded: TraceScan) -> dict:
    """The scope of headers/templates/functions/why: every current trace (the codebase view)."""
    return {"covers": "all_traces", "builds": [], "tus": len(loaded.summaries), "left_out": 0}


def build_listing(path: str | Path, what: str, sort: str, match: str | None, options: ReportOptions) -> dict:
    """The document of `buildprof headers|templates|functions`."""
    extra = {"sort": sort, "match": match}
    return cached_document(
        path, what, options, extra, lambda found: _listing(found, what, sort, match, options)
    )


def _listing(found: FolderInputs, what: str, sort: str, match: str | None, options: ReportOptions) -> dict:
    from buildprof.analysis.trace_report import listing

    inputs, loaded = require_loaded(found, options)
    trace_set, demangled = trace_set_of(loaded)
    doc = document_header(what, inputs.build_dir)
    doc["skipped_inputs"] = skipped_inputs(found)
    doc["trace_input"] = trace_facts(loaded, inputs.build_dir)
    doc["trace_scope"] = _codebase_scope(loaded)
    source_root = doc["trace_input"]["source_root"]
    doc[what] = listing(trace_set, what, demangled, sort, match, options.top, source_root)
    return doc


def build_why(path: str | Path, header: str, options: ReportOptions) -> dict:
    """The document of `buildprof why HEADER`."""
    return cached_document(
        path, "why", options, {"header": header}, lambda found: _why(found, header, options)
    )


def _why(found: FolderInputs, header: str, options: ReportOptions) -> dict:
    from buildprof.analysis.compile_units import compile_unit_table
    from buildprof.analysis.trace_report import why

    inputs, loaded = require_loaded(found, options)
    trace_set, _ = trace_set_of(loaded)
    steps, manifest = _last_build_steps(inputs)
    units = compile_unit_table(loaded.summaries, str(inputs.build_dir), steps)
    doc = document_header("why", inputs.build_dir)
    doc["skipped_inputs"] = skipped_inputs(found, manifest)
    doc["trace_input"] = trace_facts(loaded, inputs.build_dir)
    doc["trace_scope"] = _codebase_scope(loaded)
    doc["why"] = why(trace_set, units, header, options.top)
    return doc


def _last_build_steps(inputs):
    """The classified steps of the log's last build (or None) and the manifest: here the log only
    adds targets and step times, so a missing, unreadable or empty log must not hide the answer."""
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.ninja.log import read_ninja_log
    from buildprof.ninja.manifest import read_ninja_manifest

    if inputs.ninja_log is None:
        return None, None
    try:
        log = read_ninja_log(inputs.ninja_log)
    except InputError:
        return None, None
    builds = split_builds(log.entries, log.version).builds
    if not builds:
        return None, None
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    return analyse_build(log, builds[-1], manifest), manifest


def _nothing_readable_message(found: FolderInputs, traces_only: bool = False) -> str:
    """Why there is nothing to analyse, naming the inputs that were there but could not be read."""
    wanted = (
        "no clang -ftime-trace .json files"
        if traces_only
        else "no .ninja_log and no clang -ftime-trace .json files"
    )
    message = f"nothing buildprof can read here: {wanted}"
    if traces_only:
        message = f"{wanted} here (build with -ftime-trace)"
    if found.skipped:
        path, why = found.skipped[0]
        more = f" (and {len(found.skipped) - 1} more skipped)" if len(found.skipped) > 1 else ""
        message += f"; {path} {why}{more}"
    return message


def _no_build_message(facts: dict) -> str:
    if facts["unordered"]:
        return (
            f"no build can be told apart: {facts['unordered']['message']}; run a build to append a fresh one"
        )
    if facts["problems_total"]:
        return f"no valid line: all {facts['problems_total']} lines are damaged"
    return "the ninja log holds no step yet (no build has finished a step)"
