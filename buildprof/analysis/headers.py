"""Included files: what parsing each costs, who includes it, through which chains, what it pulls in.

Inclusive time is the Source event's duration summed over every time the file was entered (as
ClangBuildAnalyzer counts); self time subtracts the files it includes itself, so self times of all
files plus the main files' own parse time add up to the frontend's Source time without double counting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from buildprof.analysis.table import Table
from buildprof.analysis.trace_set import (
    TraceSet,
    global_links,
    memoized,
    summed,
    traces_per_group,
    unique_rows,
)
from buildprof.trace_rules import is_header

if TYPE_CHECKING:
    import pandas as pd


def header_table(ts: TraceSet) -> pd.DataFrame:
    """One row per included file: incl_us, self_us, count, tus, direct, cba_root, is_header."""
    return header_columns(ts).frame(index_name="code")


def header_columns(ts: TraceSet) -> Table:
    """header_table as a Table (index: the file's code), computed once per TraceSet."""
    return memoized(ts, "header_table", lambda: _header_table(ts))


def _header_table(ts: TraceSet) -> Table:
    n = len(ts.files)
    item = ts.file_rows.item
    col = ts.columns
    return Table(
        {
            "file": ts.files,
            "incl_us": summed(item, col["file_incl_us"], n),
            "self_us": summed(item, col["file_self_us"], n),
            "count": summed(item, col["file_count"], n),
            "tus": np.bincount(item, minlength=n),
            "direct": summed(item, col["file_direct"], n) > 0,
            "cba_root": summed(item, col["file_cba_root"], n) > 0,
            "is_header": [is_header(f) for f in ts.files],
        }
    )


@dataclass
class Chain:
    """One way a file gets included: the includers, nearest first, and how often / how costly."""

    files: tuple[str, ...]
    count: int
    us: int
    tus: int


def include_chains(ts: TraceSet, code: int, cba: bool = False) -> list[Chain]:
    """Merged include chains of the file with global `code`, most frequent first.

    buildprof's chains go up through every including file to the main file; ClangBuildAnalyzer's
    (`cba=True`) stop at the first includer that is not a header (its rule, kept for parity).
    """
    rows = np.flatnonzero(ts.src_rows.item == code)
    if len(rows) == 0:
        return []
    link = _links(ts, "src_cba_parent" if cba else "src_includer")
    files_of = ts.src_rows.item
    steps = []
    current = link[rows]
    while (current >= 0).any():
        steps.append(np.where(current >= 0, files_of[np.maximum(current, 0)], -1))
        current = np.where(current >= 0, link[np.maximum(current, 0)], -1)
    matrix = np.stack(steps, axis=1) if steps else np.full((len(rows), 1), -1)
    distinct, inverse = unique_rows(matrix, len(ts.files))
    counts = np.bincount(inverse, minlength=len(distinct))
    us = np.bincount(inverse, weights=ts.columns["src_us"][rows], minlength=len(distinct))
    tus = traces_per_group(inverse, ts.src_rows.trace[rows], ts.n_traces, len(distinct))
    chains = [
        Chain(tuple(ts.files[c] for c in row if c >= 0), int(n), int(t), int(k))
        for row, n, t, k in zip(distinct.tolist(), counts, us, tus, strict=True)
    ]
    chains.sort(key=lambda c: (-c.count, -c.us, c.files))
    return chains


def _links(ts: TraceSet, column: str) -> np.ndarray:
    """A Source-row link column (src_includer or src_cba_parent) as rows of the whole set, once."""
    return memoized(ts, column, lambda: _read_only(global_links(ts.src_rows, ts.columns[column])))


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False  # shared by every caller
    return array


def included_by(ts: TraceSet, code: int) -> pd.DataFrame:
    """Files that include `code` directly ("" = a main file), with counts and the time spent in it."""
    rows = np.flatnonzero(ts.src_rows.item == code)
    link = _links(ts, "src_includer")[rows]
    includer = np.where(link >= 0, ts.src_rows.item[np.maximum(link, 0)], -1)
    return _group_by_file(ts, includer, ts.columns["src_us"][rows], "includer")


def includes_of(ts: TraceSet, code: int) -> pd.DataFrame:
    """Files that `code` includes directly, with counts and their inclusive time."""
    link = _links(ts, "src_includer")
    inside = link >= 0
    inside[inside] = ts.src_rows.item[link[inside]] == code
    rows = np.flatnonzero(inside)
    return _group_by_file(ts, ts.src_rows.item[rows], ts.columns["src_us"][rows], "file")


def _group_by_file(ts: TraceSet, codes: np.ndarray, us: np.ndarray, label: str) -> pd.DataFrame:
    import pandas as pd  # here: the report itself does without it (see analysis.table)

    frame = pd.DataFrame({"code": codes, "us": us})
    grouped = frame.groupby("code").agg(count=("us", "size"), incl_us=("us", "sum")).reset_index()
    grouped[label] = [ts.files[c] if c >= 0 else "" for c in grouped["code"]]
    return grouped.sort_values(["incl_us", "count"], ascending=False, kind="stable").reset_index(drop=True)


def tus_paying_for(ts: TraceSet, code: int) -> pd.DataFrame:
    """Per trace (translation unit) that includes `code`: inclusive time and times entered."""
    import pandas as pd

    rows = np.flatnonzero(ts.file_rows.item == code)
    frame = pd.DataFrame(
        {
            "trace": ts.file_rows.trace[rows],
            "incl_us": ts.columns["file_incl_us"][rows],
            "self_us": ts.columns["file_self_us"][rows],
            "count": ts.columns["file_count"][rows],
        }
    )
    return frame.sort_values("incl_us", ascending=False, kind="stable").reset_index(drop=True)


def find_file(ts: TraceSet, query: str) -> list[int]:
    """Codes of files matching `query`: the exact path, else a path ending in `/query`, else a substring."""
    exact = [i for i, f in enumerate(ts.files) if f == query]
    if exact:
        return exact
    suffix = [i for i, f in enumerate(ts.files) if f.endswith("/" + query.lstrip("/"))]
    if suffix:
        return suffix
    return [i for i, f in enumerate(ts.files) if query in f]
