"""analysis.table.Table and the pandas-free tables of the report against what pandas gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from buildprof.analysis.compile_units import target_columns, target_table
from buildprof.analysis.table import Table


def _random_table(seed: int, n: int = 300) -> Table:
    rng = np.random.default_rng(seed)
    return Table(
        {
            "name": [f"n{k}" for k in rng.integers(0, 40, n)],  # repeated names: ties on both keys
            "us": rng.integers(0, 20, n).astype(np.int64),
            "count": rng.integers(0, 5, n).astype(np.int64),
        }
    )


@pytest.mark.parametrize("seed", range(5))
def test_sorted_matches_pandas_stable_sort(seed: int) -> None:
    table = _random_table(seed)
    frame = table.frame()
    expected = frame.sort_values(["us", "name"], ascending=[False, True], kind="stable").head(17)
    got = table.sorted([("us", True), ("name", False)], top=17)
    assert got.index.tolist() == expected.index.tolist()
    assert got["name"] == expected["name"].tolist()


@pytest.mark.parametrize("seed", range(5))
def test_nlargest_matches_pandas_keep_first(seed: int) -> None:
    table = _random_table(seed)
    expected = table.frame().nlargest(25, "us", keep="first")
    assert table.nlargest(25, "us").index.tolist() == expected.index.tolist()


def test_take_where_head_and_rows() -> None:
    table = _random_table(0, 10)
    picked = table.where(np.asarray(table["us"]) > 5).head(3)
    frame = table.frame()
    expected = frame[frame["us"] > 5].head(3)
    assert picked.index.tolist() == expected.index.tolist()
    assert [r.count for r in picked.rows()] == expected["count"].tolist()


@pytest.mark.parametrize("seed", range(5))
def test_target_columns_match_the_pandas_target_table(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    step = rng.uniform(0, 5000, n).round(0)
    step[rng.random(n) < 0.3] = np.nan  # TUs no step of the analysed build wrote
    weighted = np.where(np.isnan(step), np.nan, rng.uniform(0, 900, n))
    units = Table(
        {
            "trace": [f"u{k}.cc.json" for k in range(n)],
            "target": [f"t{k}" for k in rng.integers(0, 12, n)],
            "total_us": rng.integers(0, 3, n).astype(np.int64) * 1000,  # ties in the sort
            "frontend_us": rng.integers(0, 10**6, n).astype(np.int64),
            "backend_us": rng.integers(0, 10**6, n).astype(np.int64),
            "step_ms": step,
            "weighted_ms": weighted,
        }
    )
    expected = target_table(units.frame())
    got = target_columns(units).frame()
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_dtype=False)
