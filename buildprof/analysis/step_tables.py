"""A build's tables from its step columns: the slowest steps and the time per kind and per target.

The numbers are those the report always gave with pandas (`DataFrame.nlargest(keep="first")`,
`groupby(sort=False).agg(...)` then a stable sort): ties keep the order of the log, groups the order
they first appear in, and a group's weighted time is summed as pandas sums it (Kahan's compensation,
row by row). The sums per group come from the C module `_tables_native` when it was built; without
it, or with BUILDPROF_NO_NATIVE=1, pandas computes them (the reference), and the values are coded
with `pandas.factorize` instead of `_export_native.pair_codes` (pair_codes here, shared with the
trace export).
"""

from __future__ import annotations

import os

import numpy as np

from buildprof.analysis.lanes import NATIVE_ENV
from buildprof.analysis.lanes import native as export_native

try:
    from buildprof.analysis import _tables_native
except ImportError:  # built without a C compiler: pandas does the sums
    _tables_native = None


def native_group_sums():
    """The C module's group_sums, unless it was not built or NATIVE_ENV turns it off."""
    if _tables_native is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        return None
    return _tables_native.group_sums


def pair_codes(kinds: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code for its (kinds[i], targets[i]) pair (numbered in the order pairs first appear)
    and each code's first row: `_export_native.pair_codes` when the C module is there, else
    `pandas.factorize` of each column and then of their codes' pairs (the reference)."""
    native = export_native("pair_codes")
    if native is not None:
        kinds = np.ascontiguousarray(kinds, dtype=object)
        targets = np.ascontiguousarray(targets, dtype=object)
        codes, firsts = (np.frombuffer(column, dtype=np.int64) for column in native(kinds, targets))
        return codes, firsts
    import pandas as pd

    kind_codes, _ = pd.factorize(kinds)
    target_codes, target_names = pd.factorize(targets)
    codes, _ = pd.factorize(kind_codes.astype(np.int64) * max(len(target_names), 1) + target_codes)
    codes = codes.astype(np.int64, copy=False)
    return codes, np.unique(codes, return_index=True)[1]


def value_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's code among the distinct values of an object array (numbered in the order they first
    appear) and those values, as `pandas.factorize` gives them."""
    values = np.asarray(values, dtype=object)
    codes, firsts = pair_codes(values, values)
    return codes, values[firsts]


def kind_target_codes(kinds: np.ndarray, targets: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """value_codes of the kinds and of the targets, from one pass over the rows: the (kind, target)
    pairs coded first (pair_codes, in the order they first appear), then the few pairs' kinds and
    targets (a value first appears with the first pair holding it)."""
    kinds = np.asarray(kinds, dtype=object)
    targets = np.asarray(targets, dtype=object)
    codes, firsts = pair_codes(kinds, targets)
    narrow = np.int32 if len(firsts) < 2**31 else np.int64  # the codes stay with the steps: 4 B a step
    found = {}
    for name, values in (("kind", kinds[firsts]), ("target", targets[firsts])):
        seen: dict = {}
        of_pair = np.fromiter((seen.setdefault(v, len(seen)) for v in values.tolist()), narrow, len(values))
        found[name] = (of_pair[codes], np.array(list(seen), dtype=object))
    return found


def largest(values: np.ndarray, top: int) -> np.ndarray:
    """The rows of the `top` largest values, largest first, ties in row order: the rows
    `DataFrame.nlargest(top, column, keep="first")` takes, in its order."""
    n = len(values)
    if top <= 0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if top >= n:
        return np.argsort(-values, kind="stable")
    kth = np.partition(values, n - top)[n - top]  # the top-th largest value
    above = np.flatnonzero(values > kth)
    rows = np.concatenate((above, np.flatnonzero(values == kth)[: top - len(above)]))
    rows.sort()
    return rows[np.argsort(-values[rows], kind="stable")]


def group_sums(
    codes: np.ndarray, groups: int, duration: np.ndarray, weighted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group (codes 0..groups-1): steps, summed duration, summed weighted time, longest step."""
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    duration = np.ascontiguousarray(duration, dtype=np.int64)
    weighted = np.ascontiguousarray(weighted, dtype=np.float64)
    summed = native_group_sums()
    if summed is not None:
        found = summed(codes, groups, duration, weighted)
        types = (np.int64, np.int64, np.float64, np.int64)
        return tuple(np.frombuffer(column, dtype=kind) for column, kind in zip(found, types, strict=True))
    return _pandas_group_sums(codes, groups, duration, weighted)


def _pandas_group_sums(
    codes: np.ndarray, groups: int, duration: np.ndarray, weighted: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """group_sums by pandas' groupby: the reference the C module follows."""
    import pandas as pd

    frame = pd.DataFrame({"group": codes, "duration_ms": duration, "weighted_ms": weighted})
    grouped = frame.groupby("group", sort=True).agg(
        steps=("duration_ms", "size"),
        duration_ms=("duration_ms", "sum"),
        weighted_ms=("weighted_ms", "sum"),
        max_ms=("duration_ms", "max"),
    )
    grouped = grouped.reindex(range(groups), fill_value=0)
    return tuple(grouped[name].to_numpy() for name in ("steps", "duration_ms", "weighted_ms", "max_ms"))


def group_order(weighted: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """Groups by weighted time, then summed duration, largest first; ties in code order (pandas'
    stable sort_values on both columns, descending)."""
    return np.lexsort((-duration, -weighted))
