"""Change points along a branch (ruptures' PELT) on the real captured series and on series whose
answer is known by construction."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from test_regression import RUNS, SERIES, load_series

from buildprof.analysis.changepoints import MIN_POINTS, find_change_points, series_noise, trend_series
from buildprof.model.history import TrendPoint


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    dest = tmp_path_factory.mktemp("series")
    return {run: load_series(run, dest) for run in RUNS}


def _header_series(costs, path: str) -> list[float | None]:
    return [next((h.incl_ms for h in c.headers if h.path == path), None) for c in costs]


def _step(meta: list[dict], name: str) -> dict:
    return next(b for b in meta if b["name"] == name)


@pytest.mark.parametrize("run", RUNS)
def test_the_included_header_moves_up_at_the_regression_and_back_at_the_fix(series, run):
    meta, costs = series[run]
    regression, fix = _step(meta, "regression-include"), _step(meta, "improvement-include")
    points = find_change_points(_header_series(costs, regression["blame"]))
    assert [p.index for p in points] == [regression["index"], fix["index"]]
    assert points[0].shift > 0 and points[1].shift < 0
    values = _header_series(costs, regression["blame"])
    assert points[0].before == pytest.approx(float(np.median(values[: regression["index"]])))


@pytest.mark.parametrize("run", RUNS)
def test_the_template_header_drops_back_at_its_fix(series, run):
    """core/status.h includes sample/common.h, so it moves with both regressions; the fix of its own
    template code is a level of its own in every run."""
    meta, costs = series[run]
    regression, fix = _step(meta, "regression-template"), _step(meta, "improvement-template")
    points = {p.index: p for p in find_change_points(_header_series(costs, regression["blame"]))}
    assert fix["index"] in points and points[fix["index"]].shift < 0
    assert all(i <= fix["index"] for i in points)


def test_series_noise_is_the_robust_sd_of_log_differences():
    values = [100.0, 104.0, 98.0, None, 101.0, 99.0, 130.0]
    logs = np.log([v for v in values if v is not None])
    diffs = np.diff(logs)
    expected = 1.4826 * np.median(np.abs(diffs - np.median(diffs))) / math.sqrt(2)
    assert series_noise(values) == pytest.approx(expected)
    assert series_noise(values[: MIN_POINTS - 1]) is None


def test_a_step_is_found_where_it_starts_and_nones_keep_their_place():
    rng = np.random.default_rng(7)
    values: list[float | None] = list(100 * (1 + 0.02 * rng.standard_normal(12)))
    values[6:] = [v * 1.25 for v in values[6:]]
    values[3] = None
    points = find_change_points(values)
    assert [p.index for p in points] == [6]
    assert points[0].relative == pytest.approx(0.25, abs=0.05)


def test_noise_alone_and_short_series_give_no_change_point():
    rng = np.random.default_rng(11)
    assert find_change_points(list(100 * (1 + 0.05 * rng.standard_normal(30)))) == []
    assert find_change_points([1.0, 2.0, 4.0]) == []
    assert find_change_points([5.0] * 10) == []


def test_trend_series_fills_noise_and_change_points(series):
    run = RUNS[0]
    meta, costs = series[run]
    path = _step(meta, "regression-include")["blame"]
    commits = json.loads((SERIES / run / "series.json").read_text())["builds"]
    points = [
        TrendPoint(
            build_id=i + 1, commit=b["commit"], commit_time=None, recorded_at="2026-01-01T00:00:00Z", value=v
        )
        for i, (b, v) in enumerate(zip(commits, _header_series(costs, path), strict=True))
    ]
    trend = trend_series(f"header:{path}", path, points)
    assert trend.noise == pytest.approx(series_noise([p.value for p in points]))
    assert trend.change_points == [p.index for p in find_change_points([p.value for p in points])]
    assert trend.change_points and trend.points == points
