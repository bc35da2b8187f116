"""Turn a report document into the blocks (facts, tables, notes) the text renderers draw.

Everything a build names (outputs, targets, paths, messages quoting a log line) is wrapped in `Name`, so
that the renderers show it as data (render.layout).
"""

from __future__ import annotations

from buildprof.model.report import (
    Build,
    Document,
    GroupRow,
    NinjaLogFacts,
    ReportDocument,
    StepRow,
    WhyDocument,
    command_of,
)
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
    format_share,
)

MAX_PROBLEMS_SHOWN = 10


def document_blocks(doc: Document) -> list[Block]:
    """All blocks of a document: what was skipped, then the sections of its kind of document."""
    from buildprof.render.change_sections import CHANGE_SECTIONS
    from buildprof.render.history_sections import HISTORY_SECTIONS
    from buildprof.render.schedule_sections import GRAPH_SECTIONS
    from buildprof.render.trace_sections import SECTIONS
    from buildprof.render.why_sections import WHY_SECTIONS

    sections = {
        ReportDocument: report_blocks,
        **SECTIONS,
        **WHY_SECTIONS,
        **GRAPH_SECTIONS,
        **HISTORY_SECTIONS,
        **CHANGE_SECTIONS,
    }
    builder = sections.get(type(doc))
    if builder is None:
        raise TypeError(f"no text layout for {type(doc).__name__}")
    return [*skipped_blocks(doc), *builder(doc)]


def document_title(doc: Document) -> Text:
    """The title of a whole document: the command and what it is about."""
    if isinstance(doc, WhyDocument):
        return ("buildprof why ", Name(doc.why.file))
    if not doc.build_dir:  # a document about the history only
        return (f"buildprof {command_of(doc)}: ", Name(getattr(doc, "history", "")))
    return (f"buildprof {command_of(doc)}: ", Name(doc.build_dir))


def skipped_blocks(doc: Document) -> list[Block]:
    """Input files that were not read (special files, dangling links), one line each."""
    skipped = doc.skipped_inputs
    if not skipped:
        return []
    lines: list[Text] = [(Name(s.path), f" {s.message}") for s in skipped[:MAX_PROBLEMS_SHOWN]]
    return [Notes(f"Skipped {len(skipped)} input file(s)", capped(lines, len(skipped)))]


def report_blocks(doc: ReportDocument) -> list[Block]:
    blocks: list[Block] = []
    log = doc.ninja_log
    if log:
        blocks += log_blocks(log)
        builds = doc.builds
        if len(builds) > 1:
            blocks.append(builds_table(builds))
        for build in builds:
            blocks += build_blocks(build, log, several=len(builds) > 1)
    if doc.critical_path is not None and doc.critical_path.steps:
        from buildprof.render.schedule_sections import critical_path_facts, path_table

        blocks += [critical_path_facts(doc.critical_path), path_table(doc.critical_path, limit=5)]
    if doc.trace_input:
        from buildprof.render.trace_sections import report_trace_blocks

        blocks += report_trace_blocks(doc)
    return blocks


def log_blocks(log: NinjaLogFacts) -> list[Block]:
    """Notes about the log itself: a recompacted block that was left out, and the damaged lines."""
    blocks: list[Block] = []
    if log.unordered:
        u = log.unordered
        blocks.append(
            Notes(
                "Recompacted log",
                [
                    f"lines {u.first_line}-{u.last_line} ({format_count(u.lines)} lines) were "
                    "rewritten by ninja's recompaction: one line per output, in hash-table order, not "
                    "time order, so they are not analysed as a build."
                ],
            )
        )
    if log.problems_total:
        shown = log.problems[:MAX_PROBLEMS_SHOWN]
        lines = capped([(f"line {p.line}: ", Name(p.message)) for p in shown], log.problems_total)
        name = log.path.replace("\\", "/").rsplit("/", 1)[-1]
        title = (
            f"Skipped {log.problems_total} damaged line(s) of ",
            Name(name),
            " (the rest is analysed)",
        )
        blocks.append(Notes(title, lines))
    return blocks


def builds_table(builds: list[Build]) -> Table:
    rows = [
        [
            str(b.index + 1),
            f"{b.summary.first_line}-{b.summary.last_line}",
            format_count(b.summary.steps),
            format_ms(b.summary.wall_ms),
            format_ms(b.summary.cpu_ms),
            f"{b.summary.parallelism:.2f}",
        ]
        for b in builds
    ]
    columns = [
        Column("build"),
        Column("log lines"),
        Column("steps"),
        Column("wall"),
        Column("cpu"),
        Column("parallelism"),
    ]
    return Table("Builds in this log (oldest first)", columns, rows)


def build_blocks(build: Build, log: NinjaLogFacts, several: bool) -> list[Block]:
    s = build.summary
    number = build.index + 1
    heading = f"Build {number} of {log.builds_found}" if several else "Build summary"
    facts = Facts(
        heading,
        [
            ("ninja log", (Name(log.path), f" (format v{log.version})")),
            ("build", f"{number} of {log.builds_found} (log lines {s.first_line}-{s.last_line})"),
            ("steps", f"{format_count(s.steps)} ({format_count(s.outputs)} outputs)"),
            ("wall time", format_ms(s.wall_ms)),
            ("busy time", f"{format_ms(s.busy_ms)} (at least one step running)"),
            ("cpu time", f"{format_ms(s.cpu_ms)} (sum of step durations)"),
            ("parallelism", f"{s.parallelism:.2f} steps at once on average"),
            ("ninja start-up", format_ms(s.startup_ms)),
        ],
    )
    weighted_total = s.weighted_ms
    suffix = f" (build {number})" if several else ""
    return [
        facts,
        steps_table(
            f"Slowest steps{suffix}",
            build.slowest_steps,
            weighted_total,
            "duration = end - start of the step; weighted = its share of the wall time "
            "(time divided by the number of steps running alongside).",
        ),
        steps_table(
            f"Steps that cost the most wall time (weighted){suffix}",
            build.slowest_weighted,
            weighted_total,
            "",
        ),
        group_table(f"Time by kind of step{suffix}", "kind", build.by_kind, names=False),
        group_table(
            f"Time by target{suffix}",
            "target",
            build.by_target,
            footer=_more(build.targets_total, len(build.by_target), "targets"),
        ),
    ]


def steps_table(title: str, rows: list[StepRow], weighted_total: float, note: str) -> Table:
    columns = [
        Column("duration"),
        Column("weighted"),
        Column("share"),
        Column("kind", "left"),
        Column("target", "left", "name"),
        Column("output", "left", "path"),
    ]
    cells = [
        [
            format_ms(r.duration_ms),
            format_ms(r.weighted_ms),
            format_share(r.weighted_ms, weighted_total),
            r.kind,
            Name(r.target),
            Name(r.output + (f" (+{r.n_outputs - 1})" if r.n_outputs > 1 else "")),
        ]
        for r in rows
    ]
    return Table(title, columns, cells, note=note)


def group_table(title: str, label: str, rows: list[GroupRow], footer: str = "", names: bool = True) -> Table:
    columns = [
        Column(label, "left", "name" if names else ""),
        Column("steps"),
        Column("time"),
        Column("weighted"),
        Column("share"),
        Column("slowest"),
    ]
    cells = [
        [
            Name(r.name) if names else r.name,
            format_count(r.steps),
            format_ms(r.duration_ms),
            format_ms(r.weighted_ms),
            f"{100 * r.weighted_share:.1f}%",
            format_ms(r.max_ms),
        ]
        for r in rows
    ]
    return Table(title, columns, cells, footer=footer)


def _more(total: int, shown: int, what: str) -> str:
    return f"... and {total - shown} more {what} (raise --top)" if total > shown else ""
