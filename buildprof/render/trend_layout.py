"""What a trend chart shows, computed without matplotlib: the builds along the x axis and their labels,
which series share a panel, the time unit of a panel, the typical level and the shifts at change points.

Kept apart from the drawing (render/trend.py) so that every number on the chart can be tested as a
number. Text from the build (commit ids, dates, names) is made visible here, before it reaches a label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

import msgspec
import numpy as np

from buildprof.model.history import TrendPoint, TrendSeries
from buildprof.render.escape import visible
from buildprof.render.layout import shorten

TOTALS = ("wall", "cpu", "busy", "trace")  # whole-build measures: drawn together in one panel
SHORT_SHA = 7
_NICE_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000)
_LABEL_WIDTH_IN = 0.8  # horizontal room one two-line tick label (sha over date) needs at 8 pt, with a gap


class Unit(msgspec.Struct, frozen=True):
    """A time unit for an axis: its symbol and how many milliseconds one of it is."""

    symbol: str
    ms: float


MS = Unit("ms", 1.0)
SECONDS = Unit("s", 1000.0)
MINUTES = Unit("min", 60_000.0)


class Build(msgspec.Struct, frozen=True):
    """One position on the x axis: a recorded build and its two-line tick label."""

    build_id: int
    label: str  # short commit id over commit date; `no commit` over the recorded date without one


def time_unit(values_ms: Sequence[float | None]) -> Unit:
    """The unit that keeps a panel's numbers short: ms below 2 s, s below 10 min, else min."""
    known = [abs(v) for v in values_ms if v is not None and math.isfinite(v)]
    top = max(known, default=0.0)
    if top < 2000.0:
        return MS
    if top < 600_000.0:
        return SECONDS
    return MINUTES


def builds_of(series: Sequence[TrendSeries]) -> list[Build]:
    """Every build any series has a point for, in the series' order (oldest commit first)."""
    seen: dict[int, Build] = {}
    for one in series:
        for point in one.points:
            if point.build_id not in seen:
                seen[point.build_id] = Build(point.build_id, build_label(point))
    return list(seen.values())


def build_label(point: TrendPoint) -> str:
    """`abc1234` over `YYYY-MM-DD` (the commit date); without a commit id, `no commit` over the date
    the build was recorded."""
    if point.commit:
        sha = visible(point.commit)[:SHORT_SHA]
        date = visible(point.commit_time or point.recorded_at)[:10]
        return f"{sha}\n{date}"
    return f"no commit\n{visible(point.recorded_at)[:10]}"


def values_along(one: TrendSeries, builds: Sequence[Build]) -> np.ndarray:
    """The series' values in milliseconds at each build position; NaN where it has none (a gap)."""
    at = {p.build_id: p.value for p in one.points}
    return np.array([_finite(at.get(b.build_id)) for b in builds], dtype=float)


def _finite(value: float | None) -> float:
    return float(value) if value is not None and math.isfinite(value) else math.nan


def tick_step(count: int, room_in: float) -> int:
    """Label every `step`-th build (a round number) so that the labels fit side by side in `room_in`."""
    fits = max(int(room_in / _LABEL_WIDTH_IN), 1)
    for step in _NICE_STEPS:
        if math.ceil(count / step) <= fits:
            return step
    return math.ceil(count / fits)


def panels_of(series: Sequence[TrendSeries]) -> list[list[int]]:
    """Indices of the series drawn together: the whole-build totals share the first panel, every
    target, header or template has its own."""
    totals = [i for i, one in enumerate(series) if one.metric in TOTALS or ":" not in one.metric]
    others = [[i] for i, one in enumerate(series) if i not in totals]
    return ([totals] if totals else []) + others


def segments(count: int, change_points: Sequence[int]) -> list[tuple[int, int]]:
    """(start, end) of each stretch between change points, covering 0..count."""
    cuts = sorted({c for c in change_points if 0 < c < count})
    bounds = [0, *cuts, count]
    return list(pairwise(bounds))


def running_level(values: np.ndarray, change_points: Sequence[int]) -> np.ndarray:
    """The typical level at each build: a centred rolling median that never reaches across a change
    point (so the level steps where the series does); NaN where the value itself is missing."""
    count = len(values)
    half = max(1, min(10, count // 30))  # 3 builds wide for a few builds, up to 21 for hundreds
    level = np.full(count, math.nan)
    for start, end in segments(count, change_points):
        for i in range(start, end):
            if math.isnan(values[i]):
                continue
            window = values[max(start, i - half) : min(end, i + half + 1)]
            level[i] = float(np.nanmedian(window))
    return level


def shifts(values: np.ndarray, change_points: Sequence[int]) -> list[tuple[int, float]]:
    """(index, relative shift) at each change point: the median of the stretch it starts against the
    median of the stretch before it (0.123 for 12.3 % slower); points without values on a side skipped."""
    stretches = segments(len(values), change_points)
    found = []
    for (before_start, cut), (_, after_end) in pairwise(stretches):
        before = values[before_start:cut]
        after = values[cut:after_end]
        if np.isnan(before).all() or np.isnan(after).all():
            continue
        old, new = float(np.nanmedian(before)), float(np.nanmedian(after))
        if old > 0:
            found.append((cut, new / old - 1.0))
    return found


def format_shift(shift: float) -> str:
    """`+12.3 %` (slower) or `-4.0 %` (faster)."""
    return f"{100.0 * shift:+.1f} %"


def format_value(ms: float, unit: Unit) -> str:
    """A value in a unit with as many decimals as a reader needs: `850 ms`, `12.3 s`, `4.25 min`."""
    number = ms / unit.ms
    decimals = 0 if abs(number) >= 100 else 1 if abs(number) >= 10 else 2
    if unit is MS and abs(number) >= 10:
        decimals = 0
    return f"{number:.{decimals}f} {unit.symbol}"


def series_name(one: TrendSeries, width: int) -> str:
    """The series' title as one visible line of at most `width` characters, shortened in the middle
    the way its kind of name reads best (a header keeps its file name, a C++ name its own part)."""
    kind = one.metric.split(":", 1)[0]
    how = {"header": "path", "template": "name"}.get(kind, "middle")
    return shorten(visible(one.title or one.metric), max(width, 8), how)


def short_name(one: TrendSeries) -> str:
    """A few characters naming a series next to a change-point shift: `wall`, `cpu`, `target`."""
    return visible(one.metric.split(":", 1)[0])[:12]


def range_text(builds: Sequence[Build]) -> str:
    """`6 builds, 982f425 (2025-10-31) to 926f1d0 (2026-08-22)`; one build: its commit and date."""
    if not builds:
        return "no recorded builds"
    first, last = (b.label.replace("\n", " (") + ")" for b in (builds[0], builds[-1]))
    if len(builds) == 1:
        return f"1 build, {first}"
    return f"{len(builds)} builds, {first} to {last}"
