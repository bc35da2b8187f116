"""Blocks for the trace parts of documents: compile units, targets, headers, templates, functions, why."""

from __future__ import annotations

from buildprof.model.report import (
    Document,
    FunctionsDocument,
    HeadersDocument,
    ReportDocument,
    TemplatesDocument,
    WhyDocument,
)
from buildprof.model.trace_report import (
    BreakdownRow,
    CompileUnit,
    FunctionRow,
    FunctionSetRow,
    HeaderRow,
    Listing,
    TargetRow,
    TemplateRow,
    TemplateSetRow,
    TraceInput,
    TraceScope,
)
from buildprof.render.graph_sections import add_deps_column, graph_notes, impact_table
from buildprof.render.layout import (
    Block,
    Column,
    Facts,
    Name,
    Notes,
    Table,
    Text,
    capped,
    format_count,
    format_ms,
)

MAX_DAMAGED_SHOWN = 10


def path_shortener(doc: Document):
    """A function showing paths under the project's source root relative to it (JSON keeps them whole)."""
    facts = getattr(doc, "trace_input", None)
    root = facts.source_root if facts is not None else ""

    def short(path: str) -> str:
        return path[len(root) + 1 :] if root and path.startswith(root + "/") else path

    return short


def _same(path: str) -> str:
    return path


Shorten = type(_same)


def input_blocks(doc: Document) -> list[Block]:
    """What could not be used: damaged traces, traces with damaged events, an unusable cache."""
    facts = doc.trace_input
    blocks: list[Block] = []
    damaged = facts.damaged
    if damaged:
        lines: list[Text] = [(Name(d.path), f": {d.message}") for d in damaged[:MAX_DAMAGED_SHOWN]]
        blocks.append(Notes(f"Skipped {len(damaged)} damaged trace(s)", capped(lines, len(damaged))))
    events = facts.damaged_events
    if events:
        lines = [
            (Name(d.path), f": {d.events} event(s) left out, {d.message}") for d in events[:MAX_DAMAGED_SHOWN]
        ]
        title = f"Left out damaged events of {len(events)} trace(s) (the rest of each is analysed)"
        blocks.append(Notes(title, capped(lines, len(events))))
    if facts.cache_problem:
        blocks.append(Notes("Cache not used", [facts.cache_problem]))
    return blocks


def _source_line(facts: TraceInput) -> Text:
    parts: list[str] = [f"{format_count(facts.traces)} traces under ", Name(facts.root)]
    parts.append(f"; {facts.parsed} JSON files read, {facts.cached} from the cache")
    if facts.other_json:
        parts.append(f"; {facts.other_json} other JSON files ignored")
    if facts.probes:
        parts.append(f"; {len(facts.probes)} build-system probe(s) ignored (not TUs)")
    return parts


def _tus(count: int) -> str:
    return f"{format_count(count)} TU{'' if count == 1 else 's'}"


def scope_line(doc: Document) -> str:
    """Which translation units the compile-time numbers cover (trace_scope)."""
    scope = getattr(doc, "trace_scope", None) or TraceScope(covers="all_traces", builds=[], tus=0, left_out=0)
    tus = _tus(scope.tus)
    if scope.covers == "analysed_builds":
        builds = [b + 1 for b in scope.builds]
        which = f"build {builds[0]}" if len(builds) == 1 else f"builds {builds[0]}-{builds[-1]}"
        line = f"the {tus} that {which} compiled"
        left_out = scope.left_out
        if left_out:
            line += f"; {left_out} older trace(s) from earlier builds left out (--all-traces includes them)"
        return line
    return f"every current trace in the folder: {tus}, each as the last build that compiled it left it"


def report_trace_blocks(doc: ReportDocument) -> list[Block]:
    short = path_shortener(doc)
    blocks = input_blocks(doc)
    traces = doc.traces
    if not traces:
        if doc.trace_scope:
            blocks.append(Notes("Compile time (clang -ftime-trace)", [scope_line(doc)]))
        return blocks
    totals = traces.totals
    source_root = doc.trace_input.source_root
    blocks.append(
        Facts(
            "Compile time (clang -ftime-trace)",
            [
                ("covers", scope_line(doc)),
                ("traces", _source_line(doc.trace_input)),
                ("sources", Name(source_root) if source_root else "(not named by the traces)"),
                ("compile time", f"{format_ms(totals.compile_ms)} summed over {_tus(totals.tus)}"),
                ("frontend", f"{format_ms(totals.frontend_ms)} (parsing, templates)"),
                ("backend", f"{format_ms(totals.backend_ms)} (optimisation, code generation)"),
            ],
        )
    )
    blocks.append(unit_table(traces.compile_units))
    blocks.append(target_table(traces.targets))
    blocks.append(breakdown_table(traces.breakdown))
    blocks.append(header_table("Expensive headers", traces.headers, short=short))
    blocks.append(chain_notes(traces.headers, short))
    blocks.append(template_table("Templates that took longest to instantiate", traces.templates))
    blocks.append(template_set_table(traces.template_sets))
    blocks.append(function_table(traces.functions, short=short))
    blocks.append(function_set_table(traces.function_sets))
    return blocks


def unit_table(rows: list[CompileUnit]) -> Table:
    columns = [
        Column("total"),
        Column("frontend"),
        Column("backend"),
        Column("weighted"),
        Column("target", "left", "name"),
        Column("trace", "left", "path"),
    ]
    cells = [
        [
            format_ms(r.total_ms),
            format_ms(r.frontend_ms),
            format_ms(r.backend_ms),
            format_ms(r.weighted_ms),
            Name(r.target),
            Name(r.trace),
        ]
        for r in rows
    ]
    note = "total = clang's ExecuteCompiler; weighted = the ninja step's share of wall time (if found)."
    return Table("Slowest translation units", columns, cells, note=note)


def target_table(rows: list[TargetRow]) -> Table:
    columns = [
        Column("target", "left", "name"),
        Column("TUs"),
        Column("compile"),
        Column("frontend"),
        Column("backend"),
        Column("weighted"),
    ]
    cells = [
        [
            Name(r.target),
            str(r.tus),
            format_ms(r.total_ms),
            format_ms(r.frontend_ms),
            format_ms(r.backend_ms),
            format_ms(r.weighted_ms),
        ]
        for r in rows
    ]
    return Table("Targets by compile time", columns, cells)


def breakdown_table(rows: list[BreakdownRow]) -> Table:
    columns = [Column("event", "left", "name"), Column("self time"), Column("share")]
    cells = [[Name(r.event), format_ms(r.self_ms), f"{100 * r.share:.1f}%"] for r in rows]
    note = (
        "Self time of each kind of trace event over all TUs (nested events subtracted); shares sum to 100%."
    )
    return Table("Where compile time goes", columns, cells, note=note)


def chain_text(files: list[str], short: Shorten = _same) -> Text:
    """`(main file) > a.h > b.h`: outermost first."""
    parts: list[str] = ["(main file)"]
    for f in reversed(files):
        parts += [" > ", Name(short(f))]
    return parts


def _cost_table(title: str, rows: list, label: Column, labels: list[str], note: str, footer: str) -> Table:
    """Inclusive, self, count, TUs and average of each row, then its label (a file or a name)."""
    columns = [Column("inclusive"), Column("self"), Column("count"), Column("TUs"), Column("avg"), label]
    cells = [
        [
            format_ms(r.incl_ms),
            format_ms(r.self_ms),
            str(r.count),
            str(r.tus),
            format_ms(r.avg_ms),
            Name(text),
        ]
        for r, text in zip(rows, labels, strict=True)
    ]
    return Table(title, columns, cells, note=note, footer=footer)


def header_table(title: str, rows: list[HeaderRow], footer: str = "", short: Shorten = _same) -> Table:
    note = (
        "inclusive = parse time with everything it includes, summed over every inclusion; "
        "self = without the files it includes. `buildprof why FILE` shows every chain."
    )
    labels = [short(r.file) for r in rows]
    return _cost_table(title, rows, Column("file", "left", "path"), labels, note, footer)


def chain_notes(rows: list[HeaderRow], short: Shorten = _same, limit: int = 10) -> Notes:
    """The most common include chain of each of the first files listed."""
    lines: list[Text] = [
        [f"{r.chains[0].count}x ", *chain_text([r.file, *r.chains[0].files], short)]
        for r in rows[:limit]
        if r.chains
    ]
    return Notes("Most common include chain of each", lines, shrink="path")


def template_table(title: str, rows: list[TemplateRow], footer: str = "") -> Table:
    note = "inclusive counts nested instantiations in their parents too; self does not."
    labels = [r.name for r in rows]
    return _cost_table(title, rows, Column("name", "left", "name"), labels, note, footer)


def template_set_table(rows: list[TemplateSetRow]) -> Table:
    columns = [Column("time"), Column("self"), Column("count"), Column("TUs"), Column("set", "left", "name")]
    cells = [
        [format_ms(r.incl_ms), format_ms(r.self_ms), str(r.count), str(r.tus), Name(r.set)] for r in rows
    ]
    note = "Arguments collapsed to <$>; an instantiation nested in one of the same set is not counted twice."
    return Table("Template sets that took longest to instantiate", columns, cells, note=note)


def function_table(rows: list[FunctionRow], footer: str = "", short: Shorten = _same) -> Table:
    columns = [
        Column("time"),
        Column("count"),
        Column("TUs"),
        Column("function", "left", "name"),
        Column("module", "left", "path"),
    ]
    cells = [[format_ms(r.ms), str(r.count), str(r.tus), Name(r.name), Name(short(r.file))] for r in rows]
    note = "Optimisation and code generation time per function (OptFunction events), demangled."
    return Table("Functions that took longest to compile", columns, cells, note=note, footer=footer)


def function_set_table(rows: list[FunctionSetRow]) -> Table:
    columns = [Column("time"), Column("count"), Column("set", "left", "name")]
    cells = [[format_ms(r.ms), str(r.count), Name(r.set)] for r in rows]
    return Table("Function sets that took longest to compile", columns, cells)


def _sort_label(sort: str) -> str:
    return {"inclusive": "inclusive time", "self": "self time", "count": "count", "tus": "TUs"}[sort]


def _listing_footer(listing: Listing) -> str:
    shown = len(listing.rows)
    what = f" matching {listing.match!r}" if listing.match else ""
    return f"{shown} of {listing.matched}{what}, by {listing.sort} (raise --top for more)"


def headers_blocks(doc: HeadersDocument) -> list[Block]:
    listing = doc.headers
    title = f"Included files by {_sort_label(listing.sort)}"
    short = path_shortener(doc)
    table = add_deps_column(
        header_table(title, listing.rows, _listing_footer(listing), short=short), listing.rows
    )
    impact = [impact_table(doc.impact, doc.churn, short)] if doc.impact is not None else []
    tables = [*impact, table] if doc.impact is not None and doc.impact.sort == "impact" else [table, *impact]
    graph = graph_notes(doc.graph_notes, doc.churn)
    return [*input_blocks(doc), codebase_note(doc), *tables, chain_notes(listing.rows, short), *graph]


def templates_blocks(doc: TemplatesDocument) -> list[Block]:
    listing = doc.templates
    table = template_table(
        f"Template instantiations by {_sort_label(listing.sort)}",
        listing.rows,
        _listing_footer(listing),
    )
    blocks: list[Block] = [*input_blocks(doc), codebase_note(doc), table]
    paying: list[Text] = []
    for r in listing.rows[:10]:
        line: list[str] = [Name(r.name), ":"]
        for k, t in enumerate(r.top_tus):
            line += [", " if k else " ", Name(t.trace.rsplit("/", 1)[-1]), f" ({format_ms(t.ms)})"]
        paying.append(line)
    if paying:
        blocks.append(Notes("Which TUs pay most (top 3 each)", paying, shrink="name"))
    return blocks


def functions_blocks(doc: FunctionsDocument) -> list[Block]:
    listing = doc.functions
    table = function_table(listing.rows, _listing_footer(listing), short=path_shortener(doc))
    return [*input_blocks(doc), codebase_note(doc), table]


def codebase_note(doc: HeadersDocument | TemplatesDocument | FunctionsDocument | WhyDocument) -> Facts:
    """What the codebase views (headers, templates, functions, why) cover, and where from."""
    return Facts(
        "Traces analysed",
        [("covers", scope_line(doc)), ("traces", _source_line(doc.trace_input))],
    )


# The sections of each kind of document the text renderers draw (report's are in sections.py).
SECTIONS = {
    HeadersDocument: headers_blocks,
    TemplatesDocument: templates_blocks,
    FunctionsDocument: functions_blocks,
}
