"""Tell the ninja invocations in one `.ninja_log` apart, and recognise logs ninja recompacted.

Ninja appends a line when an edge finishes and never writes a separator between invocations. Within one
invocation end times never decrease, so a new build can only start where the end time goes backwards,
and it starts there when the new line looks like the first line of a ninja run:

- its start is near the clock origin (the first edges start right after ninja loads the manifest), and
  the first line to finish started with the first batch, so no later line of its run started much
  before it;
- when the mtime column holds wall-clock nanoseconds (ninja 1.9 and later), the run it opens began after
  every earlier line had finished. The mtime is the output's mtime after the command (v5) or the time
  the command started (v6, v7), so `mtime - end` (v5) or `mtime - start` (v6, v7) is the wall-clock
  time of the run's clock origin: the same for every line of a run, and later than the wall-clock end
  of every line of the runs before. The median over a run is used, so that the odd line with an older
  mtime (a restat edge that left its output alone) does not matter.

A recompacted log (`ninja -t recompact`, or the recompaction ninja does on load) holds one line per
output in hash-table order: end times jump back at random places whose lines do not pass the tests
above. Recompaction rewrites the whole file, so such a block is always at the top and never holds an
output twice; everything up to the last place that fails the tests with no repeated output before it
is reported as one unordered span and never analysed as a build. Past a repeated output the log can
only be appended runs, so there every backward jump starts a build.

The build that recompacted the log on load follows the block directly; if its first line happens to
end later than the block's last line (no backward jump), it is found by the wall clock alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from buildprof.model.ninja import BuildSpan, NinjaLog, UnorderedSpan

if TYPE_CHECKING:
    import pandas as pd

# Ninja's clock starts before it loads the manifest: a large project's first edge may start seconds in.
RESTART_NEAR_ZERO_MS = 10_000
# Ninja starts the first batch of edges one after another; the first to finish may have started a bit
# after the earliest one.
FIRST_BATCH_SPREAD_MS = 2_000
# File-system timestamp granularity (up to 2 s on some file systems) plus the drift between ninja's
# steady clock and the wall clock over a long build (NTP slews at most 0.05%).
CLOCK_TOLERANCE_MS = 2_000
CLOCK_DRIFT = 0.001
# mtimes between these are nanoseconds since the epoch (2001-09-09 to 2096); ninja before 1.9 wrote
# seconds, and an output that did not exist is logged with mtime 0.
_EPOCH_NS = (10**18, 4 * 10**18)
_MAX_CANDIDATES = 64  # rows tried as the start of a run hidden at the end of a recompacted block


@dataclass
class LogBuilds:
    """The builds found in a log, oldest first, and the span ninja recompacted (if any)."""

    builds: list[BuildSpan] = field(default_factory=list)
    unordered: UnorderedSpan | None = None
    wall_clock: bool = False  # whether the mtimes could date the runs (see the module docstring)


def split_builds(entries: pd.DataFrame | NinjaLog, version: int | None = None) -> LogBuilds:
    """Split the valid log lines (in file order) into builds; see the module docstring for the rule.

    `entries` is the parsed log (its numpy columns are used) or its lines as a DataFrame. `version` is
    the log version (it says what the mtime column means); by default it is the log's, or for a
    DataFrame `entries.attrs["ninja_log_version"]`, which the parser sets.
    """
    if isinstance(entries, NinjaLog):
        version = entries.version if version is None else version
        columns, paths = entries.columns, entries.paths

        def repeated_rows() -> np.ndarray:
            return _repeated_codes(paths.codes()[0])

    else:
        if version is None:
            version = entries.attrs.get("ninja_log_version")
        columns = entries

        def repeated_rows() -> np.ndarray:
            return np.flatnonzero(entries["output"].duplicated().to_numpy())

    n = len(columns["line"])
    if n == 0:
        return LogBuilds()
    start = np.asarray(columns["start_ms"])
    end = np.asarray(columns["end_ms"])
    lines = np.asarray(columns["line"])
    origin = run_origins(columns, version)
    jumps = np.flatnonzero(end[1:] < end[:-1]) + 1
    seg_first = np.concatenate(([0], jumps))
    seg_end = np.concatenate((jumps, [n]))
    opens_run = _starts_near_origin(start, seg_first)
    if origin is not None:
        opens_run &= _ran_after_earlier_runs(origin, end, seg_first, seg_end)
    result = LogBuilds(wall_clock=origin is not None and bool(np.isfinite(origin).any()))
    first_build_row = 0
    not_runs = np.flatnonzero(~opens_run[1:]) + 1  # the first segment opens the log, whatever it holds
    # A recompacted block holds each output once: a place after a repeated output cannot end one, and
    # a jump back there is simply the next build (its first line may just carry a stale mtime).
    if not_runs.size:
        repeated = repeated_rows()
        if repeated.size:
            not_runs = not_runs[seg_first[not_runs] <= repeated[0]]
    if not_runs.size:
        last_bad = int(not_runs[-1])
        first_build_row = int(seg_end[last_bad])
        if origin is not None:
            first_build_row = _block_end(origin, start, end, seg_first, seg_end, last_bad)
        result.unordered = UnorderedSpan(0, first_build_row, int(lines[0]), int(lines[first_build_row - 1]))
    firsts = [int(a) for a in seg_first if a > first_build_row]
    if first_build_row < n:
        firsts.insert(0, first_build_row)
    for a, b in zip(firsts, [*firsts[1:], n], strict=False):
        result.builds.append(BuildSpan(len(result.builds), a, b, int(lines[a]), int(lines[b - 1])))
    return result


def _repeated_codes(codes: np.ndarray) -> np.ndarray:
    """Rows whose path code appeared on an earlier row, in order."""
    rows = np.arange(len(codes))
    first = np.full(int(codes.max()) + 1, len(codes), dtype=np.int64)
    np.minimum.at(first, codes, rows)  # each code's first row
    return np.flatnonzero(first[codes] != rows)


def run_origins(entries, version: int | None) -> np.ndarray | None:
    """Wall-clock time (ms since the epoch) of each line's run clock origin; NaN where unknown.

    `entries` maps column names to the lines' values (NinjaLog.columns or the DataFrame); None when
    the log version does not say what its mtimes mean.
    """
    if version is None:
        return None
    mtime = np.asarray(entries["mtime"])
    reference = np.asarray(entries["end_ms" if version <= 5 else "start_ms"])
    origin = mtime / 1e6 - reference
    origin[(mtime < _EPOCH_NS[0]) | (mtime > _EPOCH_NS[1])] = np.nan
    return origin


def _starts_near_origin(start: np.ndarray, seg_first: np.ndarray) -> np.ndarray:
    """Per segment: does its first line look like the first line a ninja run writes?"""
    seg_min_start = np.minimum.reduceat(start, seg_first)
    first_start = start[seg_first]
    return (first_start <= RESTART_NEAR_ZERO_MS) & (first_start - seg_min_start <= FIRST_BATCH_SPREAD_MS)


def _ran_after_earlier_runs(
    origin: np.ndarray, end: np.ndarray, seg_first: np.ndarray, seg_end: np.ndarray
) -> np.ndarray:
    """Per segment: did its run start after every earlier segment's run had finished (wall clock)?

    True where the mtimes cannot tell (no line with a wall-clock mtime on either side).
    """
    run_origin = _segment_medians(origin, seg_first, seg_end)
    seg_longest = np.maximum.reduceat(end, seg_first).astype(float)
    finished = np.where(np.isfinite(run_origin), run_origin + seg_longest, -np.inf)
    latest_before = np.maximum.accumulate(np.concatenate(([-np.inf], finished[:-1])))
    longest_before = np.maximum.accumulate(np.concatenate(([0.0], seg_longest[:-1])))
    tolerance = CLOCK_TOLERANCE_MS + CLOCK_DRIFT * longest_before
    unknown = ~np.isfinite(run_origin) | ~np.isfinite(latest_before)
    return unknown | (run_origin >= latest_before - tolerance)


def _segment_medians(values: np.ndarray, seg_first: np.ndarray, seg_end: np.ndarray) -> np.ndarray:
    """The (lower) median of the finite values of each segment; NaN for a segment without any."""
    segment = np.repeat(np.arange(len(seg_first)), seg_end - seg_first)
    finite = np.isfinite(values)
    order = np.lexsort((values, ~finite, segment))  # by segment, finite values first, ascending
    counts = np.bincount(segment[finite], minlength=len(seg_first))
    middle = seg_first + np.maximum(counts - 1, 0) // 2
    medians = values[order][middle]
    medians[counts == 0] = np.nan
    return medians


def _block_end(
    origin: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    seg_first: np.ndarray,
    seg_end: np.ndarray,
    last_bad: int,
) -> int:
    """First row after a recompacted block whose last disordered segment is `last_bad`, by the clock.

    The run that follows the block may hide inside that segment (its first line ended later than the
    block's last line), or the next segment may begin with block lines whose end times happened to
    increase; in both cases the first row that starts a run by the wall clock is where the block ends.
    """
    block_end = int(seg_end[last_bad])
    hidden = _first_run_start(origin, start, end, int(seg_first[last_bad]) + 1, block_end)
    if hidden is not None or last_bad + 1 == len(seg_first):
        return block_end if hidden is None else hidden
    next_end = int(seg_end[last_bad + 1])
    found = _first_run_start(origin, start, end, block_end, next_end)
    return block_end if found is None else found


def _first_run_start(
    origin: np.ndarray, start: np.ndarray, end: np.ndarray, first: int, stop: int
) -> int | None:
    """First row of [first, stop) that starts a run going on to `stop`, by the wall clock, or None.

    That row starts near the clock origin, and it and the rows after it (by their median) began after
    every row before it had finished.
    """
    if first >= stop:
        return None
    wall_end = np.where(np.isfinite(origin[:stop]), origin[:stop] + end[:stop], -np.inf)
    latest_before = np.maximum.accumulate(np.concatenate(([-np.inf], wall_end[:-1])))[first:stop]
    tolerance = CLOCK_TOLERANCE_MS + CLOCK_DRIFT * int(end[:stop].max())
    rows_start = start[first:stop]
    later_min_start = np.minimum.accumulate(rows_start[::-1])[::-1]
    candidates = np.flatnonzero(
        (origin[first:stop] >= latest_before - tolerance)  # False for NaN origins
        & (rows_start <= RESTART_NEAR_ZERO_MS)
        & (rows_start - later_min_start <= FIRST_BATCH_SPREAD_MS)
    )
    for k in candidates[:_MAX_CANDIDATES].tolist():
        rest = origin[first + k : stop]
        if np.median(rest[np.isfinite(rest)]) >= latest_before[k] - tolerance:
            return first + k
    return None
