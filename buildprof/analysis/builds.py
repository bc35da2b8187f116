"""Tell the ninja invocations in one `.ninja_log` apart, and recognise logs ninja recompacted.

Ninja appends a line when an edge finishes and never writes a separator between invocations. Within one
invocation end times never decrease, and the first edge to finish started when the build started, so
its start time is near the clock origin; a line whose end time goes backwards and whose start is near
zero therefore opens a new build. After `ninja -t recompact` (or the recompaction ninja does on load)
the log holds one line per output in arbitrary order: end times jump back at random points that do not
look like a build starting. Those lines are reported as one unordered span and never analysed as a build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from buildprof.model import BuildSpan, UnorderedSpan

# Ninja's clock starts before it loads the manifest: a large project's first edge may start seconds in.
RESTART_NEAR_ZERO_MS = 10_000
# Ninja starts the first batch of edges one after another; the first to finish may have started a bit
# after the earliest one.
FIRST_BATCH_SPREAD_MS = 2_000


@dataclass
class LogBuilds:
    """The builds found in a log, oldest first, and the span ninja recompacted (if any)."""

    builds: list[BuildSpan] = field(default_factory=list)
    unordered: UnorderedSpan | None = None


def split_builds(entries: pd.DataFrame) -> LogBuilds:
    """Split the valid log lines (in file order) into builds; see the module docstring for the rule."""
    n = len(entries)
    if n == 0:
        return LogBuilds()
    start = entries["start_ms"].to_numpy()
    end = entries["end_ms"].to_numpy()
    lines = entries["line"].to_numpy()
    jumps = np.flatnonzero(end[1:] < end[:-1]) + 1
    seg_first = np.concatenate(([0], jumps))
    seg_end = np.concatenate((jumps, [n]))
    seg_min_start = np.minimum.reduceat(start, seg_first)
    first_start = start[seg_first]
    opens_build = (seg_min_start <= RESTART_NEAR_ZERO_MS) & (
        first_start - seg_min_start <= FIRST_BATCH_SPREAD_MS
    )
    result = LogBuilds()
    not_builds = np.flatnonzero(~opens_build)
    first_build_segment = 0
    if len(seg_first) > 1 and not_builds.size:  # a single ordered segment is always one build
        last_bad = int(not_builds[-1])
        stop = int(seg_end[last_bad])
        result.unordered = UnorderedSpan(0, stop, int(lines[0]), int(lines[stop - 1]))
        first_build_segment = last_bad + 1
    for k in range(first_build_segment, len(seg_first)):
        a, b = int(seg_first[k]), int(seg_end[k])
        result.builds.append(BuildSpan(len(result.builds), a, b, int(lines[a]), int(lines[b - 1])))
    return result
