"""The Python reference summary: many decoded time traces summarised at once, with numpy.

It is the readable definition of a trace's summary, and the path for every trace the C fast path
(_native) declines or cannot take (no C compiler at install time, `BUILDPROF_NO_NATIVE` set); the two
give identical summaries (tests/test_native_summary.py: real traces, random nestings, fuzz), and
both follow buildprof.trace_rules.

Each trace is first flattened on its own into small numpy arrays over its timed events (`FlatTrace`):
msgspec decodes the trace (_decode) and `flatten_trace` pulls the fields out right away, leaving out
damaged events (_damage). The arrays of a batch of traces are then concatenated and every step
(nesting, self times, headers, templates: _known) runs once over the batch: a trace has about a
thousand events, so per-trace numpy work would be dominated by the fixed cost of each call. The results
are cut back into one TraceSummary per trace. Each trace's times are shifted into a window of its own,
so nesting by time containment never links events of two traces, and every per-trace rule (first-seen
order of names, ClangBuildAnalyzer's checks) is applied per (trace, name) pair. The summaries are
exactly those of summarising each trace alone.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from buildprof.model.traces import TraceSummary
from buildprof.traces._damage import (
    INT64_MAX,
    INT64_MIN,
    count_of,
    describe_damage,
    int64_times,
    out_of_range,
    plain_counts,
)
from buildprof.traces._decode import NO_TIMED, beginning_of_time
from buildprof.traces._events import TOTAL, NameTable, phase_codes
from buildprof.traces._known import KnownEvents, TemplateCodes, event_details, summarize_known
from buildprof.traces._nesting import parents_by_containment

NAMES = NameTable()  # per process, shared by every batch it summarises


@dataclass
class FlatTrace:
    """One trace reduced to arrays over its timed events (X, and b with a matching e), file order.

    Damaged events (see the module docstring) are left out, and only counted.
    """

    base: dict  # path, size, mtime_ns
    beginning: Any
    events: int
    process: str  # the process name from the metadata
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


def flatten_trace(events: list, beginning: Any, base: dict) -> FlatTrace:
    """Pull what the summary needs out of a trace's msgspec-decoded events right away, while they
    are still in the processor's cache (see the module docstring)."""
    code = NAMES.encode([ev.name for ev in events])
    phase = phase_codes([ev.ph for ev in events])
    starts = int64_times([ev.ts for ev in events])
    durs = int64_times([ev.dur for ev in events])
    return _flatten(_DecodedFields(events), code, phase, starts, durs, beginning, base)


def _flatten(fields: _DecodedFields, code, phase, starts, durs, beginning: Any, base: dict) -> FlatTrace:
    """The FlatTrace of a trace's events given as name codes, phase codes, times and `fields`, with
    damaged events left out and counted (_damage).

    `durs` is written to: a paired "b" event's duration is the time up to its "e".
    """
    kinds = NAMES.kinds[code]
    complete = phase == 1
    paired = _close_pairs(fields.ids, code, phase, starts, durs)
    bad = out_of_range(starts, durs) & (complete | paired)
    rows = np.flatnonzero(complete & (kinds == TOTAL) & ~bad).tolist()
    names = NAMES.names
    counts = fields.counts(rows)  # a "Total" event's count must be a plain one (else it is damaged)
    bad_counts = []  # (row, problem)
    if not plain_counts(counts):  # look at each (decoded as any JSON value)
        checked = list(map(count_of, counts))
        bad_counts = [(row, problem) for row, (_, problem) in zip(rows, checked, strict=True) if problem]
    damaged, note = 0, ""
    if bad_counts or bad.any():
        damaged, note = describe_damage(names, code, starts, durs, paired, bad, bad_counts)
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
        damaged=damaged,
        note=note,
        code=code[timed],
        kinds=kinds,
        starts=starts[timed],
        durs=durs[timed],
        details=details,
        templates=templates,
    )


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
