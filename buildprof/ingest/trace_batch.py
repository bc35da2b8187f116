"""Summarise many decoded time traces at once: one set of numpy operations for a whole batch.

Each trace is first flattened on its own, right after it is decoded (`flatten_trace`): its events'
fields go into small numpy arrays, and the decoded objects are released while they are still in the
processor's cache. The arrays of a batch of traces are then concatenated and every step (nesting,
self times, headers, templates) runs once over the batch: a trace has about a thousand events, so
per-trace numpy work would be dominated by the fixed cost of each call. The results are cut back into
one TraceSummary per trace. Each trace's times are shifted into a window of its own, so nesting by
time containment never links events of two traces, and every per-trace rule (first-seen order of
names, ClangBuildAnalyzer's checks) is applied per (trace, name) pair. The summaries are exactly those
of summarising each trace alone.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from buildprof.ingest.event_tree import parents_by_containment
from buildprof.ingest.trace_events import TOTAL, NameTable, phase_codes
from buildprof.ingest.trace_known import KnownEvents, TemplateCodes, event_details, summarize_known
from buildprof.model import TraceSummary

NO_TIMED = "no timed events in the trace"
NAMES = NameTable()  # per process, shared by every batch it summarises


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


def flatten_trace(events: list, beginning: Any, base: dict) -> FlatTrace:
    """Pull what the summary needs out of a trace's decoded events (see the module docstring)."""
    n = len(events)
    all_names = [ev.name for ev in events]
    code = NAMES.encode(all_names)
    kinds = NAMES.kinds[code]
    phase = phase_codes([ev.ph for ev in events])
    starts = np.array([ev.ts for ev in events], dtype=np.int64)
    durs = np.array([ev.dur for ev in events], dtype=np.int64)
    complete = phase == 1
    rows = np.flatnonzero(complete & (kinds == TOTAL)).tolist()
    totals = list(
        zip(
            [all_names[i][6:] for i in rows],
            [int((a.count if (a := events[i].args) is not None else 0) or 0) for i in rows],
            durs[rows].tolist(),
            strict=True,
        )
    )
    process = ""
    for i in np.flatnonzero(phase == 4).tolist():
        if all_names[i] == "process_name" and events[i].args is not None:
            process = str(events[i].args.name or "")
    begins = phase == 2
    durs[begins] = -1  # a "b" lasts until its "e"
    if begins.any():
        _close_pairs(events, code, phase, starts, durs)
    timed = np.flatnonzero((complete & (kinds != TOTAL)) | (begins & (durs >= 0)))
    kinds = kinds[timed]
    known = kinds > 0
    details = event_details(events, timed[known], kinds[known])
    return FlatTrace(
        base=base,
        beginning=beginning,
        events=n,
        process=process,
        totals=totals,
        code=code[timed],
        kinds=kinds,
        starts=starts[timed],
        durs=durs[timed],
        details=details,
        templates=TemplateCodes.of(details, kinds[known]),
    )


def _close_pairs(events, code, phase, starts, durs) -> None:
    """Give each "b" event the duration up to its matching "e" (same name and id)."""
    begins = np.flatnonzero(phase == 2)
    nxt = begins + 1
    adjacent = nxt < len(phase)
    adjacent[adjacent] = phase[nxt[adjacent]] == 3
    b, e = begins[adjacent], nxt[adjacent]
    same = code[b] == code[e]
    b, e = b[same], e[same]
    same_id = [events[i].id == events[j].id for i, j in zip(b.tolist(), e.tolist(), strict=True)]
    b, e = b[same_id], e[same_id]
    # clang writes each pair back to back: the common, fast case
    durs[b] = np.maximum(starts[e] - starts[b], 0)
    if len(b) == len(begins):
        return
    paired = set(e.tolist())
    open_pairs: dict[tuple, list[int]] = defaultdict(list)
    for i in np.flatnonzero((phase == 2) | (phase == 3)).tolist():
        if (durs[i] >= 0 and phase[i] == 2) or i in paired:
            continue
        key = (int(code[i]), events[i].id)
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
