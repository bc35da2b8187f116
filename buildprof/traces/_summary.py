"""A trace's summary from its bytes: the C module when it takes the trace, else the Python reference.

`summarize_many` is what the worker processes call for each group of traces. The C module
(buildprof.traces._native, compiled by `pip install` when a C compiler is there) summarises each trace
of the plain shape clang writes by itself, from the bytes; it declines anything else (b/e pairs not
back to back, damaged events, unusual JSON), and those traces, or all of them without the module or
with `BUILDPROF_NO_NATIVE=1`, go through the reference path (_decode, then _reference, in one numpy
batch). Both paths give the same summaries and take their rules from buildprof.trace_rules.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from buildprof.model.traces import FunctionStat, TraceSummary
from buildprof.trace_rules import KINDS, MAX_EVENT_US, collapse_template_args, is_header, nice_path
from buildprof.traces._decode import NO_TIMED, SNIFF_BYTES, beginning_of_time, decode_trace, looks_like_trace

try:
    from buildprof.traces import _native
except ImportError:  # built without a C compiler: the reference path does everything
    _native = None
else:
    _native.configure(nice_path, collapse_template_args, is_header, KINDS, MAX_EVENT_US)

Buffer = bytes | bytearray | memoryview
NATIVE_ENV = "BUILDPROF_NO_NATIVE"  # set (to anything but "" or "0") to use the reference path only


def native_summarize():
    """The C module's `summarize(data)` (a tuple, see `summary_from_native`; None: declined), unless
    the module was not built or NATIVE_ENV turns it off."""
    if _native is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        return None
    return _native.summarize


def summarize_trace_bytes(data: bytes, path: str, size: int, mtime_ns: int) -> TraceSummary:
    """Summarise one trace file's bytes; other or broken JSON gives a status instead."""
    return summarize_many([(data, path, size, mtime_ns)])[0]


def summarize_many(files: Iterable[tuple[Buffer, str, int, int]]) -> list[TraceSummary]:
    """The summary of each (data, path, size, mtime_ns), in order; the reference path as one batch.

    Each trace is flattened as soon as it is decoded, so only one trace's decoded events exist at a
    time; the batch keeps their arrays. `data` is bytes, or a view of a buffer the caller reuses for
    the next file (`files` may be a generator that reads each file into it): nothing here keeps it
    once the next item is asked for. A damaged trace gets its status and message and never stops the
    others.
    """
    summarize = native_summarize()
    summaries: list[TraceSummary | None] = []
    flats: list = []  # the reference path's FlatTrace of each trace the C module did not take
    slots: list[int] = []
    reference = None  # imported (with numpy) for the first such trace: a worker may never need it
    for data, path, size, mtime_ns in files:
        base = {"path": path, "size": size, "mtime_ns": mtime_ns}
        if summarize is not None and looks_like_trace(bytes(data[:SNIFF_BYTES])):
            result = summarize(data)
            if result is not None:
                summaries.append(summary_from_native(result, base))
                continue
        summary, trace = decode_trace(bytes(data), base)  # declined or not native: bytes of its own
        if trace is not None:
            if reference is None:
                from buildprof.traces import _reference as reference

                reference.NAMES.start_batch()
            slots.append(len(summaries))
            flats.append(reference.flatten_trace(trace.traceEvents, trace.beginningOfTime, base))
            del trace  # its events are freed here, while still in the processor's cache
        summaries.append(summary)
    if reference is not None:
        for slot, summary in zip(slots, reference.summarize_batch(flats), strict=True):
            summaries[slot] = summary
    return summaries  # type: ignore[return-value]


def summary_from_native(result: tuple, base: dict) -> TraceSummary:
    """The TraceSummary of a tuple from the C module's `summarize(data)`: what the reference gives."""
    (events, process, beginning, breakdown, total_us, frontend_us, backend_us, rejected) = result[:8]
    source, frontends, backends, files, templates, functions, columns = result[8:]
    if not breakdown:  # every timed event has a row in the breakdown
        return TraceSummary(status="damaged", message=NO_TIMED, **base)
    return TraceSummary(  # no damaged event: summarize() declines a trace with one
        status="trace",
        clang=process,
        beginning_of_time=beginning_of_time(beginning),
        events=events,
        breakdown=breakdown,
        total_us=total_us,
        frontend_us=frontend_us,
        backend_us=backend_us,
        cba_rejected=rejected,
        source=source,
        cba_frontends=frontends,
        cba_backends=backends,
        files=files,
        templates=templates,
        functions=[FunctionStat(*f) for f in functions],
        columns=columns,
        **base,
    )
