"""Read clang `-ftime-trace` JSON files and reduce each to a TraceSummary.

Handles what clang 9 to 19+ write: complete `X` events, `b`/`e` Source pairs (clang 19), instant and
metadata events, `Total ...` events, `beginningOfTime`, pid 1/tid 0 traces and Windows paths. Only the
fields used are decoded (msgspec with typed structs, see trace_events). Events are nested by time
containment twice: over the event kinds ClangBuildAnalyzer knows (its numbers are reproduced exactly)
and over all events (for the self-time breakdown of the whole compilation, which adds up to the
compiler's wall time).

Several traces are best summarised together (`summarize_many`): the numpy work then runs once per
batch instead of once per trace (trace_batch); the result is the same as one trace at a time.

When the optional C module `buildprof._tracescan` is built, it summarises each trace of the plain
shape clang writes by itself, from the bytes (`summarize`); a trace it declines there (b/e pairs not
back to back, times out of range) goes through its columns and the numpy batch (`flatten`), and msgspec
decodes only what the scanner cannot read at all (anything else, damaged traces included). All paths
give the same summaries (tests/test_native_tracescan.py). `BUILDPROF_NO_NATIVE=1` uses msgspec only.
"""

from __future__ import annotations

import msgspec

from buildprof.ingest.trace_batch import (
    NAMES,
    FlatTrace,
    flatten_columns,
    flatten_trace,
    native_flatten,
    native_summarize,
    summarize_batch,
    summary_from_native,
)
from buildprof.ingest.trace_events import (  # noqa: F401  (re-exported: the public names of this module)
    BACKEND,
    COMPILER,
    DECODER,
    FRONTEND,
    INST_CLASS,
    INST_FUNCTION,
    KNOWN_KINDS,
    OPT_FUNCTION,
    OPT_MODULE,
    PARSE_CLASS,
    PARSE_TEMPLATE,
    SOURCE,
    Event,
    TraceDocument,
    nice_path,
)
from buildprof.model import TraceSummary

_SNIFF_BYTES = 4096
OUT_OF_RANGE = "not a valid time trace: a time or duration does not fit in 64 bits"


def looks_like_trace(head: bytes) -> bool:
    """Whether the first bytes of a JSON file can be a time trace (clang writes traceEvents first)."""
    return head.lstrip()[:1] == b"{" and b'"traceEvents"' in head


def summarize_trace_bytes(data: bytes, path: str, size: int, mtime_ns: int) -> TraceSummary:
    """Decode a trace file's bytes and summarise it; other or broken JSON gives a status instead."""
    return summarize_many([(data, path, size, mtime_ns)])[0]


def summarize_many(files: list[tuple[bytes, str, int, int]]) -> list[TraceSummary]:
    """`summarize_trace_bytes` over (data, path, size, mtime_ns) items, as one batch.

    Each trace is flattened as soon as it is read (by the C scanner, else decoded by msgspec), so only
    one trace's decoded events exist at a time; the batch keeps their arrays.
    """
    NAMES.start_batch()
    native = native_flatten()
    summarize = native_summarize()
    summaries: list[TraceSummary | None] = []
    flats: list[FlatTrace] = []
    slots: list[int] = []
    for data, path, size, mtime_ns in files:
        base = {"path": path, "size": size, "mtime_ns": mtime_ns}
        if native is not None and summarize is not None and looks_like_trace(data[:_SNIFF_BYTES]):
            result = summarize(data)
            if result is not None:
                summaries.append(summary_from_native(result, base))
                continue
            columns = native(data)
            if columns is not None:
                slots.append(len(summaries))
                flats.append(flatten_columns(columns, base))
                summaries.append(None)
                continue
        summary, trace = _decode(data, base)
        if trace is not None:
            try:
                flats.append(flatten_trace(trace.traceEvents, trace.beginningOfTime, base))
                slots.append(len(summaries))
            except OverflowError:  # numbers msgspec reads as Python ints or floats beyond int64
                summary = TraceSummary(status="damaged", message=OUT_OF_RANGE, **base)
            del trace  # its events are freed here, while still in the processor's cache
        summaries.append(summary)
    for slot, summary in zip(slots, _summarize_flat(flats), strict=True):
        summaries[slot] = summary
    return summaries  # type: ignore[return-value]


def _decode(data: bytes, base: dict) -> tuple[TraceSummary | None, TraceDocument | None]:
    """The decoded trace, or the summary that says why there is none."""
    if not looks_like_trace(data[:_SNIFF_BYTES]):
        return TraceSummary(status="not_trace", **base), None
    try:
        trace = DECODER.decode(data)
    except msgspec.ValidationError as exc:
        return TraceSummary(status="damaged", message=f"not a valid time trace: {exc}", **base), None
    except msgspec.DecodeError as exc:
        return TraceSummary(status="damaged", message=f"truncated or corrupt JSON: {exc}", **base), None
    except UnicodeDecodeError as exc:  # msgspec decodes the strings it keeps with Python's codec
        return TraceSummary(status="damaged", message=f"not valid UTF-8: {exc}", **base), None
    if not trace.traceEvents:
        return TraceSummary(status="damaged", message="no timed events in the trace", **base), None
    return None, trace


def _summarize_flat(flats: list[FlatTrace]) -> list[TraceSummary]:
    """The batch, or one trace at a time if the batch's times do not fit side by side."""
    try:
        return summarize_batch(flats)
    except OverflowError:
        if len(flats) == 1:
            raise
        return [summarize_batch([flat])[0] for flat in flats]
