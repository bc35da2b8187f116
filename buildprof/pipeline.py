"""From a build folder to a report document: read the inputs, analyse them, assemble the document.

This is the one place that wires the readers (buildprof.ninja, buildprof.traces: I/O) to the analysis
(pure); the CLI and library users call it. One builder per command, each returning its typed document
(buildprof.model.report); `build` runs one through the finished-report cache (report_cache).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from buildprof import __version__
from buildprof.errors import InputError
from buildprof.inputs import FolderInputs, find_inputs, refuse_to_overwrite_inputs
from buildprof.model.history import BuildCosts
from buildprof.model.report import (
    Document,
    FunctionsDocument,
    HeadersDocument,
    NinjaLogFacts,
    ReportDocument,
    SkippedInput,
    TemplatesDocument,
    WhyDocument,
)
from buildprof.model.trace_report import CbaSettings, DamagedEvents, DamagedTrace, TraceInput, TraceScope
from buildprof.model.traces import TraceScan
from buildprof.pipeline_schedule import critical_path_document, report_critical_path, what_if_document


class ReportOptions(msgspec.Struct):
    """What to put in a document and how to read the inputs (each command uses its own)."""

    top: int = 10
    all_builds: bool = False  # report: every build of the log, not only the last
    all_traces: bool = False  # report: every trace of the folder, not only the analysed build's TUs
    sort: str = "inclusive"  # headers, templates, functions
    match: str | None = None  # headers, templates, functions: a shell pattern
    header: str = ""  # why: the header asked about
    since: str | None = None  # headers, why: git window for how often headers change (a date)
    commits: int | None = None  # headers, why: git window as the last N commits
    repo: str | None = None  # headers, why: the checkout (default: the build's source tree)
    what_if_jobs: int | None = None  # what-if: -j to simulate (default: the build's own)
    speedups: tuple[tuple[str, float], ...] = ()  # what-if: (pattern, factor)
    remove_headers: tuple[str, ...] = ()  # what-if: headers whose parse time is taken out
    cba: CbaSettings = msgspec.field(default_factory=CbaSettings)  # ClangBuildAnalyzer's settings (report)
    use_cache: bool = True
    jobs: int | None = None
    progress: Callable[[int, int], None] | None = None  # called with (done, total) while traces are read
    output_path: str | None = None  # the file the report will be written to: never one of the inputs


Builder = Callable[[FolderInputs, ReportOptions], Document]


def build(command: str, path: str, options: ReportOptions | None = None) -> Document:
    """The `command` document for the build folder (or `.ninja_log`) at `path`, from the report
    cache when no input changed since it was computed."""
    from buildprof.gc_pause import gc_paused
    from buildprof.report_cache import cached

    builder, choices = BUILDERS[command]
    options = options or ReportOptions()
    found = find_inputs(path)
    refuse_to_overwrite_inputs(found, options.output_path)

    def compute() -> Document:
        with gc_paused():  # see buildprof.gc_pause
            return builder(found, options)

    if not options.use_cache or options.since or options.commits or options.sort == "impact":
        return compute()  # git's history is an input the cache does not watch
    return cached(found, command, {name: getattr(options, name) for name in choices}, compute)


def header_fields(found: FolderInputs) -> dict:
    """The fields every document starts with."""
    return {"generator": f"buildprof {__version__}", "build_dir": str(found.build_dir)}


# ---- report


def report_document(found: FolderInputs, options: ReportOptions) -> ReportDocument:
    """`report`: the build(s) of the ninja log and the compile time of the TUs they compiled."""
    inputs = found.inputs
    doc = ReportDocument(**header_fields(found))
    analysed, manifest = [], None
    if inputs.ninja_log is not None:
        from buildprof.ninja.log import read_ninja_log
        from buildprof.ninja.manifest import read_ninja_manifest

        log = read_ninja_log(inputs.ninja_log)  # numpy only: pandas comes with the analysis
        from buildprof.analysis.ninja_report import manifest_facts, ninja_section

        manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
        doc.ninja_log, doc.builds, analysed = ninja_section(log, manifest, options.top, options.all_builds)
        doc.manifest = manifest_facts(manifest)
        if not doc.builds:
            raise InputError(_no_build_message(doc), log.path)
        doc.critical_path = report_critical_path(found, log, analysed, options.top)[0]
    scan = load_traces(found, options)
    doc.skipped_inputs = found.skipped_inputs(manifest)
    if inputs.ninja_log is None and scan is None:
        raise InputError(_nothing_readable_message(found), inputs.build_dir)
    if scan is not None:
        doc.trace_input = trace_input(scan, found)
        if scan.summaries:
            _add_traces(doc, scan, found, analysed, options)
    return doc


def _add_traces(doc: ReportDocument, scan: TraceScan, found: FolderInputs, analysed, options) -> None:
    """`trace_scope`, and `traces` over the TUs in scope: those the analysed build(s) compiled.

    A folder's traces are the latest of every TU, written by whichever build last compiled it; the
    compile-time numbers of a build are those of the TUs it compiled. Without a ninja log, or with
    --all-traces, every trace is in scope.
    """
    from buildprof.analysis.compile_units import compile_units  # imported during the scan
    from buildprof.analysis.timeline import attach_compile_times
    from buildprof.analysis.trace_report import trace_section

    units = compile_units(scan.summaries, str(found.build_dir), [s.frame() for _, s in analysed])
    if analysed:  # the frontend/backend split of the timeline's steps (pandas is there for the log)
        attach_compile_times(doc.builds, units.frame(dtypes={"step_output": object}))
    by_build = bool(analysed) and not options.all_traces
    keep = [i for i, out in enumerate(units["step_output"]) if out is not None or not by_build]
    doc.trace_scope = TraceScope(
        covers="analysed_builds" if by_build else "all_traces",
        builds=[span.index for span, _ in analysed] if by_build else [],
        tus=len(keep),
        left_out=len(units) - len(keep),
    )
    if keep:
        trace_set, demangled = trace_set_of(scan, keep)
        chosen = units.take(keep)
        doc.traces = trace_section(trace_set, demangled, chosen, options.top, options.cba)


# ---- record: the costs of the analysed build, for the history


class CostsRead(msgspec.Struct):
    """A build's costs and the problems met reading them (for stderr and the record document)."""

    costs: BuildCosts
    ninja_log: NinjaLogFacts | None = None
    trace_input: TraceInput | None = None
    skipped_inputs: list[SkippedInput] = []


def build_costs_of(path: str, options: ReportOptions | None = None) -> BuildCosts:
    """The costs of the last build of the folder at `path`, as the history records them."""
    return read_costs(path, options).costs


def read_costs(path: str, options: ReportOptions | None = None) -> CostsRead:
    """The costs of the last build of the folder at `path` (its log's last build, and the traces of
    the TUs it compiled; every trace without a log), with what was damaged or skipped on the way."""
    from buildprof.analysis.compile_units import compile_unit_table
    from buildprof.analysis.costs import build_costs

    options = options or ReportOptions()
    found = find_inputs(path)
    steps, log_build, facts, manifest = None, None, None, None
    if found.inputs.ninja_log is not None:
        steps, log_build, facts, manifest = _required_last_build(found)
    scan = load_traces(found, options)
    trace_set = units = None
    if scan is not None and scan.summaries:
        units = compile_unit_table(scan.summaries, str(found.build_dir), steps)
        if steps is not None:
            units = units[units["step_output"].notna()]
        if len(units):
            trace_set, _ = trace_set_of(scan, units.index.tolist())
            units = units.reset_index(drop=True)
    if steps is None and trace_set is None:
        raise InputError(_nothing_readable_message(found), found.build_dir)
    return CostsRead(
        costs=build_costs(str(found.build_dir), log_build, steps, trace_set, units),
        ninja_log=facts,
        trace_input=trace_input(scan, found) if scan is not None else None,
        skipped_inputs=found.skipped_inputs(manifest),
    )


def _required_last_build(found: FolderInputs):
    """The classified steps of the log's last build, its index, the log's facts and the manifest;
    an InputError when the log holds no build."""
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build, log_facts
    from buildprof.ninja.log import read_ninja_log
    from buildprof.ninja.manifest import read_ninja_manifest

    inputs = found.inputs
    log = read_ninja_log(inputs.ninja_log)
    split = split_builds(log)
    if not split.builds:
        raise InputError("the ninja log holds no build to record", log.path)
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    last = split.builds[-1]
    return analyse_build(log, last, manifest), last.index, log_facts(log, split), manifest


# ---- headers, templates, functions, why: every current trace (the codebase)


def headers_document(found: FolderInputs, options: ReportOptions) -> HeadersDocument:
    from buildprof.analysis.listings import header_listing
    from buildprof.pipeline_graph import headers_graph_fields

    scan = require_traces(found, options)
    trace_set, _ = trace_set_of(scan)
    facts = trace_input(scan, found)
    sort = "inclusive" if options.sort == "impact" else options.sort  # impact ranks the graph's table
    listing = header_listing(trace_set, sort, options.match, options.top, facts.source_root)
    graph = headers_graph_fields(found, options, listing)
    return HeadersDocument(**_codebase(found, scan, facts), headers=listing, **graph)


def templates_document(found: FolderInputs, options: ReportOptions) -> TemplatesDocument:
    from buildprof.analysis.listings import template_listing

    scan = require_traces(found, options)
    trace_set, _ = trace_set_of(scan)
    listing = template_listing(trace_set, options.sort, options.match, options.top)
    return TemplatesDocument(**_codebase(found, scan), templates=listing)


def functions_document(found: FolderInputs, options: ReportOptions) -> FunctionsDocument:
    from buildprof.analysis.listings import function_listing

    scan = require_traces(found, options)
    trace_set, demangled = trace_set_of(scan)
    listing = function_listing(trace_set, demangled, options.sort, options.match, options.top)
    return FunctionsDocument(**_codebase(found, scan), functions=listing)


def why_document(found: FolderInputs, options: ReportOptions) -> WhyDocument:
    from buildprof.analysis.compile_units import compile_unit_table
    from buildprof.analysis.why import why

    scan = require_traces(found, options)
    trace_set, _ = trace_set_of(scan)
    steps, manifest, log = _last_build_steps(found)
    from buildprof.pipeline_graph import why_graph_fields

    units = compile_unit_table(scan.summaries, str(found.build_dir), steps)
    from buildprof.analysis.headers import find_file

    traced = [trace_set.files[c] for c in find_file(trace_set, options.header)]
    graph = why_graph_fields(found, options, traced, (log, steps) if log is not None else None)
    section = why(trace_set, units, options.header, options.top, graph.get("rebuild"))
    return WhyDocument(**_codebase(found, scan, manifest=manifest), why=section, **graph)


def _codebase(found: FolderInputs, scan: TraceScan, facts: TraceInput | None = None, manifest=None) -> dict:
    """The fields of a codebase view: every current trace is in scope."""
    scope = TraceScope(covers="all_traces", builds=[], tus=len(scan.summaries), left_out=0)
    return {
        **header_fields(found),
        "skipped_inputs": found.skipped_inputs(manifest),
        "trace_input": facts or trace_input(scan, found),
        "trace_scope": scope,
    }


# Each command's document builder, and the options its document depends on (the report cache's key).
BUILDERS: dict[str, tuple[Builder, tuple[str, ...]]] = {
    "report": (report_document, ("top", "all_builds", "all_traces", "cba")),
    "headers": (headers_document, ("top", "sort", "match", "since", "commits", "repo")),
    "templates": (templates_document, ("top", "sort", "match")),
    "functions": (functions_document, ("top", "sort", "match")),
    "why": (why_document, ("top", "header", "since", "commits", "repo")),
    "critical-path": (critical_path_document, ("top",)),
    "what-if": (what_if_document, ("what_if_jobs", "speedups", "remove_headers")),
}


# ---- traces


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


def require_traces(found: FolderInputs, options: ReportOptions) -> TraceScan:
    """The traces of a folder for the codebase views; a clear error when there is no usable one."""
    from buildprof.traces import require_traces as require

    if not found.inputs.scan_traces:
        raise InputError("give a build folder (or a folder of traces), not a file", found.inputs.ninja_log)
    scan = load_traces(found, options)
    if scan is None:
        raise InputError(_nothing_readable_message(found, traces_only=True), found.build_dir)
    require(scan, found.build_dir)
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
    from buildprof.traces import demangle_in_background

    keep = list(range(len(scan.summaries))) if keep is None else keep
    chosen = [scan.summaries[i] for i in keep]
    demangled = demangle_in_background(f.name for s in chosen for f in s.functions)  # beside the index
    trace_set = build_trace_set(chosen, [scan.names[i] for i in keep])
    return trace_set, demangled()


def trace_input(scan: TraceScan, found: FolderInputs) -> TraceInput:
    """What was found under the folder: traces used, skipped JSON, damaged traces, cache use."""
    from buildprof.analysis.compile_units import source_root
    from buildprof.traces import demangler_status

    return TraceInput(
        root=str(found.build_dir),
        source_root=source_root([s.source for s in scan.summaries]),
        traces=len(scan.summaries),
        parsed=scan.parsed,
        cached=scan.cached,
        cache_dir=scan.cache_dir,
        cache_problem=scan.cache_problem,
        other_json=scan.skipped,
        probes=[s.path for s in scan.probes],
        damaged=[DamagedTrace(path=s.path, message=s.message) for s in scan.damaged],
        damaged_events=[
            DamagedEvents(path=s.path, events=s.damaged_events, message=s.damaged_note)
            for s in scan.summaries
            if s.damaged_events
        ],
        demangler=demangler_status(),
    )


def _last_build_steps(found: FolderInputs):
    """The classified steps of the log's last build (or None), the manifest and the log: here the log
    only adds targets and step times, so a missing, unreadable or empty log must not hide the answer."""
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.ninja.log import read_ninja_log
    from buildprof.ninja.manifest import read_ninja_manifest

    inputs = found.inputs
    if inputs.ninja_log is None:
        return None, None, None
    try:
        log = read_ninja_log(inputs.ninja_log)
    except InputError:
        return None, None, None
    builds = split_builds(log).builds
    if not builds:
        return None, None, log
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    return analyse_build(log, builds[-1], manifest), manifest, log


def _nothing_readable_message(found: FolderInputs, traces_only: bool = False) -> str:
    """Why there is nothing to analyse, naming the inputs that were there but could not be read."""
    if traces_only:
        message = "no clang -ftime-trace .json files here (build with -ftime-trace)"
    else:
        message = "nothing buildprof can read here: no .ninja_log and no clang -ftime-trace .json files"
    if found.skipped:
        path, why = found.skipped[0]
        more = f" (and {len(found.skipped) - 1} more skipped)" if len(found.skipped) > 1 else ""
        message += f"; {path} {why}{more}"
    return message


def _no_build_message(doc: ReportDocument) -> str:
    facts = doc.ninja_log
    if facts is not None and facts.unordered:
        return f"no build can be told apart: {facts.unordered.message}; run a build to append a fresh one"
    if facts is not None and facts.problems_total:
        return f"no valid line: all {facts.problems_total} lines are damaged"
    return "the ninja log holds no step yet (no build has finished a step)"
