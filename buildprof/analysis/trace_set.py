"""All trace summaries of a build put side by side: global codes for files and templates, row arrays.

Per-trace summaries name files and templates by local index; here each gets one global code so that
every per-file, per-Source-event and per-template column of all traces can be concatenated and summed
with numpy (bincount) instead of a Python loop per record. Building the set is a few passes over the
concatenated names and one join per column, whatever the number of traces.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate, chain, count, repeat
from typing import TypeVar

import numpy as np

from buildprof.gc_pause import return_free_memory
from buildprof.model.traces import SUMMARY_COLUMNS, TraceSummary

_TRIM_BYTES = 8 << 20  # summaries' column bytes freed before their pages are given back (malloc_trim)
_CONCATENATED = (
    "file_incl_us",
    "file_self_us",
    "file_count",
    "file_direct",
    "file_cba_root",
    "src_includer",
    "src_cba_parent",
    "src_us",
    "tpl_kind",
    "tpl_count",
    "tpl_incl_us",
    "tpl_self_us",
    "tpl_set_count",
    "tpl_set_us",
)


@dataclass
class Rows:
    """Concatenated rows of one kind from every trace: which trace, which global item, and columns."""

    trace: np.ndarray  # index into TraceSet.summaries (int32: rows are many, traces and codes few)
    item: np.ndarray  # global code (file or template), int32
    offset: np.ndarray  # first row of each trace (len = traces + 1), to map local row links

    def __len__(self) -> int:
        return len(self.trace)

    def start(self) -> np.ndarray:
        """For each row, the first row of its trace (int32 when every row number fits, as it does
        short of two billion rows: these arrays have a row per Source event or template)."""
        offset = self.offset
        if len(offset) and offset[-1] <= np.iinfo(np.int32).max:
            offset = offset.astype(np.int32)
        return offset[self.trace]


@dataclass
class TraceSet:
    """The summaries (status "trace") of one build, with the global tables built once."""

    summaries: list[TraceSummary]
    display_names: list[str]  # how each trace is named in ClangBuildAnalyzer-compatible output
    files: list[str]  # every included file (global code = position)
    templates: list[str]  # every instantiated name
    file_rows: Rows  # one row per (trace, file)
    src_rows: Rows  # one row per Source event
    tpl_rows: Rows  # one row per (trace, template name)
    columns: dict[str, np.ndarray]  # SUMMARY_COLUMNS concatenated over traces
    memo: dict = field(default_factory=dict, repr=False, compare=False)  # see memoized()

    @property
    def n_traces(self) -> int:
        return len(self.summaries)


def build_trace_set(summaries: list[TraceSummary], display_names: list[str] | None = None) -> TraceSet:
    """Index the summaries of one build (see the module docstring)."""
    columns, loose = {}, 0
    for name in (*_CONCATENATED, "src_file"):
        columns[name] = _concat_column(summaries, name)
        loose += columns[name].nbytes  # the summaries' own copies, now free
        if loose >= _TRIM_BYTES:
            return_free_memory()  # their pages back, so that the columns are never all held twice
            loose = 0
    return_free_memory()
    files, file_rows = _coded_rows([s.files for s in summaries])
    templates, tpl_rows = _coded_rows([s.templates for s in summaries])
    src_count = np.array([len(s.columns.get("src_file", b"")) // 4 for s in summaries], dtype=np.int64)
    src_trace = np.repeat(np.arange(len(summaries), dtype=np.int32), src_count)
    # A Source row's file is the local index into its own trace's files: shift it to that trace's rows.
    src_item = file_rows.item[columns.pop("src_file").astype(np.int64) + file_rows.offset[src_trace]]
    src_offset = np.concatenate(([0], np.cumsum(src_count)))
    return TraceSet(
        summaries=summaries,
        display_names=display_names or [s.path for s in summaries],
        files=files,
        templates=templates,
        file_rows=file_rows,
        src_rows=Rows(trace=src_trace, item=src_item, offset=src_offset),
        tpl_rows=tpl_rows,
        columns=columns,
    )


def _concat_column(summaries: list[TraceSummary], name: str) -> np.ndarray:
    """One SUMMARY_COLUMNS column of every summary, end to end (one join, one buffer).

    Each summary's own bytes of the column are then replaced by a read-only view of its part of the
    joined buffer: the same bytes (equal, encoded and read alike), kept once instead of twice (the
    caller gives their pages back). The views are made and set without a Python step per summary.
    """
    holders = [s.columns for s in summaries if name in s.columns]
    parts = [columns[name] for columns in holders]
    joined = b"".join(parts)
    ends = list(accumulate(map(len, parts)))
    view = memoryview(joined)
    views = map(view.__getitem__, map(slice, [0, *ends[:-1]], ends))
    deque(map(dict.__setitem__, holders, repeat(name), views), maxlen=0)
    return np.frombuffer(joined, dtype=SUMMARY_COLUMNS[name])


def _coded_rows(per_trace: list[list[str]]) -> tuple[list[str], Rows]:
    """Distinct strings in first-seen order over all traces, and one row per (trace, string).

    A string gets the next code the first time it is looked up (a defaultdict fed by a counter): one
    pass over the strings, without a Python step per string.
    """
    sizes = np.fromiter(map(len, per_trace), dtype=np.int64, count=len(per_trace))
    index: defaultdict[str, int] = defaultdict(count().__next__)
    everything = chain.from_iterable(per_trace)
    item = np.fromiter(map(index.__getitem__, everything), dtype=np.int32, count=int(sizes.sum()))
    rows = Rows(
        trace=np.repeat(np.arange(len(per_trace), dtype=np.int32), sizes),
        item=item,
        offset=np.concatenate(([0], np.cumsum(sizes))),
    )
    return list(index), rows


def summed(item: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """Per-item integer sums of a concatenated column (`item` = each row's global code)."""
    return np.bincount(item, weights=weights, minlength=n).astype(np.int64)


def global_links(rows: Rows, local: np.ndarray) -> np.ndarray:
    """Turn per-trace row links (e.g. src_includer, -1 = none) into indexes of the concatenated rows
    (int32 like the links, unless the rows outnumber int32)."""
    start = rows.start()
    linked = local.astype(start.dtype, copy=False) + start
    linked[local < 0] = -1
    return linked


T = TypeVar("T")


def memoized(ts: TraceSet, key: str, build: Callable[[], T]) -> T:
    """A value computed from a TraceSet once: the set does not change after it is built, and a
    report asks for the same tables several times (its own sections and ClangBuildAnalyzer's)."""
    if key not in ts.memo:
        ts.memo[key] = build()
    return ts.memo[key]


def traces_per_group(group: np.ndarray, trace: np.ndarray, n_traces: int, n_groups: int) -> np.ndarray:
    """How many distinct traces each group (0 .. n_groups-1) has rows in: distinct (group, trace)
    pairs counted per group (int64)."""
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    width = max(n_traces, 1)
    wide = (int(group.max()) + 1) * width > np.iinfo(np.int32).max  # keys in int32 when they fit
    key = np.asarray(group, dtype=np.int64 if wide else np.int32) * width + trace
    span = n_groups * width
    if span <= max(8 * len(key), 1 << 22):  # small key range: mark the pairs in a table, no sort
        seen = np.zeros(span, dtype=bool)
        seen[key] = True
        return seen.reshape(n_groups, width).sum(axis=1, dtype=np.int64)
    key.sort()
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]  # sorted: a pair is new where the key changes
    return np.bincount(key[first] // width, minlength=n_groups)


def unique_rows(matrix: np.ndarray, n_values: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a matrix of codes in [-1, n_values), and each row's distinct row number.

    Rows are refined one column at a time with 1-D integer keys (previous group, value), much faster
    than sorting whole rows; the distinct rows come in an unspecified but deterministic order.
    """
    group = np.zeros(len(matrix), dtype=np.int64)
    for column in matrix.T:
        _, group = np.unique(group * (n_values + 1) + (column + 1), return_inverse=True)
        group = group.ravel()
    _, first = np.unique(group, return_index=True)
    return matrix[first], group
