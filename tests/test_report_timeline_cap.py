"""A build's timeline in the report keeps every step up to TIMELINE_STEPS_KEPT, then the longest ones,
each on the lane it ran on (lanes are assigned over all steps first)."""

from __future__ import annotations

import numpy as np

from buildprof.analysis.build_steps import BuildSteps
from buildprof.analysis.lanes import assign_lanes
from buildprof.analysis.timeline import timeline_of
from buildprof.model.report import TIMELINE_STEPS_KEPT


def _steps(n: int, seed: int = 3) -> BuildSteps:
    rng = np.random.default_rng(seed)
    start = np.sort(rng.integers(0, 10 * n, n))
    end = start + rng.integers(1, 5_000, n)
    columns = {
        "start_ms": start,
        "end_ms": end,
        "duration_ms": end - start,
        "weighted_ms": (end - start) / 3,
        "kind": np.full(n, "compile", dtype=object),
        "target": np.full(n, "t", dtype=object),
    }
    return BuildSteps(columns, np.array([f"obj/{k}.o" for k in range(n)], dtype=object))


def test_a_small_build_keeps_every_step():
    steps = _steps(500)
    timeline = timeline_of(steps)
    assert timeline.steps_total == len(timeline.steps) == 500


def test_a_large_build_keeps_its_longest_steps_on_their_lanes():
    n = TIMELINE_STEPS_KEPT + 5_000
    steps = _steps(n)
    timeline = timeline_of(steps)
    assert timeline.steps_total == n and len(timeline.steps) == TIMELINE_STEPS_KEPT
    durations = steps["end_ms"] - steps["start_ms"]
    shortest_kept = min(s.end_ms - s.start_ms for s in timeline.steps)
    assert (durations > shortest_kept).sum() <= TIMELINE_STEPS_KEPT  # nothing longer was dropped
    assigned = assign_lanes(steps["start_ms"], steps["end_ms"])
    lanes = dict(zip(steps.outputs, assigned, strict=True))
    assert all(s.lane == lanes[s.output] for s in timeline.steps)
    assert [s.start_ms for s in timeline.steps] == sorted(s.start_ms for s in timeline.steps)
    assert timeline.lanes == max(lanes.values()) + 1
