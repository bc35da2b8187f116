"""The text blocks (facts, tables) of the history documents: `record`, `history` and `trend`.

Commit subjects, branches, labels, host names, targets and headers are names from the build and its
repository: they are wrapped in `Name` so every renderer shows them as data.
"""

from __future__ import annotations

from buildprof.model.history import BuildTotals, RecordedBuild, TrendSeries
from buildprof.model.history_documents import HistoryDocument, RecordDocument, TrendDocument
from buildprof.render.layout import Block, Column, Facts, Name, Notes, Table, Text, format_count, format_ms

SHORT_SHA = 10
TOP_TARGETS_SHOWN = 10


def short(sha: str | None) -> Text:
    """A commit id as people quote it (its first 10 characters), or "-" when unknown."""
    return Name(sha[:SHORT_SHA]) if sha else "-"


def day(iso: str | None) -> str:
    """The date part of an ISO 8601 time."""
    return iso[:10] if iso else "-"


def commit_facts(build: RecordedBuild) -> list[tuple[str, Text]]:
    """What the build was made from, where and when."""
    commit = build.commit
    items: list[tuple[str, Text]] = [("Commit", short(commit.sha))]
    if commit.subject:
        items.append(("Subject", Name(commit.subject)))
    items += [
        ("Branch", Name(commit.branch) if commit.branch else "-"),
        ("Commit time", commit.commit_time or "-"),
        ("Label", Name(build.label)),
        ("Machine", (Name(build.machine.host), f", {build.machine.cores} cores")),
        ("Recorded at", build.recorded_at),
    ]
    if commit.dirty:
        items.append(("Working tree", "had uncommitted changes"))
    if commit.shallow:
        items.append(("Checkout", "shallow clone (parents unknown)"))
    return items


def totals_facts(totals: BuildTotals) -> list[tuple[str, Text]]:
    """The headline numbers that are known (a build without traces has no trace numbers)."""
    rows = [
        ("Wall time", totals.wall_ms, format_ms),
        ("CPU time (sum of steps)", totals.cpu_ms, format_ms),
        ("Steps", totals.steps, format_count),
        ("Compile steps", totals.compile_ms, format_ms),
        ("TUs with a trace", totals.tus, format_count),
        ("Traced compile time", totals.trace_ms, format_ms),
        ("  frontend", totals.frontend_ms, format_ms),
        ("  backend", totals.backend_ms, format_ms),
        ("  parsing included files", totals.parse_ms, format_ms),
    ]
    return [(label, draw(value)) for label, value, draw in rows if value is not None]


def record_blocks(doc: RecordDocument) -> list[Block]:
    build = doc.build
    costs = build.costs
    verb = "Replaced" if doc.replaced else "Recorded"
    facts = [*commit_facts(build), ("History", Name(doc.history))]
    blocks: list[Block] = [
        Facts(f"{verb} build #{build.id}", facts, note=_commit_note(build)),
        Facts(
            "What was recorded",
            [
                *totals_facts(costs.totals),
                ("Targets", format_count(len(costs.targets))),
                ("Headers", format_count(len(costs.headers))),
                ("Template sets", format_count(len(costs.templates))),
            ],
            note="The build's summaries, not its traces: every target and every header the traces show.",
        ),
    ]
    if costs.targets:
        rows = [
            [Name(t.name), format_count(t.steps), format_ms(t.cpu_ms), format_ms(t.weighted_ms)]
            for t in costs.targets[:TOP_TARGETS_SHOWN]
        ]
        columns = [Column("Target", "left", "name"), Column("Steps"), Column("CPU"), Column("Weighted")]
        blocks.append(Table("Most expensive targets", columns, rows))
    return blocks


def _commit_note(build: RecordedBuild) -> str:
    note = build.commit.note
    if build.commit.source == "none":
        return f"No commit is known ({note}): pass --commit, or record from the checkout." if note else ""
    return f"Note: {note}." if note else ""


def history_blocks(doc: HistoryDocument) -> list[Block]:
    if not doc.builds:
        return [Notes("No recorded build", [f"The history {doc.history} holds no build that matches."])]
    columns = [
        Column("#"),
        Column("Commit", "left"),
        Column("Date", "left"),
        Column("Branch", "left", "middle"),
        Column("Label", "left", "middle"),
        Column("Wall"),
        Column("CPU"),
        Column("TUs"),
        Column("Subject", "left", "middle"),
    ]
    rows = [
        [
            str(b.id),
            short(b.commit),
            day(b.commit_time or b.recorded_at),
            Name(b.branch) if b.branch else "-",
            Name(b.label),
            format_ms(b.wall_ms),
            format_ms(b.cpu_ms),
            format_count(b.tus) if b.tus is not None else "-",
            Name(b.subject) if b.subject else "",
        ]
        for b in doc.builds
    ]
    more = doc.total - len(doc.builds)
    footer = f"... and {more} older (--limit)" if more > 0 else ""
    return [
        Table(f"Recorded builds ({doc.total})", columns, rows, footer=footer, note=f"History: {doc.history}")
    ]


def trend_blocks(doc: TrendDocument) -> list[Block]:
    return [_series_table(series) for series in doc.series]


def _series_table(series: TrendSeries) -> Table:
    columns = [
        Column("Commit", "left"),
        Column("Date", "left"),
        Column("Value"),
        Column("Change"),
        Column(""),
    ]
    rows: list[list[Text]] = []
    previous = None
    for i, point in enumerate(series.points):
        change = "-"
        if point.value is not None and previous:
            change = f"{100.0 * (point.value - previous) / previous:+.1f}%"
        mark = "new level" if i in series.change_points else ""
        rows.append(
            [
                short(point.commit),
                day(point.commit_time or point.recorded_at),
                format_ms(point.value),
                change,
                mark,
            ]
        )
        previous = point.value if point.value is not None else previous
    noise = (
        f"typical build-to-build noise ±{100 * series.noise:.1f}%"
        if series.noise is not None
        else ("too few builds to measure the noise")
    )
    kind, _, name = series.metric.partition(":")
    title: Text = (f"{kind.capitalize()} ", Name(name)) if name else series.title
    return Table(title, columns, rows, note=f"{noise}; {len(series.change_points)} change point(s).")


HISTORY_SECTIONS = {
    RecordDocument: record_blocks,
    HistoryDocument: history_blocks,
    TrendDocument: trend_blocks,
}
