"""Change points along a branch: where a recorded series (a total, a target, a header) moves to a new
level and stays there, found by `ruptures` (PELT, least squares) rather than by hand.

Pure: a list of values (None where a build lacks the measure) in, change points out. The values are
taken as logarithms, so a change is relative and the noise is a fraction; the penalty for a new
segment grows with the noise measured on the series itself (robust sd of successive differences),
so a noisy series needs a larger shift to be split. docs/regressions.md says why these numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from buildprof.model.history import TrendPoint, TrendSeries
from buildprof.model.regression import ChangePoint

PENALTY_K = 3.0  # penalty per change point: k x sigma^2 x log(n) (BIC-like, a little stricter)
MIN_POINTS = 4  # fewer values: no noise estimate and no change point
MIN_NOISE = 0.005  # a series of identical values still has this relative noise (no split on rounding)
MIN_SEGMENT = 1  # a level may last one build: a regression fixed by the next commit is still found


def series_noise(values: Sequence[float | None]) -> float | None:
    """Typical relative build-to-build noise of a series: 1.4826 x MAD of the successive differences
    of its logarithms, divided by sqrt(2) (a difference holds the noise of two builds); None with
    fewer than MIN_POINTS positive values."""
    logs = _logs(values)[1]
    if len(logs) < MIN_POINTS:
        return None
    diffs = np.diff(logs)
    return float(1.4826 * np.median(np.abs(diffs - np.median(diffs))) / math.sqrt(2.0))


def find_change_points(values: Sequence[float | None], noise: float | None = None) -> list[ChangePoint]:
    """The points where the series moves to a new level, in order; `noise` (relative) defaults to the
    series' own. Nones and non-positive values are skipped; indices count every point."""
    index, logs = _logs(values)
    if len(logs) < MIN_POINTS:
        return []
    sigma = max(noise if noise is not None else series_noise(values) or 0.0, MIN_NOISE)
    bounds = [0, *_segment(logs, sigma)]
    kept = np.asarray([values[i] for i in index], dtype=float)
    points = []
    for start, middle, end in zip(bounds, bounds[1:], bounds[2:], strict=False):
        before = float(np.median(kept[start:middle]))
        after = float(np.median(kept[middle:end]))
        points.append(
            ChangePoint(
                index=index[middle],
                before=before,
                after=after,
                shift=after - before,
                relative=(after - before) / before if before else None,
            )
        )
    return points


def _segment(logs: np.ndarray, sigma: float) -> list[int]:
    """PELT's segment ends (exclusive, the last is len(logs)) for a noise of `sigma`."""
    import ruptures

    algo = ruptures.Pelt(model="l2", min_size=MIN_SEGMENT, jump=1).fit(logs.reshape(-1, 1))
    return [int(end) for end in algo.predict(pen=PENALTY_K * sigma**2 * math.log(len(logs)))]


def trend_series(metric: str, title: str, points: Sequence[TrendPoint]) -> TrendSeries:
    """A TrendSeries of recorded points with its noise and the indices where a new level starts."""
    values = [p.value for p in points]
    noise = series_noise(values)
    return TrendSeries(
        metric=metric,
        title=title,
        points=list(points),
        noise=noise,
        change_points=[c.index for c in find_change_points(values, noise)],
    )


def _logs(values: Sequence[float | None]) -> tuple[list[int], np.ndarray]:
    """The indices of the usable (positive) values and their logarithms."""
    index = [i for i, v in enumerate(values) if v is not None and v > 0]
    return index, np.log(np.asarray([values[i] for i in index], dtype=float))
