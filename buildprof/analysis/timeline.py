"""A build over time: every step on a worker lane, and each compile step's frontend/backend split.

`.ninja_log` does not say which of ninja's workers ran a step; the lanes are those of
analysis/lanes.py (as ninjatracing: the lowest lane free at a step's start), the same the trace
export draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from buildprof.analysis.lanes import assign_lanes
from buildprof.analysis.step_tables import largest
from buildprof.model.report import TIMELINE_STEPS_KEPT, Build, Timeline, TimelineStep

if TYPE_CHECKING:
    import pandas as pd

    from buildprof.analysis.build_steps import BuildSteps


def timeline_of(steps: BuildSteps) -> Timeline:
    """The steps of one build, by start time, on their lanes: every step, or the
    TIMELINE_STEPS_KEPT longest of a larger build (lanes are assigned over all of them first, so each
    keeps the lane it ran on; ties of length go to the step logged first). Only the paths of the
    steps kept are decoded."""
    start = np.asarray(steps["start_ms"], dtype=np.int64)
    end = np.asarray(steps["end_ms"], dtype=np.int64)
    if len(start) > TIMELINE_STEPS_KEPT:  # before the lanes, its temporaries int32: less at the peak
        narrow = np.int32 if int(start.min()) >= -(2**30) and int(end.max()) < 2**30 else np.int64
        chosen = np.sort(largest(np.subtract(end, start, dtype=narrow), TIMELINE_STEPS_KEPT))
    else:
        chosen = np.arange(len(start))
    lanes = assign_lanes(start, end)
    order = chosen[np.lexsort((lanes[chosen], start[chosen]))]
    output = steps.outputs[order].tolist()
    begin, finish, lane = start[order].tolist(), end[order].tolist(), lanes[order].tolist()
    weighted = np.round(np.asarray(steps["weighted_ms"], dtype=np.float64)[order], 3).tolist()
    kind, target = steps.at("kind", order).tolist(), steps.at("target", order).tolist()
    return Timeline(
        lanes=int(lanes.max()) + 1 if len(lanes) else 0,
        steps_total=len(start),
        steps=[
            TimelineStep(
                output=str(output[i]),
                start_ms=begin[i],
                end_ms=finish[i],
                weighted_ms=weighted[i],
                kind=str(kind[i]),
                target=str(target[i]),
                lane=lane[i],
            )
            for i in range(len(order))
        ],
    )


def attach_compile_times(builds: list[Build], units: pd.DataFrame) -> None:
    """Give each compile step its TU's frontend and backend time (ms), from the trace joined to it.

    `units` is the compile-unit table (trace_report's: step_output, frontend_us, backend_us). A TU's
    trace is the one its latest compilation wrote, so with several builds it goes to the latest
    build holding that output.
    """
    joined = units[units["step_output"].notna()]
    split = dict(
        zip(
            joined["step_output"].tolist(),
            zip(joined["frontend_us"].tolist(), joined["backend_us"].tolist(), strict=True),
            strict=True,
        )
    )
    for build in reversed(builds):
        if build.timeline is None or not split:
            continue
        for step in build.timeline.steps:
            times = split.pop(step.output, None)
            if times is not None:
                step.frontend_ms = round(times[0] / 1000, 3)
                step.backend_ms = round(times[1] / 1000, 3)
