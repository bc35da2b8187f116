"""The records of the build history: one recorded build (its commit, configuration, machine and
costs), as `buildprof record` stores it and every history command reads it back.

A recorded build keeps summaries, never the raw traces: the totals of the analysed build, every
target's steps, every header clang's traces show (clang leaves out includes under its granularity),
and the most expensive template sets. All times are milliseconds (floats: trace times keep their
microseconds).
"""

from typing import Annotated

from msgspec import field

from buildprof.model.records import Record, doc

TEMPLATE_SETS_KEPT = 500  # template sets (arguments collapsed) kept per build, most expensive first


class CommitInfo(Record, frozen=True):
    """The commit a build was made from, as far as it could be told (never an error: see `note`)."""

    sha: Annotated[str | None, doc("full commit id; null when unknown")] = None
    parents: Annotated[tuple[str, ...], doc("parent commit ids (empty when unknown or shallow)")] = ()
    branch: Annotated[str | None, doc("branch name; null on a detached HEAD without --branch")] = None
    commit_time: Annotated[str | None, doc("committer date, ISO 8601 with its UTC offset")] = None
    subject: Annotated[str | None, doc("first line of the commit message")] = None
    dirty: Annotated[bool | None, doc("uncommitted changes to tracked files; null when unknown")] = None
    shallow: Annotated[bool | None, doc("the checkout is a shallow clone (history cut)")] = None
    repository: Annotated[str | None, doc("the checkout's top folder")] = None
    source: Annotated[str, doc('"git", "given" (options, BUILDPROF_* variables), "git+given", "none"')] = (
        "none"
    )
    note: Annotated[str | None, doc("why something is unknown (no git, not a checkout, ...)")] = None


class MachineInfo(Record, frozen=True):
    """Where the build ran (recorded where `buildprof record` runs: the build's machine in CI)."""

    host: Annotated[str, doc("host name, or BUILDPROF_MACHINE")]
    cores: Annotated[int, doc("logical CPUs")]
    system: Annotated[str, doc('e.g. "Linux-6.1.0-x86_64"')]


class BuildTotals(Record):
    """The headline numbers of one build; null where the input that gives them was absent."""

    wall_ms: Annotated[float | None, doc("first step start to last step end (.ninja_log)")] = None
    busy_ms: Annotated[float | None, doc("time at least one step ran")] = None
    cpu_ms: Annotated[float | None, doc("sum of step durations")] = None
    steps: Annotated[int | None, doc("steps that ran")] = None
    compile_ms: Annotated[float | None, doc("sum of compile-step durations")] = None
    link_ms: Annotated[float | None, doc("sum of link-step durations")] = None
    tus: Annotated[int | None, doc("translation units with a trace in scope")] = None
    trace_ms: Annotated[float | None, doc("sum of the TUs' traced compile time")] = None
    frontend_ms: Annotated[float | None, doc("of which frontend (parsing, templates)")] = None
    backend_ms: Annotated[float | None, doc("of which backend (optimisation, code generation)")] = None
    parse_ms: Annotated[float | None, doc("of which parsing included files (sum over TUs)")] = None


class TargetCost(Record, frozen=True):
    """One target's steps in the build (CMake target, else library or program)."""

    name: str
    steps: int
    cpu_ms: Annotated[float, doc("sum of its step durations")]
    weighted_ms: Annotated[float, doc("its steps' durations, each divided by the steps running with it")]
    trace_ms: Annotated[float, doc("its TUs' traced compile time (0 without traces)")] = 0.0


class HeaderCost(Record, frozen=True):
    """One included file's parse cost over the build's TUs (from their traces)."""

    path: str
    incl_ms: Annotated[float, doc("inclusive parse time, summed over every inclusion")]
    self_ms: Annotated[float, doc("parse time of the file itself")]
    count: Annotated[int, doc("times included (in traces)")]
    tus: Annotated[int, doc("TUs whose traces show it")]


class TemplateCost(Record, frozen=True):
    """One template set (arguments collapsed, e.g. `std::vector<$>`), recursion counted once."""

    name: str
    incl_ms: float
    count: int
    tus: int


class BuildCosts(Record, kw_only=True):
    """What a build folder says about one build: its totals and costs by target, header, template."""

    build_dir: str
    log_build: Annotated[int | None, doc("which build of the .ninja_log (0-based); null without one")] = None
    totals: BuildTotals
    targets: Annotated[list[TargetCost], doc("every target, most CPU time first")] = field(
        default_factory=list
    )
    headers: Annotated[list[HeaderCost], doc("every header the traces show")] = field(default_factory=list)
    templates: Annotated[list[TemplateCost], doc(f"the {TEMPLATE_SETS_KEPT} most expensive sets")] = field(
        default_factory=list
    )


class RecordedBuild(Record, kw_only=True):
    """A build as the history holds it: its costs and what it was built from, where and when."""

    id: Annotated[int | None, doc("the history's id for it (null before it is stored)")] = None
    commit: CommitInfo
    label: Annotated[str, doc('configuration, e.g. "clang19-release" (default "default")')] = "default"
    machine: MachineInfo
    recorded_at: Annotated[str, doc("when it was recorded, ISO 8601 UTC")]
    generator: Annotated[str, doc('"buildprof <version>"')]
    costs: BuildCosts


class TrendPoint(Record, frozen=True):
    """One recorded build's value of a series."""

    build_id: int
    commit: Annotated[str | None, doc("full commit id")]
    commit_time: Annotated[str | None, doc("committer date, ISO 8601")]
    recorded_at: str
    value: Annotated[float | None, doc("milliseconds; null when the build has no such target/header")]


class TrendSeries(Record, kw_only=True):
    """One measure over the recorded builds of a label, oldest commit first."""

    metric: Annotated[str, doc('"wall", "cpu", "trace", "target:NAME", "header:PATH" or "template:NAME"')]
    title: Annotated[str, doc("what it is, in words")]
    points: list[TrendPoint] = field(default_factory=list)
    noise: Annotated[float | None, doc("typical relative build-to-build noise (robust), null if too few")] = (
        None
    )
    change_points: Annotated[list[int], doc("indices of points where a new level starts")] = field(
        default_factory=list
    )
