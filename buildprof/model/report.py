"""The report documents: what every command produces, declared once (msgspec Structs).

Analysis returns these records, the pipeline assembles a document, renderers read its attributes,
and the JSON output is the document itself (msgspec encodes it in field order). docs/formats.md's
field tables and docs/report.schema.json are generated from these declarations
(scripts/gen_formats.py; a test keeps them in step). The trace sections are in model/trace_report.py.

Units: `_ms` fields are milliseconds (integers from `.ninja_log`, floats kept to the microsecond from
traces), `_us` fields integer microseconds.
"""

from typing import Annotated, Literal

from msgspec import field

from buildprof.model import SCHEMA_VERSION
from buildprof.model.churn import FileChurn
from buildprof.model.graph_report import CriticalPath
from buildprof.model.impact import RebuildImpact
from buildprof.model.records import Record, doc
from buildprof.model.trace_report import (
    FunctionRow,
    HeaderRow,
    Listing,
    TemplateRow,
    TraceInput,
    TraceScope,
    TracesSection,
    WhySection,
)


class SkippedInput(Record):
    """An input that was there but was not read."""

    path: str
    message: Annotated[str, doc("why: a FIFO, socket or device, a dangling link or loop, unreadable")]


# ---- the ninja log


class BuildSpanRow(Record):
    """Where one build is in the log."""

    index: Annotated[int, doc("which build (0-based, oldest first)")]
    first_line: int
    last_line: int
    lines: Annotated[int, doc("its log lines")]


class UnorderedRow(Record):
    """A span ninja recompacted: one line per output, arbitrary order; not a build, not analysed."""

    first_line: int
    last_line: int
    lines: int
    message: str


class ProblemRow(Record):
    """A damaged log line that was skipped."""

    line: Annotated[int, doc("line number (1 is the header)")]
    message: Annotated[str, doc("what is wrong with it")]
    text: Annotated[str, doc("its start, TABs shown as \\t")]


class NinjaLogFacts(Record):
    """What the `.ninja_log` held."""

    path: str
    version: Annotated[int, doc("format version: 5, 6 or 7")]
    lines: Annotated[int, doc("lines after the header")]
    valid_lines: Annotated[int, doc("those that could be read")]
    builds_found: Annotated[int, doc("ninja invocations told apart in the log")]
    build_spans: Annotated[list[BuildSpanRow], doc("every build, oldest first")]
    unordered: Annotated[UnorderedRow | None, doc("a recompacted span, if any")]
    problems_total: Annotated[int, doc("damaged lines, all counted")]
    problems: Annotated[list[ProblemRow], doc("the first 1000 damaged lines")]


class ManifestFacts(Record):
    """The `build.ninja` read to classify steps by rule."""

    path: str
    outputs: Annotated[int, doc("outputs it declares (explicit and implicit)")]


class BuildSummary(Record):
    """The headline numbers of one build (times in ms)."""

    steps: Annotated[int, doc("steps (edges) that ran")]
    outputs: Annotated[int, doc("their log lines")]
    wall_ms: Annotated[int, doc("last end minus first start")]
    busy_ms: Annotated[int, doc("time during which at least one step ran (wall minus idle gaps)")]
    cpu_ms: Annotated[int, doc("sum of step durations")]
    weighted_ms: Annotated[float, doc("sum of weighted durations; equals busy_ms up to rounding")]
    parallelism: Annotated[float, doc("cpu_ms / wall_ms")]
    startup_ms: Annotated[int, doc("start of the first step: ninja's start-up and manifest loading")]
    first_line: Annotated[int, doc("where the build is in the log")]
    last_line: int


class StepRow(Record):
    """One step (edge) of a build."""

    output: Annotated[str, doc("the first output it logged")]
    n_outputs: Annotated[int, doc("outputs it wrote (a multi-output edge logs one line each)")]
    start_ms: int
    end_ms: int
    duration_ms: int
    weighted_ms: Annotated[
        float, doc("integral of 1/(steps running) over its life: its share of the wall time")
    ]
    kind: Annotated[str, doc("compile, link, archive, codegen, configure or other")]
    target: Annotated[str, doc("CMake's CMakeFiles/<target>.dir, else the library or program name")]
    line: Annotated[int, doc("line of its first output in the log")]


class TimelineStep(Record):
    """One step of a build on the worker lane it ran on."""

    output: Annotated[str, doc("the first output it logged")]
    start_ms: int
    end_ms: int
    weighted_ms: float
    kind: str
    target: str
    lane: Annotated[int, doc("its lane (0-based): the first lane free at its start, as ninjatracing draws")]
    frontend_ms: Annotated[float | None, doc("its TU's frontend time, from the trace (null: no trace)")] = (
        None
    )
    backend_ms: Annotated[float | None, doc("its TU's backend time, from the trace (null: no trace)")] = None


TIMELINE_STEPS_KEPT = 20_000  # a build's timeline keeps its longest steps beyond this (`trace` has all)


class Timeline(Record):
    """A build's steps over time, on lanes: no two steps of a lane overlap."""

    lanes: Annotated[int, doc("lanes used: the most steps that ran at once")]
    steps_total: Annotated[int, doc("steps of the build")]
    steps: Annotated[
        list[TimelineStep],
        doc(
            "every step by start time; only the 20,000 longest when there are more (buildprof trace has all)"
        ),
    ]


class GroupRow(Record):
    """Steps of one kind or target, summed."""

    name: str
    steps: int
    duration_ms: int
    weighted_ms: float
    weighted_share: Annotated[float, doc("fraction of the build's weighted (busy) time")]
    max_ms: Annotated[int, doc("its longest step")]


class Build(Record):
    """One analysed build: summary, slowest steps, time by kind and by target."""

    index: Annotated[int, doc("which build of the log (0-based, oldest first)")]
    summary: BuildSummary
    slowest_steps: Annotated[list[StepRow], doc("top steps by duration")]
    slowest_weighted: Annotated[list[StepRow], doc("top steps by weighted duration")]
    by_kind: Annotated[list[GroupRow], doc("per kind of step")]
    by_target: Annotated[list[GroupRow], doc("per target, top --top")]
    targets_total: Annotated[int, doc("targets before cutting")]
    timeline: Annotated[Timeline | None, doc("every step on its lane (drawn by the HTML report)")] = None


# ---- the documents: one per command, told apart by `command`


class Document(Record, tag_field="command", kw_only=True):
    """What every document starts with."""

    schema: Annotated[Literal["buildprof"], doc('always "buildprof"')] = "buildprof"
    schema_version: Annotated[int, doc("1")] = SCHEMA_VERSION
    generator: Annotated[str, doc('"buildprof <version>"')]
    build_dir: Annotated[str, doc("the folder analysed")]
    report_cached: Annotated[
        bool, doc("read back from the report cache: no input changed (trace_input.parsed is then 0)")
    ] = False
    skipped_inputs: Annotated[list[SkippedInput], doc("inputs that were there but not read")] = field(
        default_factory=list
    )


class ReportDocument(Document, tag="report", kw_only=True):
    """`buildprof report`: the build(s) of a ninja log and the compile time of their TUs."""

    ninja_log: Annotated[NinjaLogFacts | None, doc("null without a .ninja_log")] = None
    manifest: Annotated[ManifestFacts | None, doc("null without build.ninja")] = None
    builds: Annotated[list[Build], doc("the last build, or every build with --all-builds")] = field(
        default_factory=list
    )
    trace_input: Annotated[TraceInput | None, doc("null when the folder holds no JSON file")] = None
    trace_scope: Annotated[TraceScope | None, doc("which TUs the trace numbers cover")] = None
    traces: Annotated[TracesSection | None, doc("null when no TU is in scope")] = None
    critical_path: Annotated[
        CriticalPath | None, doc("the last analysed build's critical path; null without build.ninja")
    ] = None


class HeadersDocument(Document, tag="headers", kw_only=True):
    """`buildprof headers`: included files over every current trace; with the build graph, what
    touching each of the project's headers costs."""

    trace_input: TraceInput
    trace_scope: TraceScope
    headers: Listing[HeaderRow]
    impact: Annotated[
        Listing[RebuildImpact] | None,
        doc(
            "the project's headers by rebuild cost (sort impact: by expected cost per commit);"
            " null without the graph"
        ),
    ] = None
    churn: Annotated[FileChurn | None, doc("the git window of --since/--commits; null without them")] = None
    graph_notes: Annotated[
        list[str], doc("why the graph (.ninja_deps, build.ninja) is missing or partial")
    ] = field(default_factory=list)


class TemplatesDocument(Document, tag="templates", kw_only=True):
    """`buildprof templates`: instantiations over every current trace."""

    trace_input: TraceInput
    trace_scope: TraceScope
    templates: Listing[TemplateRow]


class FunctionsDocument(Document, tag="functions", kw_only=True):
    """`buildprof functions`: code generation per function over every current trace."""

    trace_input: TraceInput
    trace_scope: TraceScope
    functions: Listing[FunctionRow]


class WhyDocument(Document, tag="why", kw_only=True):
    """`buildprof why HEADER`: why a header is compiled so often."""

    trace_input: TraceInput
    trace_scope: TraceScope
    why: WhySection
    rebuild: Annotated[
        RebuildImpact | None, doc("who includes it by .ninja_deps (exact) and what touching it reruns")
    ] = None
    churn: Annotated[FileChurn | None, doc("the git window of --since/--commits; null without them")] = None
    graph_notes: Annotated[
        list[str], doc("why the graph (.ninja_deps, build.ninja) is missing or partial")
    ] = field(default_factory=list)


AnyDocument = ReportDocument | HeadersDocument | TemplatesDocument | FunctionsDocument | WhyDocument
DOCUMENTS = (ReportDocument, HeadersDocument, TemplatesDocument, FunctionsDocument, WhyDocument)


def command_of_type(document: type[Document]) -> str:
    """The command documents of this type answer (their `command` tag)."""
    return document.__struct_config__.tag  # type: ignore[return-value]


def command_of(document: Document) -> str:
    """The command a document answers (its `command` tag)."""
    return command_of_type(type(document))
