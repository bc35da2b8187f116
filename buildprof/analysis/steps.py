"""Turn one build's log lines into steps, and measure them: duration, weighted time, build summary.

Weighted time follows Chromium's post_build_ninja_summary.py: at every instant the running steps share
that instant equally, so a step's weighted time is the integral of 1/concurrency over its life. Weighted
times add up to the time at least one step was running (the busy wall time), which makes them the fair
answer to "what would the build lose if this step were free".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from buildprof.model.ninja import BuildSpan
from buildprof.model.report import BuildSummary


def group_steps(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per edge: log lines sharing (hash, start, end) are the outputs of one step."""
    grouped = lines.groupby(["cmdhash", "start_ms", "end_ms"], sort=False, observed=True)
    steps = grouped.agg(
        output=("output", "first"),
        n_outputs=("output", "size"),
        line=("line", "min"),
    ).reset_index()
    steps = steps.sort_values("line", kind="stable").reset_index(drop=True)
    steps["output"] = steps["output"].astype(str)
    steps["duration_ms"] = steps["end_ms"] - steps["start_ms"]
    steps["weighted_ms"] = weighted_durations(steps["start_ms"].to_numpy(), steps["end_ms"].to_numpy())
    steps.insert(0, "step", np.arange(len(steps)))
    return steps


def _concurrency(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct boundary times and how many steps run in each interval between two of them."""
    start, end = np.sort(start), np.sort(end)
    times = np.sort(np.concatenate([start, end]))
    times = times[np.concatenate(([True], times[1:] != times[:-1]))]  # np.unique, without its overhead
    started = np.searchsorted(start, times, side="right")
    ended = np.searchsorted(end, times, side="right")
    return times, (started - ended)[:-1]


def weighted_durations(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The integral of 1/concurrency over each [start, end) interval, computed for all at once."""
    if len(start) == 0:
        return np.zeros(0)
    times, running = _concurrency(start, end)
    share = np.diff(times) / np.maximum(running, 1)
    share[running == 0] = 0.0
    cumulative = np.concatenate(([0.0], np.cumsum(share)))
    return cumulative[np.searchsorted(times, end)] - cumulative[np.searchsorted(times, start)]


def busy_time(start: np.ndarray, end: np.ndarray) -> int:
    """Length of the union of the [start, end) intervals: time during which something ran."""
    if len(start) == 0:
        return 0
    times, running = _concurrency(start, end)
    return int(np.diff(times)[running > 0].sum())


def summarize_build(steps: pd.DataFrame, span: BuildSpan) -> BuildSummary:
    """Headline numbers of one build from its steps and where its lines are in the log."""
    start = steps["start_ms"].to_numpy()
    end = steps["end_ms"].to_numpy()
    wall = int(end.max() - start.min()) if len(steps) else 0
    cpu = int(steps["duration_ms"].sum())
    return BuildSummary(
        steps=len(steps),
        outputs=span.end_row - span.first_row,
        wall_ms=wall,
        busy_ms=busy_time(start, end),
        cpu_ms=cpu,
        weighted_ms=float(steps["weighted_ms"].sum()),
        parallelism=round(cpu / wall, 3) if wall else 0.0,
        startup_ms=int(start.min()) if len(steps) else 0,
        first_line=span.first_line,
        last_line=span.last_line,
    )
