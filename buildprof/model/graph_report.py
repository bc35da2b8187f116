"""Records of the scheduling analyses: the critical path of a build, slack, drag, simulated builds.

Times are milliseconds measured in the analysed build (`.ninja_log`), or predicted from them. The
definitions follow Fuchsia's ninjago (tools/build/ninjago/ninjagraph) and the critical path method:
with unlimited parallelism every step starts as soon as every edge it waits for is done (explicit,
implicit and order-only inputs); `earliest start` is then the longest chain of measured durations
before it, and `latest start` the latest it could start without making the whole build longer.
"""

from typing import Annotated

from buildprof.model.records import Record, doc


class CriticalPathStep(Record):
    """One step of the critical path, in path order."""

    output: Annotated[str, doc("the step's first output, as the log names it")]
    kind: Annotated[str, doc("compile, link, archive, codegen, configure or other")]
    target: Annotated[str, doc("the CMake target (or best guess) the output belongs to")]
    edge: Annotated[int, doc("the build statement's index in the manifest (ninja's edge order)")]
    duration_ms: Annotated[int, doc("measured duration in the analysed build")]
    start_ms: Annotated[
        int, doc("offset on the path: the sum of the durations of the path's steps before it")
    ]
    slack_ms: Annotated[
        int,
        doc("total float: how much later it could start (unlimited cores) without a longer build; 0 here"),
    ]
    drag_ms: Annotated[
        int,
        doc(
            "how much shorter the build's ideal wall time gets if this step took no time: its duration, "
            "capped by the smallest slack of any step that runs in parallel with it (ninjago's drag)"
        ),
    ]


class StepSlack(Record):
    """A step that ran, with its slack: how far it is from being on the critical path."""

    output: Annotated[str, doc("the step's first output, as the log names it")]
    kind: Annotated[str, doc("compile, link, archive, codegen, configure or other")]
    target: Annotated[str, doc("the CMake target (or best guess) the output belongs to")]
    duration_ms: Annotated[int, doc("measured duration in the analysed build")]
    earliest_start_ms: Annotated[int, doc("the earliest it can start with unlimited cores")]
    slack_ms: Annotated[int, doc("total float: latest start minus earliest start (unlimited cores)")]


class CriticalPath(Record):
    """The longest chain of dependent steps of the analysed build, by measured duration."""

    steps: Annotated[
        list[CriticalPathStep], doc("the path's steps that ran, first to last (phony edges left out)")
    ]
    length_ms: Annotated[int, doc("the path's length: the sum of its steps' measured durations")]
    ideal_wall_ms: Annotated[
        int, doc("the build's wall time with unlimited cores and no overhead: the path's length")
    ]
    wall_ms: Annotated[int, doc("the build's measured wall time: last step end minus first step start")]
    cpu_ms: Annotated[int, doc("sum of the measured durations of the steps that ran")]
    path_share: Annotated[
        float, doc("length_ms / wall_ms: 1.0 means the build waited on nothing but the path")
    ]
    steps_ran: Annotated[int, doc("steps of the analysed build")]
    steps_unmatched: Annotated[
        int, doc("steps whose outputs the manifest does not write (it changed since the build); left out")
    ]
    edges_needed: Annotated[int, doc("build statements the build's targets need, phony ones included")]
    least_slack: Annotated[
        list[StepSlack], doc("steps that ran with the least slack (ties by duration, longest first)")
    ]
    most_slack: Annotated[list[StepSlack], doc("steps that ran with the most slack")]


class SimulatedBuild(Record):
    """A build replayed by the simulator of ninja 1.11's scheduler, against the measured one."""

    jobs: Annotated[int, doc("parallel jobs simulated (-j); 0 means unlimited")]
    steps: Annotated[int, doc("steps simulated (phony edges left out)")]
    predicted_wall_ms: Annotated[int, doc("predicted wall time: the last simulated step's end")]
    cpu_ms: Annotated[int, doc("sum of the simulated steps' durations")]
    measured_wall_ms: Annotated[int | None, doc("the analysed build's measured wall time, when compared")]
    error: Annotated[
        float | None,
        doc("(predicted - measured) / measured wall time; negative when the prediction is shorter"),
    ]
