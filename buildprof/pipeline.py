"""From a build folder to a report document: ingest the inputs, analyse them, assemble the sections.

This is the one place that wires ingest (I/O) to analysis (pure); the CLI and library users call it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from buildprof import __version__
from buildprof.errors import InputError
from buildprof.model import SCHEMA_VERSION


@dataclass
class ReportOptions:
    """What to put in a report and how to read the traces."""

    top: int = 10
    all_builds: bool = False
    use_cache: bool = True
    jobs: int | None = None
    progress: object = None  # callable(done, total) while traces are read


@dataclass
class LoadedTraces:
    """The traces of a build folder, summarised and indexed, plus what could not be used."""

    root: str
    scan: object  # ingest.trace_scan.TraceScan
    trace_set: object  # analysis.trace_set.TraceSet
    demangled: dict[str, str]


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
    """What a build folder holds, listed once: ninja files, JSON files, object files."""

    inputs: object  # ingest.discover.BuildInputs
    files: list  # ingest.trace_files.TraceFile, sorted by path
    objects: set[str]


def find_inputs(path: str | Path) -> FolderInputs:
    """The inputs under `path` (a build folder, a folder of traces, or a `.ninja_log` file)."""
    from buildprof.ingest.discover import discover_inputs
    from buildprof.ingest.trace_files import find_json_files

    inputs = discover_inputs(path)
    objects: set[str] = set()
    files = find_json_files(inputs.build_dir, objects) if inputs.scan_traces else []
    return FolderInputs(inputs, files, objects)


def load_traces(found: FolderInputs, options: ReportOptions) -> LoadedTraces | None:
    """Summaries of the folder's traces (None when there is no JSON file), through the cache."""
    from buildprof.analysis.trace_set import build_trace_set
    from buildprof.ingest.demangle import demangle_names
    from buildprof.ingest.trace_files import default_cache_dir, object_name
    from buildprof.ingest.trace_scan import scan_traces

    if not found.files:
        return None
    root = found.inputs.build_dir
    cache = default_cache_dir(root) if options.use_cache else None
    scan = scan_traces(
        found.files, cache, jobs=options.jobs, progress=options.progress, meanwhile=_import_trace_analysis
    )
    if not scan.summaries and not scan.damaged:
        return None
    names = [object_name(s.path, found.objects) for s in scan.summaries]
    trace_set = build_trace_set(scan.summaries, names)
    demangled = demangle_names(f.name for s in scan.summaries for f in s.functions)
    return LoadedTraces(str(root), scan, trace_set, demangled)


def _import_trace_analysis() -> None:
    """Import the trace analysis (pandas with it) while the workers read the traces: the parent
    mostly waits for them then, and would otherwise import it before they start."""
    import buildprof.analysis.compile_units
    import buildprof.analysis.trace_report  # noqa: F401


def cached_document(path: str | Path, command: str, options: ReportOptions, extra: dict, compute) -> dict:
    """`compute(found)`'s document, or the same document from the report cache if no input changed."""
    from buildprof.ingest.demangle import demangler_status
    from buildprof.ingest.report_cache import file_stamp, fingerprint, load_report, save_report
    from buildprof.ingest.trace_files import default_cache_dir

    found = find_inputs(path)
    if not options.use_cache:
        return _computed(compute, found)
    inputs = found.inputs
    key = fingerprint(
        {
            "buildprof": [__version__, SCHEMA_VERSION],
            "command": command,
            "options": {"top": options.top, "all_builds": options.all_builds, **extra},
            "where": [str(path), os.getcwd(), str(Path(inputs.build_dir).resolve())],
            "log": [str(inputs.ninja_log), file_stamp(inputs.ninja_log)],
            "manifests": _manifest_stamps(inputs.manifest_dir),
            "files": [(f.path, f.size, f.mtime_ns) for f in found.files],
            "objects": sorted(found.objects),
            "demangler": demangler_status(),
        }
    )
    cache_dir = default_cache_dir(inputs.build_dir)
    doc = load_report(cache_dir, key)
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
    """`compute(found)` with the garbage collector paused: see buildprof.collector."""
    from buildprof.collector import collector_paused

    with collector_paused():
        return compute(found)


def _manifest_stamps(folder) -> list:
    """(name, size, mtime) of the ninja manifests a report may read (build.ninja and CMake's rules)."""
    from buildprof.ingest.report_cache import file_stamp

    if folder is None:
        return []
    candidates = [*Path(folder).glob("*.ninja"), *Path(folder).glob("CMakeFiles/*.ninja")]
    return sorted((str(p), file_stamp(p)) for p in candidates)


def trace_facts(loaded: LoadedTraces) -> dict:
    """What was found under the folder: traces used, skipped JSON, damaged traces, cache use."""
    from buildprof.analysis.compile_units import source_root
    from buildprof.ingest.demangle import demangler_status

    scan = loaded.scan
    return {
        "root": loaded.root,
        "source_root": source_root([s.source for s in scan.summaries]),
        "traces": len(scan.summaries),
        "parsed": scan.parsed,
        "cached": scan.cached,
        "cache_dir": scan.cache_dir,
        "other_json": scan.skipped,
        "damaged": [{"path": s.path, "message": s.message} for s in scan.damaged],
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
    if inputs.ninja_log is not None:
        from buildprof.analysis.ninja_report import ninja_section  # pandas: not before a trace scan
        from buildprof.ingest.ninja_log import read_ninja_log
        from buildprof.ingest.ninja_manifest import read_ninja_manifest

        log = read_ninja_log(inputs.ninja_log)
        manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
        section, analysed = ninja_section(log, manifest, options.top, options.all_builds)
        if not section["builds"]:
            raise InputError(_no_build_message(section["ninja_log"]), log.path)
        doc.update(section)
    loaded = load_traces(found, options)
    if inputs.ninja_log is None and loaded is None:
        raise InputError(
            "nothing buildprof can read here: no .ninja_log and no clang -ftime-trace .json files",
            inputs.build_dir,
        )
    if loaded is not None:
        from buildprof.analysis.compile_units import compile_unit_table  # imported during the scan
        from buildprof.analysis.trace_report import trace_section

        doc["trace_input"] = trace_facts(loaded)
        if loaded.scan.summaries:
            steps = analysed[-1][1] if analysed else None
            units = compile_unit_table(loaded.trace_set, str(inputs.build_dir), steps)
            doc["traces"] = trace_section(loaded.trace_set, loaded.demangled, units, options.top)
    return doc


def require_loaded(found: FolderInputs, options: ReportOptions) -> tuple[object, LoadedTraces]:
    """Inputs and traces for the trace-only commands; a clear error when there is no trace."""
    from buildprof.ingest.trace_scan import require_traces

    inputs = found.inputs
    if not inputs.scan_traces:
        raise InputError("give a build folder (or a folder of traces), not a file", inputs.ninja_log)
    loaded = load_traces(found, options)
    if loaded is None:
        raise InputError("no clang -ftime-trace .json files here (build with -ftime-trace)", inputs.build_dir)
    require_traces(loaded.scan, inputs.build_dir)
    return inputs, loaded


def build_listing(path: str | Path, what: str, sort: str, match: str | None, options: ReportOptions) -> dict:
    """The document of `buildprof headers|templates|functions`."""
    extra = {"sort": sort, "match": match}
    return cached_document(
        path, what, options, extra, lambda found: _listing(found, what, sort, match, options)
    )


def _listing(found: FolderInputs, what: str, sort: str, match: str | None, options: ReportOptions) -> dict:
    from buildprof.analysis.trace_report import listing

    inputs, loaded = require_loaded(found, options)
    doc = document_header(what, inputs.build_dir)
    doc["trace_input"] = trace_facts(loaded)
    doc[what] = listing(loaded.trace_set, what, loaded.demangled, sort, match, options.top)
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
    units = compile_unit_table(loaded.trace_set, str(inputs.build_dir), _last_build_steps(inputs))
    doc = document_header("why", inputs.build_dir)
    doc["trace_input"] = trace_facts(loaded)
    doc["why"] = why(loaded.trace_set, units, header, options.top)
    return doc


def _last_build_steps(inputs):
    """The classified steps of the log's last build, or None: here the log only adds targets and
    step times, so a missing, unreadable or empty log must not hide the answer."""
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.ingest.ninja_log import read_ninja_log
    from buildprof.ingest.ninja_manifest import read_ninja_manifest

    if inputs.ninja_log is None:
        return None
    try:
        log = read_ninja_log(inputs.ninja_log)
    except InputError:
        return None
    builds = split_builds(log.entries, log.version).builds
    if not builds:
        return None
    manifest = read_ninja_manifest(inputs.manifest_dir) if inputs.manifest_dir else None
    return analyse_build(log, builds[-1], manifest)


def _no_build_message(facts: dict) -> str:
    if facts["unordered"]:
        return (
            f"no build can be told apart: {facts['unordered']['message']}; run a build to append a fresh one"
        )
    if facts["problems_total"]:
        return f"no valid line: all {facts['problems_total']} lines are damaged"
    return "the ninja log holds no step yet (no build has finished a step)"
