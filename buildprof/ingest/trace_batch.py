"""Summarise many decoded time traces at once: one set of numpy operations for a whole batch.

This is the reference summary. When the optional C module is built, its `summarize` computes the
same summary by itself for the traces it accepts (`native_summarize`, `summary_from_native`); the
traces it declines, and every trace without it, come here.

Each trace is first flattened on its own into small numpy arrays over its events. Two ways lead there
and give the same FlatTrace: the optional C scanner `buildprof._tracescan` reads the JSON bytes
straight into columns (`flatten_columns`, `native_flatten`), a Python object per distinct string
only; otherwise (no compiler at install time, `BUILDPROF_NO_NATIVE` set, or a trace the scanner does
not handle exactly) msgspec decodes the trace and `flatten_trace` pulls the fields out of the decoded
events right away, while they are still in the processor's cache.

The arrays of a batch of traces are then concatenated and every step (nesting, self times, headers,
templates) runs once over the batch: a trace has about a thousand events, so per-trace numpy work
would be dominated by the fixed cost of each call. The results are cut back into one TraceSummary
per trace. Each trace's times are shifted into a window of its own, so nesting by
time containment never links events of two traces, and every per-trace rule (first-seen order of
names, ClangBuildAnalyzer's checks) is applied per (trace, name) pair. The summaries are exactly those
of summarising each trace alone.
"""

from __future__ import annotations

import operator
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from buildprof.ingest.event_tree import parents_by_containment
from buildprof.ingest.trace_events import (
    OPT_MODULE,
    PARSE_CLASS,
    PARSE_TEMPLATE,
    SOURCE,
    TOTAL,
    NameTable,
    nice_path,
    phase_codes,
)
from buildprof.ingest.trace_known import (
    KnownEvents,
    TemplateCodes,
    event_details,
    nice_paths,
    summarize_known,
)
from buildprof.model import FunctionStat, TraceSummary
from buildprof.names import collapse_template_args, is_header

try:
    from buildprof import _tracescan
except ImportError:  # built without a C compiler: the msgspec path does everything
    _tracescan = None
else:
    _tracescan.configure(nice_path, collapse_template_args, is_header)

NO_TIMED = "no timed events in the trace"
NAMES = NameTable()  # per process, shared by every batch it summarises
NO_ARGS = -2  # the scanner's arg_name of an event without args (NO_ARGS in _tracescan.c)
NATIVE_ENV = "BUILDPROF_NO_NATIVE"  # set (to anything but "" or "0") to use the msgspec path only


def _native_module():
    """The C module, unless it was not built or NATIVE_ENV turns it off."""
    if _tracescan is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        return None
    return _tracescan


def native_flatten() -> Callable[[bytes], tuple | None] | None:
    """The C scanner's `flatten(data)` (columns, or None for a trace it leaves to msgspec), if usable."""
    module = _native_module()
    return module.flatten if module is not None else None


def native_summarize() -> Callable[[bytes], tuple | None] | None:
    """The C module's `summarize(data)` (see `summary_from_native`; None: declined), if usable."""
    module = _native_module()
    return module.summarize if module is not None else None


def summary_from_native(result: tuple, base: dict) -> TraceSummary:
    """The TraceSummary of a tuple from `native_summarize()(data)`: what summarize_batch gives."""
    (events, process, beginning, totals, breakdown, total_us, frontend_us, backend_us, rejected) = result[:9]
    source, frontends, backends, files, templates, functions, columns = result[9:]
    if not breakdown:  # every timed event has a row in the breakdown
        return TraceSummary(status="damaged", message=NO_TIMED, **base)
    return TraceSummary(
        status="trace",
        clang=process,
        beginning_of_time=int(beginning or 0),
        events=events,
        totals=totals,
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


@dataclass
class FlatTrace:
    """One trace reduced to arrays over its timed events (X, and b with a matching e), file order."""

    base: dict  # path, size, mtime_ns
    beginning: Any
    events: int
    process: str  # the process name from the metadata
    totals: list[tuple[str, int, int]]  # clang's "Total" events
    code: np.ndarray  # NAMES number of each timed event's name
    kinds: np.ndarray  # KNOWN_KINDS value, 0 = other
    starts: np.ndarray
    durs: np.ndarray
    details: np.ndarray  # object array: the detail of each timed event with a known kind
    templates: TemplateCodes  # its instantiated names


class _DecodedFields:
    """The per-event fields read on demand, for some rows only, from msgspec-decoded events."""

    def __init__(self, events: list) -> None:
        self.events = events

    def ids(self, rows: list[int]) -> list:
        return [self.events[i].id for i in rows]

    def counts(self, rows: list[int]) -> list[int]:
        return [int((a.count if (a := self.events[i].args) is not None else 0) or 0) for i in rows]

    def known_details(self, rows: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, TemplateCodes]:
        """The details of the known-kind events at `rows` (event_details), and their templates."""
        details = event_details(self.events, rows, kinds)
        return details, TemplateCodes.of(details, kinds)

    def process(self, rows: list[int]) -> str:
        """The process name of the last of these metadata events that has args."""
        process = ""
        for i in rows:
            if (args := self.events[i].args) is not None:
                process = str(args.name or "")
        return process


class _ColumnFields:
    """The same fields, from the C scanner's columns (see buildprof/_tracescan.c).

    Strings come as numbers into a list of the trace's distinct strings (absent or null ones as "",
    which is what the decoded path reads them as), so looking them up is one numpy indexing.
    """

    def __init__(self, ids: bytes, strings: list[str], detail: bytes, arg_name: bytes, count: bytes) -> None:
        self._ids = np.frombuffer(ids, dtype=np.int64)  # NO_ID stands for None: equal only to itself
        self._strings = strings
        self._detail = np.frombuffer(detail, dtype=np.int32)
        self._arg_name = np.frombuffer(arg_name, dtype=np.int32)  # or NO_ARGS
        self._count = np.frombuffer(count, dtype=np.int64)

    def ids(self, rows: list[int]) -> list:
        return self._ids[rows].tolist()

    def counts(self, rows: list[int]) -> list[int]:
        return self._count[rows].tolist()

    def known_details(self, rows: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, TemplateCodes]:
        """As _DecodedFields.known_details: the same details, looked up by string number."""
        strings = np.array([*self._strings, ""], dtype=object)  # the last "": details never used
        unused = (kinds == PARSE_CLASS) | (kinds == PARSE_TEMPLATE)
        details = strings[np.where(unused, len(self._strings), self._detail[rows])]
        is_path = (kinds == SOURCE) | (kinds == OPT_MODULE)
        details[is_path] = nice_paths(details[is_path].tolist())
        return details, TemplateCodes.of(details, kinds)

    def process(self, rows: list[int]) -> str:
        named = [at for at in self._arg_name[rows].tolist() if at != NO_ARGS]
        return self._strings[named[-1]] if named else ""


def flatten_trace(events: list, beginning: Any, base: dict) -> FlatTrace:
    """Pull what the summary needs out of a trace's msgspec-decoded events (see the module docstring)."""
    code = NAMES.encode([ev.name for ev in events])
    phase = phase_codes([ev.ph for ev in events])
    starts = np.array([ev.ts for ev in events], dtype=np.int64)
    durs = np.array([ev.dur for ev in events], dtype=np.int64)
    return _flatten(_DecodedFields(events), code, phase, starts, durs, beginning, base)


def flatten_columns(columns: tuple, base: dict) -> FlatTrace:
    """The same FlatTrace from the columns of `native_flatten()(data)`, without a per-event object."""
    names, name_index, phase, ts, dur, ids, strings, detail, arg_name, count, beginning = columns
    code = NAMES.encode(names)[np.frombuffer(name_index, dtype=np.int32)]
    fields = _ColumnFields(ids, strings, detail, arg_name, count)
    starts = np.frombuffer(ts, dtype=np.int64)
    durs = np.frombuffer(dur, dtype=np.int64).copy()  # written to below
    return _flatten(fields, code, np.frombuffer(phase, dtype=np.int8), starts, durs, beginning, base)


def _flatten(fields, code, phase, starts, durs, beginning: Any, base: dict) -> FlatTrace:
    """The FlatTrace of a trace's events given as name codes, phase codes, times and `fields`."""
    kinds = NAMES.kinds[code]
    complete = phase == 1
    rows = np.flatnonzero(complete & (kinds == TOTAL)).tolist()
    names = NAMES.names
    totals = list(
        zip(
            [names[c][6:] for c in code[rows].tolist()],
            fields.counts(rows),
            durs[rows].tolist(),
            strict=True,
        )
    )
    process = ""
    metadata = np.flatnonzero(phase == 4)
    if len(metadata) and (process_code := NAMES.codes.get("process_name")) is not None:
        process = fields.process(metadata[code[metadata] == process_code].tolist())
    begins = phase == 2
    durs[begins] = -1  # a "b" lasts until its "e"
    if begins.any():
        _close_pairs(fields.ids, code, phase, starts, durs)
    timed = np.flatnonzero((complete & (kinds != TOTAL)) | (begins & (durs >= 0)))
    kinds = kinds[timed]
    known = kinds > 0
    details, templates = fields.known_details(timed[known], kinds[known])
    return FlatTrace(
        base=base,
        beginning=beginning,
        events=len(code),
        process=process,
        totals=totals,
        code=code[timed],
        kinds=kinds,
        starts=starts[timed],
        durs=durs[timed],
        details=details,
        templates=templates,
    )


def _close_pairs(ids: Callable[[list[int]], list], code, phase, starts, durs) -> None:
    """Give each "b" event the duration up to its matching "e" (same name and id)."""
    begins = np.flatnonzero(phase == 2)
    nxt = begins + 1
    adjacent = nxt < len(phase)
    adjacent[adjacent] = phase[nxt[adjacent]] == 3
    b, e = begins[adjacent], nxt[adjacent]
    same = code[b] == code[e]
    b, e = b[same], e[same]
    same_id = np.array(list(map(operator.eq, ids(b.tolist()), ids(e.tolist()))), dtype=bool)
    b, e = b[same_id], e[same_id]
    # clang writes each pair back to back: the common, fast case
    durs[b] = np.maximum(starts[e] - starts[b], 0)
    if len(b) == len(begins):
        return
    paired = set(e.tolist())
    open_pairs: dict[tuple, list[int]] = defaultdict(list)
    rows = np.flatnonzero((phase == 2) | (phase == 3)).tolist()
    for i, ident in zip(rows, ids(rows), strict=True):
        if (durs[i] >= 0 and phase[i] == 2) or i in paired:
            continue
        key = (int(code[i]), ident)
        if phase[i] == 2:
            open_pairs[key].append(i)
        elif open_pairs[key]:
            begin = open_pairs[key].pop()
            durs[begin] = max(int(starts[i] - starts[begin]), 0)


def summarize_batch(flats: list[FlatTrace]) -> list[TraceSummary]:
    """The summary of each flattened trace, in order (see the module docstring)."""
    summaries = [
        TraceSummary(
            status="trace",
            clang=f.process,
            beginning_of_time=int(f.beginning or 0),
            events=f.events,
            totals=f.totals,
            **f.base,
        )
        if len(f.code)
        else TraceSummary(status="damaged", message=NO_TIMED, **f.base)
        for f in flats
    ]
    if not any(len(f.code) for f in flats):
        return summaries
    trace = np.repeat(np.arange(len(flats)), [len(f.code) for f in flats])
    code = np.concatenate([f.code for f in flats])
    kinds = np.concatenate([f.kinds for f in flats])
    dur = np.concatenate([f.durs for f in flats])
    start = np.concatenate([f.starts for f in flats])
    start += _disjoint_shifts(trace, start, dur, len(flats))[trace]
    for t, breakdown in _self_time_by_name(trace, code, start, dur).items():
        summaries[t].breakdown = breakdown
    known = np.flatnonzero(kinds > 0)
    if len(known):
        events = KnownEvents(
            trace=trace[known],
            kinds=kinds[known],
            start=start[known],
            dur=dur[known],
            templates=[f.templates for f in flats],
        )
        summarize_known(summaries, np.concatenate([f.details for f in flats]), events)
    return summaries


def _disjoint_shifts(trace: np.ndarray, start: np.ndarray, dur: np.ndarray, count: int) -> np.ndarray:
    """Per trace, an offset for its times so that traces occupy separate, increasing time windows.

    Nesting by containment then never crosses traces: every event of an earlier trace ends before
    any event of a later one starts. A single trace needs no shift.
    """
    shift = np.zeros(count, dtype=np.int64)
    if count == 1:
        return shift
    end = start + dur
    low, high = np.minimum(start, end), np.maximum(start, end)
    present = np.unique(trace)
    first = np.searchsorted(trace, present)
    lo = np.minimum.reduceat(low, first).tolist()
    hi = np.maximum.reduceat(high, first).tolist()
    span = [h - low_ + 1 for h, low_ in zip(hi, lo, strict=True)]
    if sum(span) >= 1 << 62:
        raise OverflowError("trace times too large to summarise as a batch")
    base = np.concatenate(([0], np.cumsum(span[:-1]))).astype(np.int64)
    shift[present] = base - np.array(lo, dtype=np.int64)
    return shift


def _self_time_by_name(trace, code, start, dur) -> dict[int, list[tuple[str, int]]]:
    """Per trace: self (exclusive) time per event name over its full nesting, largest first.

    Ties keep the order in which the names first appear among the trace's timed events.
    """
    parent, _ = parents_by_containment(start, dur)
    child_time = np.bincount(parent[parent >= 0], weights=dur[parent >= 0], minlength=len(dur))
    own = dur - child_time.astype(np.int64)
    n_names = len(NAMES.names)
    key = trace * n_names + code
    pairs, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=own, minlength=len(pairs)).astype(np.int64)
    pair_trace = pairs // n_names
    order = np.lexsort((first, -sums, pair_trace))
    result: dict[int, list[tuple[str, int]]] = {}
    name = NAMES.names.__getitem__
    for t, codes, values in split_by_trace(
        pair_trace[order], (pairs[order] % n_names).tolist(), sums[order].tolist()
    ):
        result[t] = list(zip(map(name, codes), values, strict=True))
    return result


def split_by_trace(trace: np.ndarray, *columns: list) -> list[tuple]:
    """Cut parallel columns, grouped by (sorted) trace, into (trace, column slices...) per trace."""
    if len(trace) == 0:
        return []
    starts = np.flatnonzero(np.diff(trace, prepend=-1))
    ends = [*starts[1:].tolist(), len(trace)]
    return [
        (t, *(column[a:b] for column in columns))
        for t, a, b in zip(trace[starts].tolist(), starts.tolist(), ends, strict=True)
    ]
