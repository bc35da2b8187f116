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
back to back, damaged events: see trace_batch) goes through its columns and the numpy batch
(`flatten`), and msgspec decodes only what the scanner cannot read at all (anything else, damaged
traces included). All paths give the same summaries (tests/test_native_tracescan.py).
`BUILDPROF_NO_NATIVE=1` uses msgspec only.

Events with impossible times are dropped and counted, the trace is still summarised (trace_batch).
A trace msgspec cannot decode is "damaged", and buildprof's own checks say why, whatever exception
the installed msgspec raises (`why_undecodable`): not valid UTF-8, JSON nested deeper than
MAX_JSON_DEPTH, truncated or corrupt JSON, or JSON that is not a time trace (msgspec's own detail
may follow our text).
"""

from __future__ import annotations

import re

import msgspec
import numpy as np

from buildprof.model.traces import TraceSummary
from buildprof.traces._events import (  # noqa: F401  (re-exported: the public names of this module)
    BACKEND,
    COMPILER,
    DECODER,
    FRONTEND,
    INST_CLASS,
    INST_FUNCTION,
    KNOWN_KINDS,
    MAX_EVENT_US,
    MAX_JSON_DEPTH,
    OPT_FUNCTION,
    OPT_MODULE,
    PARSE_CLASS,
    PARSE_TEMPLATE,
    SOURCE,
    Event,
    TraceDocument,
    nice_path,
)
from buildprof.traces._reference import (
    NAMES,
    FlatTrace,
    flatten_columns,
    flatten_trace,
    native_flatten,
    native_summarize,
    summarize_batch,
    summary_from_native,
)

_SNIFF_BYTES = 4096
NOT_UTF8 = "not valid UTF-8"
TOO_DEEP = "JSON nested too deeply"
CORRUPT = "truncated or corrupt JSON"
NOT_TRACE = "not a valid time trace"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string, escapes included
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def looks_like_trace(head: bytes) -> bool:
    """Whether the first bytes of a JSON file can be a time trace (clang writes traceEvents first)."""
    return head.lstrip()[:1] == b"{" and b'"traceEvents"' in head


def summarize_trace_bytes(data: bytes, path: str, size: int, mtime_ns: int) -> TraceSummary:
    """Decode a trace file's bytes and summarise it; other or broken JSON gives a status instead."""
    return summarize_many([(data, path, size, mtime_ns)])[0]


def summarize_many(files: list[tuple[bytes, str, int, int]]) -> list[TraceSummary]:
    """`summarize_trace_bytes` over (data, path, size, mtime_ns) items, as one batch.

    Each trace is flattened as soon as it is read (by the C scanner, else decoded by msgspec), so only
    one trace's decoded events exist at a time; the batch keeps their arrays. A damaged trace gets its
    status and message and never stops the others.
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
            slots.append(len(summaries))
            flats.append(flatten_trace(trace.traceEvents, trace.beginningOfTime, base))
            del trace  # its events are freed here, while still in the processor's cache
        summaries.append(summary)
    for slot, summary in zip(slots, summarize_batch(flats), strict=True):
        summaries[slot] = summary
    return summaries  # type: ignore[return-value]


def _decode(data: bytes, base: dict) -> tuple[TraceSummary | None, TraceDocument | None]:
    """The decoded trace, or the summary that says why there is none."""
    if not looks_like_trace(data[:_SNIFF_BYTES]):
        return TraceSummary(status="not_trace", **base), None
    try:
        trace = DECODER.decode(data)
    except MemoryError:
        raise
    except Exception as exc:  # whichever class this msgspec raises (they changed): our checks say why
        return TraceSummary(status="damaged", message=why_undecodable(data, exc), **base), None
    if not trace.traceEvents:
        return TraceSummary(status="damaged", message="no timed events in the trace", **base), None
    return None, trace


def why_undecodable(data: bytes, exc: Exception) -> str:
    """The message of a trace msgspec failed to decode (with `exc`), by buildprof's own checks.

    In order: the bytes are not UTF-8 (`not valid UTF-8 (byte N)`), objects and arrays nest deeper
    than MAX_JSON_DEPTH, the bytes are not JSON at all (`truncated or corrupt JSON: ...`), else the
    JSON is not a time trace (`not a valid time trace: ...`). Only the text before the colon is
    buildprof's: msgspec's own detail follows it, and changes between its versions.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"{NOT_UTF8} (byte {bad.start})"
    if json_depth(data) > MAX_JSON_DEPTH:
        return f"{TOO_DEEP} (over {MAX_JSON_DEPTH} levels)"
    try:
        msgspec.json.decode(data)  # any JSON: so the typed decoder failed on the document's shape
    except MemoryError:
        raise
    except Exception:
        return f"{CORRUPT}: {exc}"
    return f"{NOT_TRACE}: {exc}"


def json_depth(data: bytes) -> int:
    """How deep objects and arrays nest in JSON text (strings skipped; for damaged text, as far as
    its brackets go). Iterative, unlike a parser: any depth is measured, in bounded memory."""
    brackets = np.frombuffer(_STRING.sub(b"", data).translate(None, _NOT_BRACKETS), dtype=np.uint8)
    depth = deepest = 0
    for at in range(0, len(brackets), 1 << 20):
        chunk = brackets[at : at + (1 << 20)]
        levels = depth + np.cumsum(np.where((chunk == ord("[")) | (chunk == ord("{")), 1, -1))
        deepest = max(deepest, int(levels.max()))
        depth = int(levels[-1])
    return deepest
