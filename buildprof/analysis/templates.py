"""Template instantiations: per exact name and per template set (arguments collapsed to `<$>`).

Inclusive time counts nested instantiations in their parents too (ClangBuildAnalyzer's number); self
time subtracts them. A set's time counts an instantiation only when no enclosing instantiation belongs
to the same set, so recursive templates are not counted twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from buildprof.analysis.table import Table
from buildprof.analysis.trace_set import TraceSet, memoized, summed, traces_per_group
from buildprof.trace_rules import collapse_template_args

if TYPE_CHECKING:
    import pandas as pd


def template_table(ts: TraceSet) -> pd.DataFrame:
    """One row per instantiated name: kind, count, incl_us, self_us, tus, set, set_count, set_us."""
    return template_columns(ts).frame()


def template_columns(ts: TraceSet) -> Table:
    """template_table as a Table (index: the name's code), computed once per TraceSet."""
    return memoized(ts, "template_table", lambda: _template_table(ts))


def _template_table(ts: TraceSet) -> Table:
    n = len(ts.templates)
    item = ts.tpl_rows.item
    col = ts.columns
    kind = np.zeros(n, dtype=np.uint8)
    kind[item] = col["tpl_kind"]
    return Table(
        {
            "name": ts.templates,
            "kind": np.where(kind == 1, "function", "class").tolist(),
            "count": summed(item, col["tpl_count"], n),
            "incl_us": summed(item, col["tpl_incl_us"], n),
            "self_us": summed(item, col["tpl_self_us"], n),
            "tus": np.bincount(item, minlength=n),
            "set": [collapse_template_args(name) for name in ts.templates],
            "set_count": summed(item, col["tpl_set_count"], n),
            "set_us": summed(item, col["tpl_set_us"], n),
        }
    )


def template_set_table(ts: TraceSet, templates: Any) -> pd.DataFrame:
    """One row per template set: count and incl_us (recursion not double-counted), self_us, tus, names."""
    return template_set_columns(ts, templates).frame()


def template_set_columns(ts: TraceSet, templates: Any) -> Table:
    """template_set_table as a Table; `templates` is template_table's Table or DataFrame."""
    numbers: dict[str, int] = {}  # each set's code, in first-seen order (as pandas' factorize)
    set_codes = np.fromiter(
        (numbers.setdefault(name, len(numbers)) for name in templates["set"]),
        dtype=np.int64,
        count=len(templates),
    )
    set_names = list(numbers)
    m = len(set_names)
    tus_of = memoized(ts, "set_tus", lambda: _traces_per_set(ts, set_codes, set_names))
    tus = np.array([tus_of[name] for name in set_names], dtype=np.int64)
    return Table(
        {
            "set": set_names,
            "count": _sums(set_codes, templates["set_count"], m),
            "incl_us": _sums(set_codes, templates["set_us"], m),
            "self_us": _sums(set_codes, templates["self_us"], m),
            "tus": tus,
            "names": np.bincount(set_codes, minlength=m),
        }
    )


def _sums(codes: np.ndarray, values: Any, m: int) -> np.ndarray:
    return np.bincount(codes, weights=np.asarray(values), minlength=m).astype(np.int64)


def tus_paying_for_template(ts: TraceSet, codes: list[int]) -> Table:
    """Per (template code, trace): instantiations and inclusive time, largest first."""
    wanted = np.zeros(len(ts.templates), dtype=bool)
    wanted[codes] = True
    rows = np.flatnonzero(wanted[ts.tpl_rows.item])
    code = ts.tpl_rows.item[rows]
    incl_us = ts.columns["tpl_incl_us"][rows]
    order = np.lexsort((-incl_us, code))  # by code, then largest first; ties keep their order
    return Table(
        {
            "code": code[order],
            "trace": ts.tpl_rows.trace[rows][order],
            "count": ts.columns["tpl_count"][rows][order],
            "incl_us": incl_us[order],
        }
    )


def _traces_per_set(ts: TraceSet, set_codes: np.ndarray, set_names: list[str]) -> dict[str, int]:
    """How many traces instantiate some name of each set (distinct (set, trace) pairs)."""
    rows_set = set_codes.astype(np.int32)[ts.tpl_rows.item]  # int32: a row per template of a trace
    counts = traces_per_group(rows_set, ts.tpl_rows.trace, ts.n_traces, len(set_names))
    return dict(zip(set_names, counts.tolist(), strict=True))
