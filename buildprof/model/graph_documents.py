"""The documents of the build-graph commands: `critical-path` and `what-if`."""

from typing import Annotated

from msgspec import field

from buildprof.model.graph_report import CriticalPath, SimulatedBuild
from buildprof.model.records import Record, doc
from buildprof.model.report import Document


class CriticalPathDocument(Document, tag="critical-path", kw_only=True):
    """`buildprof critical-path`: the longest chain of dependent steps of the log's last build."""

    build: Annotated[int, doc("the analysed build: its number in the log, 1 = oldest")]
    critical_path: CriticalPath
    simulated: Annotated[
        SimulatedBuild, doc("the build replayed by the simulator at its own -j: how far the model is off")
    ]
    notes: Annotated[list[str], doc("what could not be read or matched")] = field(default_factory=list)


class WhatIfChange(Record):
    """One change a what-if applies to the measured durations."""

    kind: Annotated[str, doc('"speedup" (steps, a target or a header\'s parse time) or "remove-header"')]
    pattern: Annotated[str, doc("what it applies to: a shell pattern on outputs, a target, or a header")]
    factor: Annotated[float | None, doc("how many times faster (null: removed)")]
    matched: Annotated[str, doc('"steps", "target" or "header": how the pattern was understood')]
    steps: Annotated[int, doc("steps whose duration it changes")]
    cpu_saved_ms: Annotated[float, doc("CPU time it takes out of those steps")]


class WhatIfDocument(Document, tag="what-if", kw_only=True):
    """`buildprof what-if`: the log's last build replayed by a simulator of ninja's scheduler, as
    measured and with the asked changes (-j, faster steps or headers, a header removed)."""

    build: Annotated[int, doc("the analysed build: its number in the log, 1 = oldest")]
    measured_wall_ms: Annotated[int, doc("the build's measured wall time")]
    measured_cpu_ms: Annotated[int, doc("sum of its measured step durations")]
    measured_jobs: Annotated[int, doc("the most steps that ran at once: its -j as far as the log shows")]
    as_measured: Annotated[
        SimulatedBuild, doc("the build replayed unchanged at measured_jobs: the simulator's own error")
    ]
    predicted: Annotated[SimulatedBuild, doc("the build replayed with the changes, at --jobs")]
    changes: Annotated[list[WhatIfChange], doc("the changes applied, in order")]
    wall_change_ms: Annotated[int, doc("predicted minus as_measured wall time (the change's own effect)")]
    cpu_change_ms: Annotated[int, doc("predicted minus as_measured CPU time")]
    notes: Annotated[list[str], doc("what could not be read or matched")] = field(default_factory=list)
