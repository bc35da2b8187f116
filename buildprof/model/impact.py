"""What touching a header costs, from the build graph (`.ninja_deps`, `build.ninja`) and the log."""

from typing import Annotated

from msgspec import field

from buildprof.model.records import Record, doc


class RebuildImpact(Record):
    """Who includes a header (exact, from `.ninja_deps`) and what ninja reruns when it changes."""

    file: Annotated[str, doc("the header, as the compiler reported it (absolute)")]
    tus: Annotated[int, doc("translation units whose .ninja_deps record lists it (exact)")]
    targets: Annotated[list[str], doc("the targets those translation units belong to")]
    steps: Annotated[int, doc("steps a plain `ninja` reruns after touching it (compiles, archives, links)")]
    compiles: Annotated[int, doc("of which compiles")]
    cpu_ms: Annotated[float, doc("sum of those steps' durations, each as the log last measured it")]
    wall_ms: Annotated[float | None, doc("the rebuild's wall time at `jobs`, simulated; null without")] = None
    jobs: Annotated[int | None, doc("parallelism the wall time assumes (the analysed build's)")] = None
    unmeasured: Annotated[int, doc("steps in the rebuild the log never measured (counted as 0 ms)")] = 0
    outputs: Annotated[list[str], doc("the first output of each step it reruns")] = field(
        default_factory=list
    )
    changes: Annotated[int | None, doc("commits that changed it in the git window; null without git")] = None
    commits: Annotated[int | None, doc("commits in the git window")] = None
    expected_ms_per_commit: Annotated[
        float | None, doc("changes / commits x cpu_ms: what it costs per commit on average")
    ] = None
