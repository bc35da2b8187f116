"""A small table of named columns (numpy arrays or lists of one length) for the trace sections.

What the report's trace sections asked of pandas (pick rows, sort stably on several keys, the n
largest, iterate rows) without importing it: pandas costs a report of time traces 0.3 s of CPU and
35 MB before it computes anything. `frame()` gives the DataFrame the other commands work on.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


class Table:
    """Columns by name, all of one length, and each row's label (`index`: a code, e.g. a file's)."""

    __slots__ = ("columns", "index")

    def __init__(self, columns: dict[str, Sequence[Any]], index: np.ndarray | None = None) -> None:
        self.columns = columns
        length = len(next(iter(columns.values()))) if columns else 0
        self.index = np.arange(length) if index is None else index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, name: str) -> Sequence[Any]:
        return self.columns[name]

    def take(self, rows: Sequence[int] | np.ndarray) -> Table:
        """The rows at these positions, in this order."""
        picked = np.asarray(rows, dtype=np.int64)
        columns = {
            name: column[picked] if isinstance(column, np.ndarray) else [column[i] for i in picked.tolist()]
            for name, column in self.columns.items()
        }
        return Table(columns, self.index[picked])

    def where(self, mask: Sequence[bool] | np.ndarray) -> Table:
        """The rows where `mask` is true."""
        return self.take(np.flatnonzero(np.asarray(mask, dtype=bool)))

    def head(self, n: int | None) -> Table:
        return self if n is None or n >= len(self) else self.take(np.arange(max(n, 0)))

    def sorted(self, keys: Sequence[tuple[str, bool]], top: int | None = None) -> Table:
        """Rows ordered by (column, descending) keys, as pandas' stable sort_values: ties keep their
        order; the first `top` rows if given. Descending keys must be numbers (never NaN)."""
        values = [
            [-v for v in _plain(self.columns[name])] if descending else _plain(self.columns[name])
            for name, descending in keys
        ]
        order = sorted(range(len(self)), key=list(zip(*values, strict=True)).__getitem__)
        return self.take(order if top is None else order[:top])

    def nlargest(self, n: int, name: str) -> Table:
        """The n rows of largest `name` (numbers), largest first, the first of equal ones first
        (pandas' nlargest with keep="first")."""
        return self.sorted([(name, True)], top=n)

    def rows(self) -> Iterator[Any]:
        """Each row as a named tuple of its columns (as DataFrame.itertuples without the index)."""
        row = namedtuple("Row", list(self.columns), rename=True)
        return map(row._make, zip(*(_plain(c) for c in self.columns.values()), strict=True))

    def frame(self, index_name: str | None = None, dtypes: dict[str, Any] | None = None):
        """The same table as a pandas DataFrame (columns in order, `index` as its index)."""
        import pandas as pd

        dtypes = dtypes or {}
        data = {name: pd.Series(column, dtype=dtypes.get(name)) for name, column in self.columns.items()}
        table = pd.DataFrame(data, columns=list(self.columns))
        if np.array_equal(self.index, np.arange(len(self))):
            table.index = pd.RangeIndex(len(self), name=index_name)
        else:
            table.index = pd.Index(self.index, name=index_name)
        return table


def _plain(column: Sequence[Any]) -> list[Any]:
    """A column as a list of Python values (numpy scalars made ints, floats, bools)."""
    return column.tolist() if isinstance(column, np.ndarray) else list(column)
