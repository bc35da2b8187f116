"""The trace parts of the report documents: what was read, the scope, compile units, headers, templates,
functions, `why`, and ClangBuildAnalyzer's own numbers (see model/report.py for the documents).

Times from traces are milliseconds kept to the microsecond (`_ms`), or integer microseconds (`_us`) in
the `clang_build_analyzer` section, as ClangBuildAnalyzer counts them.
"""

from typing import Annotated, Generic, Literal, TypeVar

from buildprof.model.records import Record, doc

T = TypeVar("T")


# ---- what was read, and what the numbers cover


class DamagedTrace(Record):
    """A trace that could not be used, skipped."""

    path: str
    message: Annotated[str, doc("truncated or corrupt JSON, invalid UTF-8, nested too deeply, ...")]


class DamagedEvents(Record):
    """A trace some of whose events were left out (the rest of it is analysed)."""

    path: str
    events: Annotated[int, doc("events left out: a negative or absurd time, a pair ending before it begins")]
    message: Annotated[str, doc("what is wrong with the first of them")]


class TraceInput(Record):
    """What was found under the folder, and how it was read."""

    root: Annotated[str, doc("folder searched (recursively) for *.json")]
    source_root: Annotated[str, doc("deepest folder holding every main file the traces name")]
    traces: Annotated[int, doc("traces of translation units (the latest of each TU)")]
    parsed: Annotated[int, doc("JSON files read this time")]
    cached: Annotated[int, doc("summaries taken from the cache")]
    cache_dir: Annotated[str | None, doc("where summaries are cached (null with --no-cache)")]
    cache_problem: Annotated[str | None, doc("why the cache folder could not be used, if it could not")]
    other_json: Annotated[int, doc("JSON files that are not traces (compile_commands.json...): ignored")]
    probes: Annotated[list[str], doc("traces of build-system checks (CMake, Meson): not translation units")]
    damaged: Annotated[list[DamagedTrace], doc("traces that could not be used, skipped")]
    damaged_events: Annotated[list[DamagedEvents], doc("traces with events left out")]
    demangler: Annotated[str, doc("which LLVM tools demangled function names")]


class TraceScope(Record):
    """Which translation units the trace numbers cover."""

    covers: Annotated[
        Literal["analysed_builds", "all_traces"],
        doc("the TUs the analysed build(s) compiled, or every trace of the folder"),
    ]
    builds: Annotated[list[int], doc("with analysed_builds, the index of those builds")]
    tus: Annotated[int, doc("translation units covered")]
    left_out: Annotated[int, doc("traces of the folder not covered (from earlier builds)")]


# ---- report: compile units, targets, where the time goes


class Totals(Record):
    """Compile time summed over the TUs in scope."""

    tus: int
    compile_ms: Annotated[float, doc("clang's ExecuteCompiler, summed")]
    frontend_ms: Annotated[float, doc("parsing and templates")]
    backend_ms: Annotated[float, doc("optimisation and code generation")]


class CompileUnit(Record):
    """One translation unit, joined to the ninja step that wrote its object."""

    trace: Annotated[str, doc("the trace, relative to the build folder")]
    source: Annotated[str, doc("its main file, if the trace names it")]
    target: str
    total_ms: float
    frontend_ms: float
    backend_ms: float
    step_output: Annotated[
        str | None, doc("the step's output (null: no step of the analysed build wrote it)")
    ]
    step_ms: Annotated[int | None, doc("the step's duration")]
    weighted_ms: Annotated[float | None, doc("the step's weighted time")]


class TargetRow(Record):
    """Translation units of one target, summed."""

    target: str
    tus: int
    total_ms: float
    frontend_ms: float
    backend_ms: float
    step_ms: Annotated[int | None, doc("the joined steps' durations (null when none is joined)")]
    weighted_ms: Annotated[float | None, doc("their weighted times")]


class BreakdownRow(Record):
    """Self (exclusive) time of one trace event name over all TUs."""

    event: str
    self_ms: float
    share: Annotated[float, doc("fraction of the total: shares add up to 1")]


class Chain(Record):
    """One way a file gets included: the including files, nearest first, up to the main file."""

    files: Annotated[list[str], doc("the including files, nearest first (the main file not listed)")]
    count: Annotated[int, doc("times this chain occurred")]
    tus: int
    ms: Annotated[float, doc("the included file's inclusive time through this chain")]


class HeaderRow(Record):
    """An included file."""

    file: str
    incl_ms: Annotated[float, doc("parse time with what it includes, over every inclusion")]
    self_ms: Annotated[float, doc("without the files it includes itself")]
    count: Annotated[int, doc("times entered (include guards hide repeats)")]
    tus: Annotated[
        int,
        doc("translation units whose trace recorded it (clang leaves out includes under its granularity)"),
    ]
    avg_ms: Annotated[float, doc("incl_ms / count")]
    direct: Annotated[bool, doc("some main file includes it itself")]
    chains: Annotated[list[Chain], doc("its most frequent include chains")]
    chains_total: Annotated[int, doc("distinct chains before cutting")]
    deps_tus: Annotated[
        int | None, doc("translation units that include it by .ninja_deps (exact); null without one")
    ] = None


class PayingTrace(Record):
    """A translation unit that pays for a template."""

    trace: str
    ms: float
    count: int


class TemplateRow(Record):
    """Instantiations of one exact name."""

    name: str
    kind: Annotated[Literal["class", "function"], doc("InstantiateClass or InstantiateFunction")]
    count: int
    incl_ms: Annotated[float, doc("nested instantiations counted in their parents too")]
    self_ms: Annotated[float, doc("without nested instantiations")]
    tus: int
    avg_ms: float
    set: Annotated[str, doc("the name with each top-level <...> replaced by <$>")]
    top_tus: Annotated[list[PayingTrace], doc("the (up to 3) traces that pay most")]


class TemplateSetRow(Record):
    """Instantiations of one template set (arguments collapsed), recursion counted once."""

    set: str
    count: Annotated[int, doc("instantiations not nested in one of the same set")]
    incl_ms: Annotated[float, doc("what the set costs, recursion not counted twice")]
    self_ms: float
    tus: int
    names: Annotated[int, doc("distinct instantiations in the set")]


class FunctionRow(Record):
    """Optimisation and code generation of one (demangled) function in one module."""

    name: str
    file: Annotated[str, doc("the module it was compiled in")]
    count: int
    ms: float
    tus: int


class FunctionSetRow(Record):
    """Template functions with their arguments collapsed."""

    set: str
    count: Annotated[int, doc("distinct (function, module) pairs")]
    ms: float


# ---- ClangBuildAnalyzer's report as data (its rules: src/Analysis.cpp of its 1.6)


class CbaSettings(Record):
    """ClangBuildAnalyzer.ini's settings used (its defaults, or the file in the working folder)."""

    file_parse: Annotated[int, doc("files listed as slowest to parse ([counts] fileParse)")] = 10
    file_codegen: Annotated[int, doc("files listed as slowest to codegen ([counts] fileCodegen)")] = 10
    template: Annotated[int, doc("templates, template sets, function sets listed ([counts] template)")] = 30
    function: Annotated[int, doc("functions listed ([counts] function)")] = 30
    header: Annotated[int, doc("headers listed ([counts] header)")] = 10
    header_chain: Annotated[int, doc("include chains per header ([counts] headerChain)")] = 5
    min_file_ms: Annotated[int, doc("a file's least time to be listed ([minTimes] file)")] = 10
    max_name: Annotated[int, doc("names longer are cut in its text ([misc] maxNameLength)")] = 70
    only_root_headers: Annotated[bool, doc("only headers a main file includes ([misc] onlyRootHeaders)")] = (
        True
    )


class CbaTimeSummary(Record):
    """Its time summary: compilations, and frontend and backend time summed."""

    compilations: Annotated[int, doc("Frontend entries (merged)")]
    frontend_us: int
    backend_us: int


class CbaFile(Record):
    """A file and its Frontend or Backend time."""

    us: int
    file: str


class CbaCounted(Record):
    """A template, template set or function set: time and count."""

    us: int
    count: int
    name: str


class CbaFunction(Record):
    """A function (demangled) and the module it was compiled in."""

    us: int
    name: str
    file: str


class CbaChain(Record):
    """One include chain of an expensive header, as it merges them."""

    count: int
    us: int
    files: Annotated[list[str], doc("including headers, nearest first (stops at a non-header)")]


class CbaHeader(Record):
    """An expensive header: inclusive time, times included, its most frequent chains."""

    us: int
    count: int
    file: str
    chains: list[CbaChain]
    more_chains: Annotated[bool, doc("more chains than header_chain")]


class CbaReport(Record):
    """ClangBuildAnalyzer's `--analyze` report as data: `--format cba` prints its text."""

    settings: CbaSettings
    rejected: Annotated[list[str], doc("traces it would skip (last event not a root)")]
    time_summary: CbaTimeSummary | None
    files_parse: Annotated[list[CbaFile], doc("Frontend per TU, at least min_file_ms")]
    files_codegen: Annotated[list[CbaFile], doc("Backend per TU, at least min_file_ms")]
    templates: list[CbaCounted]
    template_sets: list[CbaCounted]
    has_templates: bool
    has_functions: bool
    functions: list[CbaFunction]
    function_sets: list[CbaCounted]
    headers: Annotated[list[CbaHeader], doc('"root" headers (included by a non-header at least once)')]


class TracesSection(Record):
    """Everything `report` shows about the traces of the TUs in scope."""

    totals: Totals
    compile_units: list[CompileUnit]
    targets: list[TargetRow]
    breakdown: Annotated[list[BreakdownRow], doc("self time per event name: where compile time goes")]
    headers: list[HeaderRow]
    templates: list[TemplateRow]
    template_sets: list[TemplateSetRow]
    functions: list[FunctionRow]
    function_sets: list[FunctionSetRow]
    clang_build_analyzer: CbaReport


# ---- headers, templates, functions: a listing; why: one header


class Listing(Record, Generic[T]):
    """Rows of `headers`, `templates` or `functions`, sorted, filtered and cut to --top."""

    sort: Annotated[str, doc("inclusive, self, count or tus")]
    match: Annotated[str | None, doc("the --match pattern")]
    matched: Annotated[int, doc("rows that matched, before cutting")]
    rows: list[T]


class IncludedBy(Record):
    """A file that includes the header directly."""

    file: Annotated[str, doc('the including file ("" = a main file)')]
    count: int
    incl_ms: float


class PayingTu(Record):
    """A translation unit that pays for the header."""

    trace: str
    source: str
    target: str
    incl_ms: float
    count: int


class PayingTarget(Record):
    """A target whose translation units pay for the header."""

    target: str
    tus: int
    incl_ms: float


class IncludeRow(Record):
    """A file the header includes directly."""

    file: str
    count: int
    incl_ms: float


class WhySection(Record):
    """Every way a header is included, who pays for it, and what it includes that is expensive."""

    file: Annotated[str, doc("the header (by full path, path suffix or unique file name)")]
    incl_ms: float
    self_ms: float
    count: int
    tus: int
    tus_total: Annotated[int, doc("translation units in all")]
    direct: bool
    chains: list[Chain]
    chains_total: int
    included_by: Annotated[list[IncludedBy], doc("files that include it directly")]
    paying_tus: list[PayingTu]
    paying_targets: list[PayingTarget]
    includes: Annotated[list[IncludeRow], doc("what it includes directly, most expensive first")]
