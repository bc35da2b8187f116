"""Clang -ftime-trace files in, trace summaries out: the front door of buildprof.traces.

    found = find_trace_files(build_dir)         # the JSON and object files under a folder
    scan = read_traces(found, TraceOptions())   # TraceScan: summaries, damaged traces, probes, cache use
    events = read_clang_events(path, 500)       # one trace's timed events as written (build traces)

Nothing outside this package imports its private modules (`_*`): discovery (_discover), where the
caches live (_cache_dir), reading in worker processes through the per-trace cache (_scan, _cache,
_pool, _wire), the summary of one trace (_summary: the C module _native as the fast path, _reference
as the readable Python path and fallback, both following buildprof.trace_rules), demangling
(_demangle), and one trace's events as written, for a build trace (_events_raw).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec

from buildprof.model.traces import ClangEvents, TraceFile, TraceFiles, TraceScan
from buildprof.traces._cache_dir import CACHE_ENV, default_cache_dir, make_cache_dir
from buildprof.traces._demangle import demangle_in_background, demangle_names, demangler_status
from buildprof.traces._discover import find_json_files, object_name

__all__ = [
    "CACHE_ENV",
    "ClangEvents",
    "TraceFile",
    "TraceFiles",
    "TraceOptions",
    "TraceScan",
    "default_cache_dir",
    "demangle_in_background",
    "demangle_names",
    "demangler_status",
    "find_trace_files",
    "make_cache_dir",
    "read_clang_events",
    "read_traces",
    "require_traces",
]


class TraceOptions(msgspec.Struct, frozen=True):
    """How to read traces: through the cache or not, how many worker processes, what to call meanwhile."""

    use_cache: bool = True
    jobs: int | None = None  # worker processes (default: one per core, at most _scan.MAX_JOBS)
    progress: Callable[[int, int], None] | None = None  # called with (done, total) while reading
    meanwhile: Callable[[], None] | None = None  # run in a thread while the workers read (imports)


def find_trace_files(root: str | Path) -> TraceFiles:
    """The regular JSON files under `root`, the object files beside them, and what was skipped."""
    found = TraceFiles(str(root))
    found.files = find_json_files(root, found.objects, found.skipped)
    return found


def read_traces(found: TraceFiles, options: TraceOptions | None = None) -> TraceScan:
    """Summarise every trace of `found` (from the cache where it is valid), in worker processes."""
    from buildprof.traces._scan import scan_traces  # numpy and the summary code: only when reading

    options = options or TraceOptions()
    cache = default_cache_dir(found.root) if options.use_cache else None
    scan = scan_traces(
        found.files,
        cache,
        jobs=options.jobs,
        progress=options.progress,
        meanwhile=options.meanwhile,
        objects=found.objects,
    )
    scan.names = [object_name(s.path, found.objects) for s in scan.summaries]
    return scan


def require_traces(scan: TraceScan, root: str | Path) -> None:
    """InputError when a folder given for trace analysis holds no usable trace."""
    from buildprof.traces._scan import require_traces as require

    require(scan, root)


def read_clang_events(path: str, granularity_us: int = 0) -> ClangEvents:
    """The timed events (X, and clang 19+ b/e pairs) of the trace at `path` lasting at least
    `granularity_us`, as written; `message` says why when the trace cannot be read (never raises)."""
    from buildprof.traces._events_raw import read_clang_events as read

    return read(path, granularity_us)
