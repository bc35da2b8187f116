"""Functions: time clang spent optimising and generating code for each (OptFunction events)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from buildprof.analysis.table import Table
from buildprof.analysis.trace_set import TraceSet
from buildprof.trace_rules import collapse_template_args

if TYPE_CHECKING:
    import pandas as pd


def function_table(ts: TraceSet, demangled: dict[str, str]) -> pd.DataFrame:
    """One row per (demangled name, module): count, us, tus. Names that demangle alike are merged."""
    return function_columns(ts, demangled).frame()


def function_columns(ts: TraceSet, demangled: dict[str, str]) -> Table:
    """function_table as a Table: (name, file) groups in first-seen order, traces counted once;
    computed once per TraceSet and demangling (the report's section and ClangBuildAnalyzer's)."""
    made = ts.memo.get("function_table")
    if made is None or made[0] is not demangled:
        made = ts.memo["function_table"] = (demangled, _function_table(ts, demangled))
    return made[1]


def _function_table(ts: TraceSet, demangled: dict[str, str]) -> Table:
    groups: dict[tuple[str, str], list[int]] = {}  # (name, file) -> [count, us, traces, last trace]
    for t, summary in enumerate(ts.summaries):
        name_of = ts.display_names[t]
        for f in summary.functions:
            key = (demangled.get(f.name, f.name), f.file or name_of)
            sums = groups.get(key)
            if sums is None:
                groups[key] = [f.count, f.us, 1, t]
                continue
            sums[0] += f.count
            sums[1] += f.us
            if sums[3] != t:
                sums[2] += 1
                sums[3] = t
    values = list(groups.values())
    return Table(
        {
            "name": [name for name, _ in groups],
            "file": [file for _, file in groups],
            "count": np.array([v[0] for v in values], dtype=np.int64),
            "us": np.array([v[1] for v in values], dtype=np.int64),
            "tus": np.array([v[2] for v in values], dtype=np.int64),
        }
    )


def function_set_columns(functions: Table) -> Table:
    """Template functions grouped by name with arguments collapsed; count = distinct (name, module)."""
    groups: dict[str, list[int]] = {}  # set -> [names, us], in first-seen order
    for name, us in zip(functions["name"], functions["us"].tolist(), strict=True):
        if "<" not in name:
            continue
        sums = groups.setdefault(collapse_template_args(name), [0, 0])
        sums[0] += 1
        sums[1] += us
    return Table(
        {
            "set": list(groups),
            "count": np.array([v[0] for v in groups.values()], dtype=np.int64),
            "us": np.array([v[1] for v in groups.values()], dtype=np.int64),
        }
    )
