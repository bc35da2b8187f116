"""Template instantiations: per exact name and per template set (arguments collapsed to `<$>`).

Inclusive time counts nested instantiations in their parents too (ClangBuildAnalyzer's number); self
time subtracts them. A set's time counts an instantiation only when no enclosing instantiation belongs
to the same set, so recursive templates are not counted twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from buildprof.analysis.trace_set import TraceSet, memoized, summed, traces_per_group
from buildprof.trace_rules import collapse_template_args


def template_table(ts: TraceSet) -> pd.DataFrame:
    """One row per instantiated name: kind, count, incl_us, self_us, tus, set, set_count, set_us."""
    return memoized(ts, "template_table", lambda: _template_table(ts)).copy()


def _template_table(ts: TraceSet) -> pd.DataFrame:
    n = len(ts.templates)
    item = ts.tpl_rows.item
    col = ts.columns
    kind = np.zeros(n, dtype=np.uint8)
    kind[item] = col["tpl_kind"]
    return pd.DataFrame(
        {
            "name": ts.templates,
            "kind": np.where(kind == 1, "function", "class"),
            "count": summed(item, col["tpl_count"], n),
            "incl_us": summed(item, col["tpl_incl_us"], n),
            "self_us": summed(item, col["tpl_self_us"], n),
            "tus": np.bincount(item, minlength=n),
            "set": [collapse_template_args(name) for name in ts.templates],
            "set_count": summed(item, col["tpl_set_count"], n),
            "set_us": summed(item, col["tpl_set_us"], n),
        }
    )


def template_set_table(ts: TraceSet, templates: pd.DataFrame) -> pd.DataFrame:
    """One row per template set: count and incl_us (recursion not double-counted), self_us, tus, names."""
    set_codes, set_names = pd.factorize(templates["set"])
    m = len(set_names)
    tus_of = memoized(ts, "set_tus", lambda: _traces_per_set(ts, set_codes, list(set_names)))
    tus = np.array([tus_of[name] for name in set_names], dtype=np.int64)
    return pd.DataFrame(
        {
            "set": list(set_names),
            "count": np.bincount(set_codes, weights=templates["set_count"], minlength=m).astype(np.int64),
            "incl_us": np.bincount(set_codes, weights=templates["set_us"], minlength=m).astype(np.int64),
            "self_us": np.bincount(set_codes, weights=templates["self_us"], minlength=m).astype(np.int64),
            "tus": tus,
            "names": np.bincount(set_codes, minlength=m),
        }
    )


def tus_paying_for_template(ts: TraceSet, codes: list[int]) -> pd.DataFrame:
    """Per (template code, trace): instantiations and inclusive time, largest first."""
    wanted = np.zeros(len(ts.templates), dtype=bool)
    wanted[codes] = True
    rows = np.flatnonzero(wanted[ts.tpl_rows.item])
    frame = pd.DataFrame(
        {
            "code": ts.tpl_rows.item[rows],
            "trace": ts.tpl_rows.trace[rows],
            "count": ts.columns["tpl_count"][rows],
            "incl_us": ts.columns["tpl_incl_us"][rows],
        }
    )
    return frame.sort_values(["code", "incl_us"], ascending=[True, False], kind="stable")


def _traces_per_set(ts: TraceSet, set_codes: np.ndarray, set_names: list[str]) -> dict[str, int]:
    """How many traces instantiate some name of each set (distinct (set, trace) pairs)."""
    rows_set = set_codes.astype(np.int32)[ts.tpl_rows.item]  # int32: a row per template of a trace
    counts = traces_per_group(rows_set, ts.tpl_rows.trace, ts.n_traces, len(set_names))
    return dict(zip(set_names, counts.tolist(), strict=True))
