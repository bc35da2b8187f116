"""Functions: time clang spent optimising and generating code for each (OptFunction events)."""

from __future__ import annotations

import pandas as pd

from buildprof.analysis.trace_set import TraceSet
from buildprof.trace_rules import collapse_template_args


def function_table(ts: TraceSet, demangled: dict[str, str]) -> pd.DataFrame:
    """One row per (demangled name, module): count, us, tus. Names that demangle alike are merged."""
    records = [
        (demangled.get(f.name, f.name), f.file or ts.display_names[t], f.count, f.us, t)
        for t, summary in enumerate(ts.summaries)
        for f in summary.functions
    ]
    frame = pd.DataFrame(records, columns=["name", "file", "count", "us", "trace"])
    if frame.empty:
        return pd.DataFrame(columns=["name", "file", "count", "us", "tus"])
    grouped = frame.groupby(["name", "file"], sort=False).agg(
        count=("count", "sum"), us=("us", "sum"), tus=("trace", "nunique")
    )
    return grouped.reset_index()


def function_set_table(functions: pd.DataFrame) -> pd.DataFrame:
    """Template functions grouped by name with arguments collapsed; count = distinct (name, module)."""
    templated = functions[functions["name"].str.contains("<", regex=False)]
    if templated.empty:
        return pd.DataFrame(columns=["set", "count", "us"])
    sets = templated.assign(set=[collapse_template_args(n) for n in templated["name"]])
    return sets.groupby("set", sort=False).agg(count=("name", "size"), us=("us", "sum")).reset_index()
