"""The sections of the HTML report, built from a document (render/html_page.py has the page model).

`report_sections` lists what the page shows, in order; each section is one function of the document,
so adding one is a function and a line in that list. The graph and history analyses' sections
(critical path, header impact, trend) are in render/html_graph.py, drawn when a document has them.
"""

from __future__ import annotations

from buildprof.model.report import Build, ReportDocument
from buildprof.model.trace_report import HeaderRow, TemplateRow
from buildprof.render.html_graph import graph_sections
from buildprof.render.html_page import Col, Detail, Fact, Section, count_fact, ms_fact, table
from buildprof.render.layout import format_ms
from buildprof.render.trace_sections import path_shortener, scope_line

CHAIN_NOTE = "Click a header to see how it gets included: the including files, nearest first."


def _get(name: str):
    return lambda row: getattr(row, name)


STEP_COLS = [
    Col("output", "path", _get("output")),
    Col("kind", "text", _get("kind")),
    Col("target", "name", _get("target")),
    Col("duration", "ms", _get("duration_ms")),
    Col("weighted", "ms", _get("weighted_ms"), "its share of the wall time: 1/(steps running) integrated"),
    Col("start", "ms", _get("start_ms")),
]
GROUP_COLS = [
    Col("steps", "int", _get("steps")),
    Col("duration", "ms", _get("duration_ms"), "steps' durations summed (CPU time)"),
    Col("weighted", "ms", _get("weighted_ms")),
    Col("share", "share", _get("weighted_share"), "of the build's weighted (busy) time"),
    Col("longest", "ms", _get("max_ms")),
]
COST_COLS = [
    Col("inclusive", "ms", _get("incl_ms"), "with what it includes or instantiates, over every occurrence"),
    Col("self", "ms", _get("self_ms"), "without nested files or instantiations"),
    Col("count", "int", _get("count")),
    Col("TUs", "int", _get("tus"), "translation units that pay for it"),
    Col("average", "ms", _get("avg_ms")),
]


def build_title(build: Build, several: bool) -> str:
    return f" (build {build.index})" if several else ""


def summary_section(doc: ReportDocument) -> Section:
    """The headline numbers: the (last) build's times and the compile time of its TUs."""
    facts: list[Fact] = []
    if doc.builds:
        s = doc.builds[-1].summary
        facts += [
            ms_fact("wall time", "wall_ms", s.wall_ms, "last end minus first start"),
            ms_fact("busy time", "busy_ms", s.busy_ms, "time during which at least one step ran"),
            ms_fact("CPU time", "cpu_ms", s.cpu_ms, "step durations summed"),
            Fact("parallelism", f"{s.parallelism:.2f}\u00d7", "parallelism", s.parallelism, "CPU / wall"),
            count_fact("steps", "steps", s.steps),
            ms_fact("start-up", "startup_ms", s.startup_ms, "before ninja's first step started"),
        ]
    if doc.traces is not None:
        t = doc.traces.totals
        facts += [
            count_fact("translation units", "tus", t.tus, "with a clang -ftime-trace"),
            ms_fact("compile time", "compile_ms", t.compile_ms, "clang's ExecuteCompiler, summed"),
            ms_fact("frontend", "frontend_ms", t.frontend_ms, "parsing and templates"),
            ms_fact("backend", "backend_ms", t.backend_ms, "optimisation and code generation"),
        ]
    intro = ""
    if len(doc.builds) > 1:
        intro = f"The log holds {len(doc.builds)} analysed builds; these numbers are the last one's."
    if doc.trace_scope is not None:
        intro += f" Compile time covers {scope_line(doc)}."
    return Section("summary", "Summary", intro.strip(), facts=facts)


def timeline_sections(doc: ReportDocument) -> list[Section]:
    """One timeline per build that has one (the index is the payload's timeline number)."""
    several = len(doc.builds) > 1
    sections, k = [], 0
    for build in doc.builds:
        if build.timeline is None or not build.timeline.steps:
            continue
        intro = (
            f"{len(build.timeline.steps):,} steps on {build.timeline.lanes} lanes (a step goes on the first "
            "lane free at its start), coloured by kind. Hover a step for its times; drag across the chart "
            "to zoom in, double-click or Reset to see the whole build."
        )
        if build is doc.builds[-1] and getattr(doc, "critical_path", None) is not None:
            intro += " Steps of the critical path are outlined."
        sections.append(
            Section(
                f"timeline-{build.index}", "Build timeline" + build_title(build, several), intro, timeline=k
            )
        )
        k += 1
    return sections


def steps_sections(doc: ReportDocument) -> list[Section]:
    several = len(doc.builds) > 1
    sections = []
    for b in doc.builds:
        n, short = b.index, path_shortener(doc)
        total = b.summary.steps
        tables = [
            table(
                f"kinds-{n}",
                "Time by kind of step",
                [Col("kind", "text", _get("name")), *GROUP_COLS],
                b.by_kind,
            ),
            table(
                f"steps-{n}",
                "Slowest steps",
                STEP_COLS,
                b.slowest_steps,
                total=total,
                what="steps",
                short=short,
            ),
            table(
                f"weighted-{n}",
                "Steps with the most weighted time",
                STEP_COLS,
                b.slowest_weighted,
                total=total,
                what="steps",
                short=short,
                note="Weighted time is what the build would lose if the step were free: each instant is "
                "shared by the steps running then.",
            ),
        ]
        sections.append(Section(f"steps-{n}", "Steps" + build_title(b, several), tables=tables))
    return sections


def targets_section(doc: ReportDocument) -> Section | None:
    """Slowest targets: ninja's time per target, and the compile time of their TUs."""
    tables = []
    several = len(doc.builds) > 1
    for b in doc.builds:
        cols = [Col("target", "name", _get("name")), *GROUP_COLS]
        title = "Targets by weighted time" + build_title(b, several)
        tables.append(
            table(f"targets-{b.index}", title, cols, b.by_target, total=b.targets_total, what="targets")
        )
    if doc.traces is not None:
        cols = [
            Col("target", "name", _get("target")),
            Col("TUs", "int", _get("tus")),
            Col("compile", "ms", _get("total_ms")),
            Col("frontend", "ms", _get("frontend_ms")),
            Col("backend", "ms", _get("backend_ms")),
            Col("weighted", "ms", _get("weighted_ms"), "the steps' weighted time"),
        ]
        tables.append(table("compile-targets", "Targets by compile time", cols, doc.traces.targets))
    return Section("targets", "Slowest targets", tables=tables) if tables else None


def units_section(doc: ReportDocument) -> Section | None:
    if doc.traces is None:
        return None
    cols = [
        Col("trace", "path", _get("trace")),
        Col("target", "name", _get("target")),
        Col("total", "ms", _get("total_ms"), "clang's ExecuteCompiler"),
        Col("frontend", "ms", _get("frontend_ms")),
        Col("backend", "ms", _get("backend_ms")),
        Col("step", "ms", _get("step_ms"), "the ninja step's duration"),
        Col("weighted", "ms", _get("weighted_ms")),
    ]
    total = doc.trace_scope.tus if doc.trace_scope else None
    units = table(
        "units", "Slowest translation units", cols, doc.traces.compile_units, total=total, what="TUs"
    )
    cols = [
        Col("event", "name", _get("event")),
        Col("self time", "ms", _get("self_ms")),
        Col("share", "share", _get("share")),
    ]
    note = (
        "Self time of each kind of trace event over all TUs (nested events subtracted); "
        "shares add up to 100 %."
    )
    breakdown = table("breakdown", "Where compile time goes", cols, doc.traces.breakdown, note=note)
    return Section("units", "Translation units", tables=[units, breakdown])


def chain_detail(short):
    def detail(row: HeaderRow) -> Detail | None:
        if not row.chains:
            return None
        items = [
            (
                f"{c.count}\u00d7 in {c.tus} TU{'s' if c.tus != 1 else ''}, {format_ms(c.ms)}:",
                [short(f) for f in c.files] or ["(a main file)"],
            )
            for c in row.chains
        ]
        more = f" of {row.chains_total}" if row.chains_total > len(row.chains) else ""
        return Detail(f"{len(row.chains)}{more} include chain{'s' if row.chains_total != 1 else ''}", items)

    return detail


def header_table(id: str, title: str, rows: list[HeaderRow], short, total: int | None = None):
    cols = [Col("file", "path", _get("file")), *COST_COLS]
    note = "inclusive = parse time with everything it includes, over every inclusion. " + CHAIN_NOTE
    return table(
        id, title, cols, rows, note=note, short=short, detail=chain_detail(short), total=total, what="headers"
    )


def paying_detail(row: TemplateRow) -> Detail | None:
    if not row.top_tus:
        return None
    items = [(f"{format_ms(t.ms)}, {t.count}\u00d7:", [t.trace]) for t in row.top_tus]
    return Detail("who pays most", items)


def template_table(id: str, title: str, rows: list[TemplateRow], total: int | None = None):
    cols = [Col("name", "name", _get("name")), Col("kind", "text", _get("kind")), *COST_COLS]
    return table(id, title, cols, rows, detail=paying_detail, total=total, what="instantiations")


def function_table(id: str, rows: list, short, total: int | None = None):
    cols = [
        Col("function", "name", _get("name")),
        Col("module", "path", _get("file")),
        Col("time", "ms", _get("ms"), "optimisation and code generation"),
        Col("count", "int", _get("count")),
        Col("TUs", "int", _get("tus")),
    ]
    return table(
        id, "Functions that took longest to compile", cols, rows, short=short, total=total, what="functions"
    )


def trace_sections(doc: ReportDocument) -> list[Section]:
    t = doc.traces
    if t is None:
        return []
    short = path_shortener(doc)
    set_cols = [
        Col("set", "name", _get("set")),
        Col("inclusive", "ms", _get("incl_ms"), "recursion counted once"),
        Col("self", "ms", _get("self_ms")),
        Col("count", "int", _get("count")),
        Col("TUs", "int", _get("tus")),
        Col("names", "int", _get("names"), "distinct instantiations in the set"),
    ]
    fset_cols = [
        Col("set", "name", _get("set")),
        Col("time", "ms", _get("ms")),
        Col("functions", "int", _get("count")),
    ]
    return [
        Section(
            "headers", "Headers", tables=[header_table("headers", "Expensive headers", t.headers, short)]
        ),
        Section(
            "templates",
            "Templates",
            tables=[
                template_table("templates", "Templates that took longest to instantiate", t.templates),
                table("template-sets", "Template sets (arguments collapsed)", set_cols, t.template_sets),
            ],
        ),
        Section(
            "functions",
            "Functions",
            tables=[
                function_table("functions", t.functions, short),
                table(
                    "function-sets",
                    "Function sets (template arguments collapsed)",
                    fset_cols,
                    t.function_sets,
                ),
            ],
        ),
    ]


def report_sections(doc: ReportDocument) -> list[Section]:
    """Everything the report page shows, in order (problems and caps: html_notes)."""
    found = [
        summary_section(doc),
        *timeline_sections(doc),
        *graph_sections(doc),
        *steps_sections(doc),
        targets_section(doc),
        units_section(doc),
        *trace_sections(doc),
    ]
    return [s for s in found if s is not None]
