"""Turn one build's log lines into steps, and measure them: duration, weighted time, build summary.

Weighted time follows Chromium's post_build_ninja_summary.py: at every instant the running steps share
that instant equally, so a step's weighted time is the integral of 1/concurrency over its life. Weighted
times add up to the time at least one step was running (the busy wall time), which makes them the fair
answer to "what would the build lose if this step were free".
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from buildprof.model.ninja import BuildSpan, OutputPaths
from buildprof.model.report import BuildSummary

if TYPE_CHECKING:
    import pandas as pd

_HASHED_UNIQUENESS = 100_000  # keys from here on are checked with pandas' hash table, fewer by a sort
_CHUNK = 1 << 16  # boundaries per chunk of the weighted times' temporary arrays


def group_steps(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per edge: log lines sharing (hash, start, end) are the outputs of one step."""
    columns = {name: lines[name].to_numpy() for name in ("cmdhash", "start_ms", "end_ms", "line")}
    firsts, sizes = step_rows(columns["cmdhash"], columns["start_ms"], columns["end_ms"])
    return steps_frame(columns, lines["output"].to_numpy(dtype=object)[firsts], firsts, sizes)


def steps_of_log(
    columns: Mapping[str, np.ndarray], paths: OutputPaths, span: BuildSpan
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The steps of one build of a parsed log (NinjaLog.columns and .paths), the log row of each
    step's first line and its output (an object array): only these paths are decoded."""
    part = {name: columns[name][span.first_row : span.end_row] for name in ("cmdhash", "start_ms", "end_ms")}
    part["line"] = columns["line"][span.first_row : span.end_row]
    firsts, sizes = step_rows(part["cmdhash"], part["start_ms"], part["end_ms"])
    outputs = paths.of(firsts + span.first_row)
    return steps_frame(part, outputs, firsts, sizes), firsts + span.first_row, outputs


def step_rows(cmdhash: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each step (lines sharing hash, start and end) and its number of lines, in the
    order of first rows.

    Ninja logs the outputs of an edge one after another, so a step's lines are normally adjacent:
    that case is found with one comparison of neighbours, checked by a hash of each step's key being
    unique; otherwise (or on a hash collision) the lines are grouped exactly by their key.
    """
    n = len(start)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    new = np.ones(n, dtype=bool)
    new[1:] = (cmdhash[1:] != cmdhash[:-1]) | (start[1:] != start[:-1]) | (end[1:] != end[:-1])
    firsts = np.flatnonzero(new)
    key = cmdhash[firsts].astype(np.uint64)
    key ^= start[firsts].astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    key ^= end[firsts].astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    if _all_different(key):
        return firsts, np.diff(np.append(firsts, n))
    import pandas as pd

    keys = pd.DataFrame({"cmdhash": cmdhash, "start_ms": start, "end_ms": end})
    codes = keys.groupby(["cmdhash", "start_ms", "end_ms"], sort=False).ngroup().to_numpy()
    seen_before = np.maximum.accumulate(np.concatenate(([-1], codes[:-1])))
    return np.flatnonzero(codes > seen_before), np.bincount(codes)


def _all_different(key: np.ndarray) -> bool:
    """Whether no two keys are equal: by a sort when there are few (a `trace` of a log's last build
    then never imports pandas, 0.15 s), by pandas' hash table when there are many and pandas is
    imported already (0.01 s faster on a million keys; importing it costs 0.15 s and 30 MB)."""
    if len(key) < _HASHED_UNIQUENESS or "pandas" not in sys.modules:
        ordered = np.sort(key)
        return bool((ordered[1:] != ordered[:-1]).all())
    import pandas as pd

    return bool(pd.Index(key).is_unique)


def steps_frame(
    columns: Mapping[str, np.ndarray], outputs: np.ndarray, firsts: np.ndarray, sizes: np.ndarray
) -> pd.DataFrame:
    """The steps DataFrame (STEP_COLUMNS but kind and target) of steps starting at rows `firsts`."""
    import pandas as pd

    start, end = columns["start_ms"][firsts], columns["end_ms"][firsts]
    steps = pd.DataFrame(
        {
            "step": np.arange(len(firsts)),
            "cmdhash": columns["cmdhash"][firsts],
            "start_ms": start,
            "end_ms": end,
            "output": pd.Series(outputs, dtype=object, copy=False).astype(str),
            "n_outputs": sizes.astype(np.int64, copy=False),
            "line": columns["line"][firsts].astype(np.int64, copy=False),  # the log's may be int32
            "duration_ms": end - start,
            "weighted_ms": weighted_durations(start, end),
        }
    )
    return steps


def _concurrency(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct boundary times and how many steps run in each interval between two of them
    (int32 when that can hold them).

    A million steps' boundaries are 16 MB an array and this is a build's peak memory after the
    classification: the times are int32 when they fit (a build of under 24 days: always), the
    distinct ones are moved to the front of the sorted ones in place, and the counts are computed a
    chunk at a time. The boundaries are the same numbers, so every sum and share is the same."""
    # Stable sorts are timsort or radix sorts: a build's ends are already in order and its starts
    # nearly so, and the two sorted halves merge in one pass (several times faster than quicksort).
    kind = _time_type(start, end)
    start, end = start.astype(kind), end.astype(kind)
    start.sort(kind="stable")
    end.sort(kind="stable")
    times = np.concatenate([start, end])
    times.sort(kind="stable")  # in place: one array of the boundaries less at the peak
    distinct = np.empty(len(times), dtype=bool)
    distinct[0] = True
    np.not_equal(times[1:], times[:-1], out=distinct[1:])
    kept = 0
    for a in range(0, len(times), _CHUNK):  # np.unique without its copies: each chunk's kept times
        chosen = times[a : a + _CHUNK][distinct[a : a + _CHUNK]]  # (a copy) go where kept ones end
        times[kept : kept + len(chosen)] = chosen
        kept += len(chosen)
    del distinct
    running = np.empty(kept, dtype=np.int32 if len(start) < 2**31 else np.int64)
    for a in range(0, kept, _CHUNK):  # a chunk at a time: no int64 arrays of the counts
        part = times[a : min(a + _CHUNK, kept)]
        running[a : a + len(part)] = np.searchsorted(start, part, side="right") - np.searchsorted(
            end, part, side="right"
        )
    del start, end
    return times[:kept].copy(), running[:-1]  # the copy lets the longer array go


def _time_type(start: np.ndarray, end: np.ndarray) -> type:
    """int32 if every start and end fits in it, else int64."""
    fits = len(start) and int(start.min()) >= -(2**31) and int(end.max()) < 2**31
    return np.int32 if fits else np.int64


def weighted_durations(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The integral of 1/concurrency over each [start, end) interval, computed for all at once."""
    return weighted_and_busy(start, end)[0]


def weighted_and_busy(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, int]:
    """weighted_durations and busy_time from one pass over the boundaries (half the work of both).

    Each interval's share of time (its length over the steps running in it, 0 when none runs) is
    computed a chunk at a time, the lengths never held whole: a million steps' boundaries are
    16 MB an array, and this is a build's peak memory after the classification."""
    if len(start) == 0:
        return np.zeros(0), 0
    times, running = _concurrency(start, end)
    share = np.empty(len(running))
    busy = 0
    for a in range(0, len(running), _CHUNK):
        gaps, counts = np.diff(times[a : a + _CHUNK + 1]), running[a : a + _CHUNK]
        idle = counts == 0
        busy += int(gaps[~idle].sum())
        part = share[a : a + _CHUNK]
        np.divide(gaps, np.maximum(counts, 1), out=part)
        part[idle] = 0.0
    del running
    np.cumsum(share, out=share)  # in place: share[k] is the time shared up to boundary k + 1
    weighted = np.empty(len(start))
    for a in range(0, len(start), _CHUNK):  # the step's shared time up to its end, less up to its start
        part = weighted[a : a + _CHUNK]
        part[:] = _shared_until(times, share, end[a : a + _CHUNK])
        part -= _shared_until(times, share, start[a : a + _CHUNK])
    return weighted, busy


def _shared_until(times: np.ndarray, cumulative: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The cumulative share of time up to each boundary time `at` (0.0 at the first boundary)."""
    k = np.searchsorted(times, at.astype(times.dtype))  # of the same type: no converted copy of times
    found = cumulative[np.maximum(k - 1, 0)]
    found[k == 0] = 0.0
    return found


def busy_time(start: np.ndarray, end: np.ndarray) -> int:
    """Length of the union of the [start, end) intervals: time during which something ran."""
    if len(start) == 0:
        return 0
    times, running = _concurrency(start, end)
    return int(np.diff(times)[running > 0].sum())


def summarize_build(steps, span: BuildSpan, busy_ms: int | None = None) -> BuildSummary:
    """Headline numbers of one build from its steps (a DataFrame or build_steps.BuildSteps: columns
    by name) and where its lines are in the log; `busy_ms` when known (weighted_and_busy)."""
    start = np.asarray(steps["start_ms"])
    end = np.asarray(steps["end_ms"])
    wall = int(end.max() - start.min()) if len(steps) else 0
    cpu = int(steps["duration_ms"].sum())
    return BuildSummary(
        steps=len(steps),
        outputs=span.end_row - span.first_row,
        wall_ms=wall,
        busy_ms=busy_time(start, end) if busy_ms is None else busy_ms,
        cpu_ms=cpu,
        weighted_ms=float(steps["weighted_ms"].sum()),
        parallelism=round(cpu / wall, 3) if wall else 0.0,
        startup_ms=int(start.min()) if len(steps) else 0,
        first_line=span.first_line,
        last_line=span.last_line,
    )
