"""Summarise many decoded time traces at once: one set of numpy operations for a whole batch.

A trace has about a thousand events, so per-trace numpy work is dominated by the fixed cost of each
call, not by the data. Here the events of a batch of traces are concatenated and every step (nesting,
self times, headers, templates) runs once over the batch; the results are then cut back into one
TraceSummary per trace. Each trace's times are shifted into a window of its own, so nesting by time
containment never links events of two traces, and every per-trace rule (first-seen order of names,
ClangBuildAnalyzer's checks) is applied per (trace, name) pair. The summaries are exactly those of
summarising each trace alone.

Strings that recur across the batch (paths, template and event names) are one object each, so a
summary list pickles compactly and its names hash once in the receiving process.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from buildprof.ingest.event_tree import parents_by_containment
from buildprof.ingest.trace_events import TOTAL, NameTable, phase_codes
from buildprof.ingest.trace_known import KnownEvents, summarize_known
from buildprof.model import TraceSummary

NO_TIMED = "no timed events in the trace"
_NAMES = NameTable()  # per process, shared by every batch it summarises


@dataclass
class Decoded:
    """One decoded trace waiting for its summary: its events and the summary's fixed fields."""

    events: list  # time_trace._Event
    beginning: Any
    base: dict  # path, size, mtime_ns


def summarize_batch(traces: list[Decoded]) -> list[TraceSummary]:
    """The summary of each trace, in order (see the module docstring)."""
    if not traces:
        return []
    flat = _flatten(traces)
    summaries = []
    for t, trace in enumerate(traces):
        if not flat.has_timed[t]:
            summaries.append(TraceSummary(status="damaged", message=NO_TIMED, **trace.base))
            continue
        summaries.append(
            TraceSummary(
                status="trace",
                clang=flat.process[t],
                beginning_of_time=int(trace.beginning or 0),
                events=len(trace.events),
                totals=flat.totals[t],
                **trace.base,
            )
        )
    ok = np.flatnonzero(flat.has_timed)
    if len(ok) == 0:
        return summaries
    shift = _disjoint_shifts(flat)
    for t, breakdown in _self_time_by_name(flat, shift).items():
        summaries[t].breakdown = breakdown
    known = flat.timed[flat.kinds[flat.timed] > 0]
    if len(known):
        events = KnownEvents(
            trace=flat.trace[known],
            kinds=flat.kinds[known],
            start=flat.starts[known] + shift[flat.trace[known]],
            dur=flat.durs[known],
            rows=known,
        )
        summarize_known(summaries, flat.events, events)
    return summaries


@dataclass
class _Flat:
    """The events of a batch as parallel arrays (index = position in the concatenated event list)."""

    events: list
    names: list[str]  # event names by number (NameTable.names)
    code: np.ndarray  # per event: its name's number
    trace: np.ndarray  # per event: index of its trace in the batch
    kinds: np.ndarray  # KNOWN_KINDS value, 0 = other, TOTAL = a "Total" event
    starts: np.ndarray
    durs: np.ndarray  # a "b" event gets the time up to its "e"; -1 if it has none
    timed: np.ndarray  # events with a duration (X, and b with a matching e), in order
    has_timed: np.ndarray  # per trace
    process: list[str]  # per trace: the process name from the metadata
    totals: list[list[tuple[str, int, int]]]  # per trace: clang's "Total" events


def _flatten(traces: list[Decoded]) -> _Flat:
    """Every event's fields pulled out once by list comprehension; the rest is numpy.

    Names are numbered through a per-process table (one lookup per event), so per-name work (the
    kind) happens once per distinct name.
    """
    events = list(chain.from_iterable(t.events for t in traces))
    count = len(traces)
    trace = np.repeat(np.arange(count), [len(t.events) for t in traces])
    all_names = [ev.name for ev in events]
    code = _NAMES.encode(all_names)
    names = _NAMES.names
    kinds = _NAMES.kinds[code]
    phase = phase_codes([ev.ph for ev in events])
    starts = np.array([ev.ts for ev in events], dtype=np.int64)
    durs = np.array([ev.dur for ev in events], dtype=np.int64)
    complete = phase == 1
    totals: list[list[tuple[str, int, int]]] = [[] for _ in range(count)]
    rows = np.flatnonzero(complete & (kinds == TOTAL))
    if len(rows):
        listed = rows.tolist()
        entries = zip(
            [all_names[i][6:] for i in listed],
            [int((a.count if (a := events[i].args) is not None else 0) or 0) for i in listed],
            durs[rows].tolist(),
            strict=True,
        )
        for t, part in split_by_trace(trace[rows], list(entries)):
            totals[t] = part
    process = [""] * count
    for i in np.flatnonzero(phase == 4).tolist():
        if all_names[i] == "process_name" and events[i].args is not None:
            process[trace[i]] = str(events[i].args.name or "")
    begins = phase == 2
    durs[begins] = -1  # a "b" lasts until its "e"
    if begins.any():
        _close_pairs(events, code, trace, phase, starts, durs)
    timed = np.flatnonzero((complete & (kinds != TOTAL)) | (begins & (durs >= 0)))
    has_timed = np.bincount(trace[timed], minlength=count) > 0
    return _Flat(events, names, code, trace, kinds, starts, durs, timed, has_timed, process, totals)


def _close_pairs(events, code, trace, phase, starts, durs) -> None:
    """Give each "b" event the duration up to its matching "e" (same trace, name and id)."""
    begins = np.flatnonzero(phase == 2)
    nxt = begins + 1
    adjacent = nxt < len(phase)
    adjacent[adjacent] = phase[nxt[adjacent]] == 3
    b, e = begins[adjacent], nxt[adjacent]
    same = (code[b] == code[e]) & (trace[b] == trace[e])
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
        key = (int(trace[i]), int(code[i]), events[i].id)
        if phase[i] == 2:
            open_pairs[key].append(i)
        elif open_pairs[key]:
            begin = open_pairs[key].pop()
            durs[begin] = max(int(starts[i] - starts[begin]), 0)


def _disjoint_shifts(flat: _Flat) -> np.ndarray:
    """Per trace, an offset for its times so that traces occupy separate, increasing time windows.

    Nesting by containment then never crosses traces: every event of an earlier trace ends before
    any event of a later one starts. A single trace needs no shift.
    """
    count = len(flat.has_timed)
    shift = np.zeros(count, dtype=np.int64)
    if count == 1:
        return shift
    timed = flat.timed
    start, end = flat.starts[timed], flat.starts[timed] + flat.durs[timed]
    low, high = np.minimum(start, end), np.maximum(start, end)
    first = np.searchsorted(flat.trace[timed], np.arange(count))
    ok = flat.has_timed
    lo = np.zeros(count, dtype=np.int64)
    hi = np.zeros(count, dtype=np.int64)
    lo[ok] = np.minimum.reduceat(low, first[ok])
    hi[ok] = np.maximum.reduceat(high, first[ok])
    span = [int(h) - int(low_) + 1 for h, low_ in zip(hi.tolist(), lo.tolist(), strict=True)]
    if sum(span) >= 1 << 62:
        raise OverflowError("trace times too large to summarise as a batch")
    base = np.concatenate(([0], np.cumsum(span[:-1]))).astype(np.int64)
    return base - lo


def _self_time_by_name(flat: _Flat, shift: np.ndarray) -> dict[int, list[tuple[str, int]]]:
    """Per trace: self (exclusive) time per event name over its full nesting, largest first.

    Ties keep the order in which the names first appear among the trace's timed events.
    """
    timed = flat.timed
    trace = flat.trace[timed]
    dur = flat.durs[timed]
    parent, _ = parents_by_containment(flat.starts[timed] + shift[trace], dur)
    child_time = np.bincount(parent[parent >= 0], weights=dur[parent >= 0], minlength=len(dur))
    own = dur - child_time.astype(np.int64)
    n_names = len(flat.names)
    key = trace * n_names + flat.code[timed]
    pairs, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=own, minlength=len(pairs)).astype(np.int64)
    pair_trace = pairs // n_names
    order = np.lexsort((first, -sums, pair_trace))
    result: dict[int, list[tuple[str, int]]] = {}
    names = flat.names
    for t, codes, values in split_by_trace(
        pair_trace[order], (pairs[order] % n_names).tolist(), sums[order].tolist()
    ):
        result[t] = list(zip(map(names.__getitem__, codes), values, strict=True))
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
