"""What the trace reader gives the analysis: one TraceSummary per trace file, and the scan of a folder.

Durations are integer microseconds as clang writes them. The summaries are cached per trace file, so
they use msgspec for fast (de)serialisation. "CBA" fields follow ClangBuildAnalyzer's rules exactly
(see docs/formats.md), the others are buildprof's own (self times, full include chains).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    import numpy as np


class FunctionStat(msgspec.Struct, array_like=True):
    """Optimisation/codegen time of one function (OptFunction events), name as clang wrote it."""

    name: str
    file: str  # the module (source) it was compiled in; "" = the trace's own name
    count: int
    us: int


# dtype of every numeric column a TraceSummary stores as raw bytes (little-endian numpy buffers).
SUMMARY_COLUMNS = {
    # per included file (index = position in TraceSummary.files)
    "file_incl_us": "<i8",  # inclusive parse time over all its Source events
    "file_self_us": "<i8",  # minus the inclusive time of files it includes itself
    "file_count": "<i4",  # Source events (times entered; guarded re-includes never appear)
    "file_direct": "u1",  # 1 if the main file includes it directly at least once
    "file_cba_root": "u1",  # ClangBuildAnalyzer's "root": no header Source as direct parent, once
    # per Source event, in nesting order (an includer comes before what it includes)
    "src_file": "<i4",  # index into files
    "src_includer": "<i4",  # the enclosing Source event (index into these rows), -1: the main file
    "src_cba_parent": "<i4",  # ClangBuildAnalyzer's chain parent: direct parent if a header Source
    "src_us": "<i8",
    # per instantiated name (index = position in TraceSummary.templates)
    "tpl_kind": "u1",  # 0: InstantiateClass, 1: InstantiateFunction
    "tpl_count": "<i4",
    "tpl_incl_us": "<i8",  # nested instantiations included (ClangBuildAnalyzer's number)
    "tpl_self_us": "<i8",  # minus nested instantiations
    "tpl_set_count": "<i4",  # those not nested in an instantiation of the same template set
    "tpl_set_us": "<i8",  # their inclusive time: the set's cost without double counting recursion
}


class TraceSummary(msgspec.Struct):
    """Everything buildprof keeps from one trace file; cached by (path, size, mtime).

    Numeric per-file, per-Source-event and per-template columns are numpy buffers (SUMMARY_COLUMNS);
    `column(summary, name)` reads one.
    """

    path: str
    size: int
    mtime_ns: int
    status: str  # "trace", "not_trace" (other JSON, skipped quietly) or "damaged" (reported)
    message: str = ""
    clang: str = ""  # process name from the trace metadata, e.g. "clang-19"
    beginning_of_time: int = 0  # us since the epoch (clang 11+), 0 if absent (or beyond 64 bits)
    source: str = ""  # the main file (OptModule detail), if the trace says
    events: int = 0
    # Events left out of the analysis (status stays "trace"): a start or duration that is negative or
    # beyond a week (trace_rules.MAX_EVENT_US), a b/e pair that ends before it begins, a "Total"
    # event with such a duration or a count that is not one. The note describes the first in the file,
    # by its position in traceEvents (from 0): 'event 17 "Source": duration -5000 us is negative'.
    damaged_events: int = 0
    damaged_note: str = ""
    total_us: int = 0  # ExecuteCompiler
    frontend_us: int = 0  # all Frontend events
    backend_us: int = 0  # all Backend events
    cba_rejected: bool = False  # ClangBuildAnalyzer skips the file: its last event is not a root
    cba_frontends: list[tuple[int, str]] = []  # (merged duration, FindPath name; "" = trace name)
    cba_backends: list[tuple[int, str]] = []
    files: list[str] = []  # included files (Source details, normalised)
    templates: list[str] = []  # instantiated names
    functions: list[FunctionStat] = []
    breakdown: list[tuple[str, int]] = []  # self time by event name; adds up to the root events
    columns: dict[str, bytes] = {}


def column(summary: TraceSummary, name: str) -> np.ndarray:
    """One numeric column of a summary as a read-only numpy array (empty if absent)."""
    raw = summary.columns.get(name, b"")
    import numpy as np  # here, not at the top: a report served from the cache never needs numpy

    return np.frombuffer(raw, dtype=SUMMARY_COLUMNS[name])


class TraceFile(msgspec.Struct, frozen=True):
    """A candidate trace: its path as found (joined to the folder given) and its stat."""

    path: str
    size: int
    mtime_ns: int


class TraceFiles(msgspec.Struct):
    """What a folder holds for the trace reader: the JSON files, the object files beside them (a
    trace's object names its translation unit), and what was there but could not be read."""

    root: str
    files: list[TraceFile] = []  # regular *.json files, sorted by path
    objects: set[str] = set()  # paths of the .o/.obj files
    skipped: list[tuple[str, str]] = []  # (path, why): FIFOs, dangling links


class TraceScan(msgspec.Struct):
    """Summaries of every trace found, plus what could not be used."""

    summaries: list[TraceSummary] = []  # status "trace", sorted by path
    names: list[str] = []  # each summary's TU named as ClangBuildAnalyzer does
    damaged: list[TraceSummary] = []  # reported once each
    probes: list[TraceSummary] = []  # build-system checks, not the project's TUs
    skipped: int = 0  # JSON files that are not traces (compile_commands.json, CMake's files)
    parsed: int = 0  # JSON files read this time
    cached: int = 0  # summaries taken from the cache
    cache_dir: str | None = None
    cache_problem: str | None = None  # why the cache folder could not be used (then it was not)


class ClangEvent(msgspec.Struct, array_like=True, gc=False):
    """One timed event of a clang trace as written, for a build trace (traces.read_clang_events)."""

    name: str
    pair: bool  # a clang 19+ "b"/"e" async pair (Source), else a complete ("X") event
    ts: int  # us since the clang process's time origin
    dur: int  # us; a pair's: from its "b" to its "e"
    cat: str  # "" when the event has none
    args: bytes  # the event's args as JSON text, byte for byte; b"" when it has none


class ClangEvents(msgspec.Struct):
    """The timed events of one trace that last at least the granularity, in file order."""

    path: str
    events: list[ClangEvent] = []
    start_us: int = 0  # earliest start of a timed event (before the granularity is applied)
    end_us: int = 0  # latest end of one: the trace's span is end_us - start_us
    timed: int = 0  # timed events in the trace (X but "Total ..." ones, and b/e pairs)
    left_out: int = 0  # of them, shorter than the granularity
    damaged: int = 0  # events left out for times out of range
    message: str = ""  # why the trace could not be read ("" when it was)
