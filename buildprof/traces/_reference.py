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

Flattening also applies the rule for damaged events (`_flatten`): an "X" event (a "Total ..." one
included) or a paired "b" event whose start or duration is negative or beyond MAX_EVENT_US (a week),
a b/e pair that ends before it begins, and a "Total ..." event whose count is not a count, are left
out of the analysis; the summary counts them (`damaged_events`) and describes the first one
(`damaged_note`). The rest of the trace is summarised as usual. The C `summarize` declines a trace
with such an event, so the rule lives here only.

The arrays of a batch of traces are then concatenated and every step (nesting, self times, headers,
templates) runs once over the batch: a trace has about a thousand events, so per-trace numpy work
would be dominated by the fixed cost of each call. The results are cut back into one TraceSummary
per trace. Each trace's times are shifted into a window of its own, so nesting by
time containment never links events of two traces, and every per-trace rule (first-seen order of
names, ClangBuildAnalyzer's checks) is applied per (trace, name) pair. The summaries are exactly those
of summarising each trace alone.
"""

from __future__ import annotations

import json
import operator
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from buildprof.model.traces import FunctionStat, TraceSummary
from buildprof.trace_rules import collapse_template_args, is_header
from buildprof.traces._events import (
    MAX_EVENT_US,
    OPT_MODULE,
    PARSE_CLASS,
    PARSE_TEMPLATE,
    SOURCE,
    TOTAL,
    NameTable,
    nice_path,
    phase_codes,
)
from buildprof.traces._known import (
    KnownEvents,
    TemplateCodes,
    event_details,
    nice_paths,
    summarize_known,
)
from buildprof.traces._nesting import parents_by_containment

try:
    from buildprof.traces import _native as _tracescan
except ImportError:  # built without a C compiler: the msgspec path does everything
    _tracescan = None
else:
    _tracescan.configure(nice_path, collapse_template_args, is_header)

NO_TIMED = "no timed events in the trace"
NAMES = NameTable()  # per process, shared by every batch it summarises
NO_ARGS = -2  # the scanner's arg_name of an event without args (NO_ARGS in _tracescan.c)
NATIVE_ENV = "BUILDPROF_NO_NATIVE"  # set (to anything but "" or "0") to use the msgspec path only
INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
LIMIT_TEXT = f"{MAX_EVENT_US // 86_400_000_000} days"  # MAX_EVENT_US in messages


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
    return TraceSummary(  # no damaged event: summarize() declines a trace with one
        status="trace",
        clang=process,
        beginning_of_time=beginning_of_time(beginning),
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


def beginning_of_time(value: Any) -> int:
    """TraceSummary.beginning_of_time of a trace's `beginningOfTime` (0 if absent or beyond 64 bits)."""
    value = int(value or 0)
    return value if INT64_MIN <= value <= INT64_MAX else 0


@dataclass
class FlatTrace:
    """One trace reduced to arrays over its timed events (X, and b with a matching e), file order.

    Damaged events (see the module docstring) are left out, and only counted.
    """

    base: dict  # path, size, mtime_ns
    beginning: Any
    events: int
    process: str  # the process name from the metadata
    totals: list[tuple[str, int, int]]  # clang's "Total" events
    damaged: int  # events left out
    note: str  # what is wrong with the first of them
    code: np.ndarray  # NAMES number of each timed event's name
    kinds: np.ndarray  # KNOWN_KINDS value, 0 = other
    starts: np.ndarray
    durs: np.ndarray
    details: np.ndarray  # object array: the detail of each timed event with a known kind
    templates: TemplateCodes  # its instantiated names


class _DecodedFields:
    """The per-event fields read on demand, for some rows only, from msgspec-decoded events.

    Fields decoded as any JSON value (id, args.name, args.count) may be arrays or objects of any
    depth: they are never compared, hashed or printed as such, which could recurse as deep.
    """

    def __init__(self, events: list) -> None:
        self.events = events

    def ids(self, rows: list[int]) -> list:
        """Each event's id; an array or object becomes a value equal to nothing (it never pairs)."""
        ids = [self.events[i].id for i in rows]
        return [object() if isinstance(ident, (list, dict)) else ident for ident in ids]

    def counts(self, rows: list[int]) -> list:
        """The `args.count` values as decoded (None when absent): see `_count`."""
        return [a.count if (a := self.events[i].args) is not None else None for i in rows]

    def known_details(self, rows: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, TemplateCodes]:
        """The details of the known-kind events at `rows` (event_details), and their templates."""
        details = event_details(self.events, rows, kinds)
        return details, TemplateCodes.of(details, kinds)

    def process(self, rows: list[int]) -> str:
        """The process name of the last of these metadata events that has args."""
        process = ""
        for i in rows:
            if (args := self.events[i].args) is not None:
                process = args.name if isinstance(args.name, str) else ""  # as a null name
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

    def counts(self, rows: list[int]) -> list:
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
    starts = _int64([ev.ts for ev in events])
    durs = _int64([ev.dur for ev in events])
    return _flatten(_DecodedFields(events), code, phase, starts, durs, beginning, base)


def _int64(values: list) -> np.ndarray:
    """Decoded times as int64: floats truncated, a number beyond 64 bits at the nearest bound (far
    beyond MAX_EVENT_US, its event is damaged either way; `_time_problem` says it did not fit)."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array([min(max(int(v), INT64_MIN), INT64_MAX) for v in values], dtype=np.int64)


def flatten_columns(columns: tuple, base: dict) -> FlatTrace:
    """The same FlatTrace from the columns of `native_flatten()(data)`, without a per-event object."""
    names, name_index, phase, ts, dur, ids, strings, detail, arg_name, count, beginning = columns
    code = NAMES.encode(names)[np.frombuffer(name_index, dtype=np.int32)]
    fields = _ColumnFields(ids, strings, detail, arg_name, count)
    starts = np.frombuffer(ts, dtype=np.int64)
    durs = np.frombuffer(dur, dtype=np.int64).copy()  # written to below
    return _flatten(fields, code, np.frombuffer(phase, dtype=np.int8), starts, durs, beginning, base)


def _flatten(fields, code, phase, starts, durs, beginning: Any, base: dict) -> FlatTrace:
    """The FlatTrace of a trace's events given as name codes, phase codes, times and `fields`.

    `durs` is written to: a paired "b" event's duration is the time up to its "e".
    """
    kinds = NAMES.kinds[code]
    complete = phase == 1
    paired = _close_pairs(fields.ids, code, phase, starts, durs)
    # Negative numbers, seen as unsigned, are beyond the limit too: one comparison each.
    bad = (starts.view(np.uint64) > MAX_EVENT_US) | (durs.view(np.uint64) > MAX_EVENT_US)
    bad &= complete | paired
    rows = np.flatnonzero(complete & (kinds == TOTAL) & ~bad).tolist()
    names = NAMES.names
    counts = fields.counts(rows)
    bad_counts = []  # (row, problem)
    if not _plain_counts(counts):  # look at each (decoded as any JSON value)
        checked = list(map(_count, counts))
        bad_counts = [(row, problem) for row, (_, problem) in zip(rows, checked, strict=True) if problem]
        rows = [row for row, (_, problem) in zip(rows, checked, strict=True) if not problem]
        counts = [count for count, problem in checked if not problem]
    totals = list(zip([names[c][6:] for c in code[rows].tolist()], counts, durs[rows].tolist(), strict=True))
    damaged, note = 0, ""
    if bad_counts or bad.any():
        damaged, note = _damaged(code, starts, durs, paired, bad, bad_counts)
    process = ""
    metadata = np.flatnonzero(phase == 4)
    if len(metadata) and (process_code := NAMES.codes.get("process_name")) is not None:
        process = fields.process(metadata[code[metadata] == process_code].tolist())
    timed = np.flatnonzero(((complete & (kinds != TOTAL)) | paired) & ~bad)
    kinds = kinds[timed]
    known = kinds > 0
    details, templates = fields.known_details(timed[known], kinds[known])
    return FlatTrace(
        base=base,
        beginning=beginning,
        events=len(code),
        process=process,
        totals=totals,
        damaged=damaged,
        note=note,
        code=code[timed],
        kinds=kinds,
        starts=starts[timed],
        durs=durs[timed],
        details=details,
        templates=templates,
    )


def _plain_counts(counts: list) -> bool:
    """Whether all these counts are ints from 0 to INT64_MAX (always, from clang or the C columns)."""
    if not set(map(type, counts)) <= {int}:
        return False
    return not counts or (min(counts) >= 0 and max(counts) <= INT64_MAX)


def _count(value: Any) -> tuple[int, str]:
    """A "Total" event's count (absent or null: 0) and "", or 0 and what is wrong with it."""
    if value is None:
        return 0, ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0, f"count {_shown(value)} is not a number"
    if value < 0:
        return 0, f"count {_shown(value)} is negative"
    if value > INT64_MAX:
        return 0, f"count {_shown(value)} does not fit in 64 bits"
    return int(value), ""  # a float is truncated, as clang never writes one


def _damaged(code, starts, durs, paired, bad, bad_counts: list[tuple[int, str]]) -> tuple[int, str]:
    """How many events are damaged, and a line on the first one in the file.

    `bad` marks the events with times out of range, `bad_counts` the "Total" events with a bad count.
    """
    first_bad = np.flatnonzero(bad)[:1].tolist()
    problems = [(i, _time_problem(int(starts[i]), int(durs[i]), bool(paired[i]))) for i in first_bad]
    row, problem = min([*problems, *bad_counts[:1]])
    name = _shown(NAMES.names[code[row]])
    return int(bad.sum()) + len(bad_counts), f"event {row} {name}: {problem}"


def _time_problem(start: int, dur: int, paired: bool) -> str:
    """What is wrong with the times of a damaged event (the start first, then the duration)."""
    for what, value in (("start", start), ("duration", dur)):
        if value in (INT64_MIN, INT64_MAX):
            return f"{what} does not fit in 64 bits"
        if value < 0 and what == "duration" and paired:
            return f"ends {-value} us before it begins"
        if value < 0:
            return f"{what} {value} us is negative"
        if value > MAX_EVENT_US:
            return f"{what} {value} us is beyond {LIMIT_TEXT}"
    return "times out of range"  # not reached: the caller found one of the above


def _shown(value: Any, limit: int = 60) -> str:
    """A short JSON rendering of a name or a decoded value, for a one-line note."""
    if isinstance(value, (list, dict)):
        return "[...]" if isinstance(value, list) else "{...}"
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit - 3] + "..."
    return json.dumps(value, ensure_ascii=False)


def _close_pairs(ids: Callable[[list[int]], list], code, phase, starts, durs) -> np.ndarray:
    """Which "b" events have a matching "e" (same name and id); each gets the time up to it as its
    duration (negative if the "e" is earlier: a damaged event)."""
    paired = np.zeros(len(phase), dtype=bool)
    begins = np.flatnonzero(phase == 2)
    if not len(begins):
        return paired
    nxt = begins + 1
    adjacent = nxt < len(phase)
    adjacent[adjacent] = phase[nxt[adjacent]] == 3
    b, e = begins[adjacent], nxt[adjacent]
    same = code[b] == code[e]
    b, e = b[same], e[same]
    same_id = np.array(list(map(operator.eq, ids(b.tolist()), ids(e.tolist()))), dtype=bool)
    b, e = b[same_id], e[same_id]
    # clang writes each pair back to back: the common, fast case
    durs[b] = starts[e] - starts[b]  # wraps only if a start is out of range: damaged either way
    paired[b] = True
    if len(b) == len(begins):
        return paired
    taken = set(e.tolist())
    open_pairs: dict[tuple, list[int]] = defaultdict(list)
    rows = np.flatnonzero((phase == 2) | (phase == 3)).tolist()
    for i, ident in zip(rows, ids(rows), strict=True):
        if paired[i] or i in taken:
            continue
        key = (int(code[i]), ident)
        if phase[i] == 2:
            open_pairs[key].append(i)
        elif open_pairs[key]:
            begin = open_pairs[key].pop()
            end = min(max(int(starts[i]) - int(starts[begin]), INT64_MIN), INT64_MAX)
            durs[begin], paired[begin] = end, True
    return paired


def summarize_batch(flats: list[FlatTrace]) -> list[TraceSummary]:
    """The summary of each flattened trace, in order (see the module docstring)."""
    summaries = [
        TraceSummary(
            status="trace",
            clang=f.process,
            beginning_of_time=beginning_of_time(f.beginning),
            events=f.events,
            damaged_events=f.damaged,
            damaged_note=f.note,
            totals=f.totals,
            **f.base,
        )
        if len(f.code)
        else TraceSummary(
            status="damaged", message=NO_TIMED, damaged_events=f.damaged, damaged_note=f.note, **f.base
        )
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
    any event of a later one starts. A single trace needs no shift. Starts and durations are within
    0 .. MAX_EVENT_US (2**40 at most), so a window is below 2**41 and millions of them fit in int64.
    """
    shift = np.zeros(count, dtype=np.int64)
    if count == 1:
        return shift
    present = np.unique(trace)
    first = np.searchsorted(trace, present)
    lo = np.minimum.reduceat(start, first).tolist()
    hi = np.maximum.reduceat(start + dur, first).tolist()
    span = [h - low_ + 1 for h, low_ in zip(hi, lo, strict=True)]
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
