"""The HTML report's other parts: the listing documents' sections (headers, templates, functions), the
inputs-and-problems section, and the timeline data the page's script draws."""

from __future__ import annotations

from buildprof.model.report import Document, FunctionsDocument, HeadersDocument, ReportDocument
from buildprof.model.trace_report import Listing
from buildprof.render.escape import visible
from buildprof.render.html_graph import critical_outputs, graph_sections
from buildprof.render.html_page import MAX_DETAIL_ROWS, Section, Table
from buildprof.render.html_sections import function_table, header_table, template_table
from buildprof.render.trace_sections import path_shortener, scope_line

MAX_TIMELINE_STEPS = 20_000  # more are cut to the longest, and the page says so
MAX_PROBLEMS_SHOWN = 10
KINDS = ("compile", "link", "archive", "codegen", "configure", "other")
_SORTS = {"inclusive": "inclusive time", "self": "self time", "count": "count", "tus": "TUs"}


def listing_sections(doc: Document) -> list[Section]:
    """headers, templates, functions: what the listing covers, then its table."""
    short = path_shortener(doc)
    listing: Listing
    if isinstance(doc, HeadersDocument):
        listing = doc.headers
        made = header_table(
            "headers", f"Included files by {_SORTS[listing.sort]}", listing.rows, short, listing.matched
        )
        sid, title = "headers", "Headers"
    elif isinstance(doc, FunctionsDocument):
        listing = doc.functions
        made = function_table("functions", listing.rows, short, listing.matched)
        sid, title = "functions", "Functions"
    else:
        listing = doc.templates
        made = template_table(
            "templates", f"Instantiations by {_SORTS[listing.sort]}", listing.rows, listing.matched
        )
        sid, title = "templates", "Templates"
    intro = f"Over {scope_line(doc)}"
    if listing.match:
        intro += f"; {listing.matched:,} match {listing.match!r}"
    return [Section(sid, title, intro + ".", tables=[made]), *graph_sections(doc)]


def notes_section(doc: Document, tables: list[Table], timeline_cut: list[str]) -> Section:
    """What was read, what was damaged or skipped, and what this page leaves out."""
    cached = ", read back from the report cache" if doc.report_cached else ""
    lines = [f"Build folder: {doc.build_dir} ({doc.generator}{cached})."]
    log = getattr(doc, "ninja_log", None)
    if log is not None:
        lines.append(
            f"Ninja log: {log.path} (format v{log.version}): {log.lines:,} lines, {log.builds_found} build"
            f"{'s' if log.builds_found != 1 else ''} found."
        )
        if log.unordered is not None:
            lines.append(log.unordered.message + ".")
        if log.problems_total:
            lines.append(f"{log.problems_total:,} damaged log line(s) skipped; the first:")
            lines += [f"line {p.line}: {p.message}: {p.text}" for p in log.problems[:MAX_PROBLEMS_SHOWN]]
    facts = getattr(doc, "trace_input", None)
    if facts is not None:
        lines.append(
            f"Traces: {facts.traces:,} under {facts.root} ({facts.parsed:,} read, {facts.cached:,} from the "
            f"cache); {facts.other_json:,} other JSON file(s) ignored; demangling: {facts.demangler}."
        )
        if facts.probes:
            lines.append(f"{len(facts.probes)} build-system probe trace(s) left out (not translation units).")
        if facts.damaged:
            lines.append(f"{len(facts.damaged)} damaged trace(s) skipped:")
            lines += [f"{d.path}: {d.message}" for d in facts.damaged[:MAX_PROBLEMS_SHOWN]]
        if facts.damaged_events:
            lines.append(f"{len(facts.damaged_events)} trace(s) with events left out:")
            lines += [
                f"{d.path}: {d.events} event(s): {d.message}"
                for d in facts.damaged_events[:MAX_PROBLEMS_SHOWN]
            ]
    if doc.skipped_inputs:
        lines.append(f"{len(doc.skipped_inputs)} input(s) not read:")
        lines += [f"{s.path}: {s.message}" for s in doc.skipped_inputs[:MAX_PROBLEMS_SHOWN]]
    limits = [f"{t.title}: {t.capped}." for t in tables if t.capped] + timeline_cut
    listed = [t for t in tables if t.id in ("headers", "templates", "functions") and not t.capped]
    if listed and isinstance(doc, ReportDocument):
        limits.append(
            f"Headers, templates and functions: the {len(listed[0].rows)} most expensive of each "
            "(raise --top for more)."
        )
    limits.append(
        f"Include chains and paying TUs are embedded for the first {MAX_DETAIL_ROWS} rows of a table; "
        "buildprof why FILE lists every chain of a header. The JSON report has the whole document."
    )
    return Section("inputs", "Inputs, problems and limits", lines=lines, limits=limits)


def timeline_payload(doc: Document) -> tuple[dict, list[str]]:
    """The steps of every timeline as columns (JSON for the page's script), and what was cut."""
    timelines, cut = [], []
    builds = doc.builds if isinstance(doc, ReportDocument) else []
    critical = critical_outputs(doc)  # the last build's
    for build in builds:
        t = build.timeline
        if t is None or not t.steps:
            continue
        steps = t.steps
        if t.steps_total > len(steps):
            cut.append(
                f"Build timeline (build {build.index}): the {len(steps):,} longest of "
                f"{t.steps_total:,} steps are drawn."
            )
        if len(steps) > MAX_TIMELINE_STEPS:
            keep = sorted(steps, key=lambda s: s.end_ms - s.start_ms, reverse=True)[:MAX_TIMELINE_STEPS]
            steps = sorted(keep, key=lambda s: (s.start_ms, s.lane))
            cut.append(
                f"Build timeline (build {build.index}): the {MAX_TIMELINE_STEPS:,} longest of "
                f"{len(t.steps):,} steps are drawn."
            )
        targets: dict[str, int] = {}
        kinds = {k: i for i, k in enumerate(KINDS)}
        timelines.append(
            {
                "build": build.index,
                "lanes": t.lanes,
                "start": [s.start_ms for s in steps],
                "end": [s.end_ms for s in steps],
                "lane": [s.lane for s in steps],
                "kind": [kinds.get(s.kind, len(KINDS) - 1) for s in steps],
                "weighted": [s.weighted_ms for s in steps],
                "frontend": [s.frontend_ms for s in steps],
                "backend": [s.backend_ms for s in steps],
                "output": [visible(s.output) for s in steps],
                "target": [targets.setdefault(visible(s.target), len(targets)) for s in steps],
                "targets": list(targets),
                "critical": [critical.get(s.output) for s in steps] if build is builds[-1] else [],
            }
        )
    return {"kinds": list(KINDS), "timelines": timelines}, cut
