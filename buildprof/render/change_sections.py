"""The text blocks of the documents that judge a change: `compare` and `ci`.

Names (targets, headers, template sets, branches, commit subjects) are wrapped in `Name`: renderers
show them as data. Every table is cut to a few rows, so that a CI summary stays well under the size
of a pull-request comment whatever the build names.
"""

from __future__ import annotations

from buildprof.model.ci import CiDocument
from buildprof.model.compare import BuildComparison, CompareDocument, CostChanges, MetricChange
from buildprof.model.history_documents import HistoryRow
from buildprof.model.regression import Mover, Verdict
from buildprof.render.history_sections import day, short
from buildprof.render.layout import Block, Column, Facts, Name, Notes, Table, Text, format_ms

ROWS_SHOWN = 10
TOTAL_NAMES = {
    "wall": "Wall time",
    "busy": "Busy time",
    "cpu": "CPU time (sum of steps)",
    "compile": "Compile steps",
    "link": "Link steps",
    "trace": "Traced compile time",
    "frontend": "Frontend",
    "backend": "Backend",
    "parse": "Parsing included files",
}


def signed_ms(ms: float | None) -> str:
    if ms is None:
        return "-"
    return ("+" if ms > 0 else "-" if ms < 0 else "") + format_ms(abs(ms))


def percent(fraction: float | None) -> str:
    return "-" if fraction is None else f"{100.0 * fraction:+.1f}%"


def totals_table(changes: list[MetricChange], title: str = "Totals") -> Table:
    columns = [Column("Measure", "left"), Column("Base"), Column("Head"), Column("Change"), Column("")]
    rows = [
        [
            TOTAL_NAMES.get(c.metric, c.metric),
            format_ms(c.base),
            format_ms(c.head),
            signed_ms(c.delta),
            percent(c.relative),
        ]
        for c in changes
        if c.base is not None or c.head is not None
    ]
    return Table(title, columns, rows)


def changes_table(title: str, changes: CostChanges, rows_shown: int = ROWS_SHOWN) -> Table | None:
    moved = [r for r in changes.rows if r.status != "same"]
    if not moved:
        return None
    columns = [Column("Name", "left", "name" if "template" in title.lower() else "path")]
    columns += [Column("Base"), Column("Head"), Column("Change"), Column(""), Column("", "left")]
    rows = [
        [
            Name(r.name),
            format_ms(r.base),
            format_ms(r.head),
            signed_ms(r.delta),
            percent(r.relative),
            r.status,
        ]
        for r in moved[:rows_shown]
    ]
    counts = f"{changes.slower} slower, {changes.faster} faster, {changes.new} new, {changes.gone} gone"
    footer = (
        f"... and {len(moved) - rows_shown} more that moved (see --format json)"
        if len(moved) > rows_shown
        else ""
    )
    return Table(title, columns, rows, note=f"{counts}; sorted by absolute change.", footer=footer)


def comparison_blocks(comparison: BuildComparison, rows_shown: int = ROWS_SHOWN) -> list[Block]:
    blocks: list[Block] = [totals_table(comparison.totals)]
    for title, changes in (
        ("Targets (CPU time)", comparison.targets),
        ("Headers (inclusive parse time)", comparison.headers),
        ("Template sets (inclusive time)", comparison.templates),
    ):
        table = changes_table(title, changes, rows_shown)
        if table is not None:
            blocks.append(table)
    return blocks


def compare_blocks(doc: CompareDocument) -> list[Block]:
    c = doc.comparison
    facts = Facts("Compared", [("Base", Name(c.base_dir)), ("Head", Name(c.head_dir))])
    return [facts, *comparison_blocks(c)]


def _build_line(row: HistoryRow | None) -> Text:
    if row is None:
        return "-"
    subject = (" ", Name(row.subject)) if row.subject else ()
    return (f"#{row.id} ", short(row.commit), f" ({day(row.commit_time or row.recorded_at)})", *subject)


def verdict_blocks(verdict: Verdict) -> list[Block]:
    lines: list[Text] = list(verdict.reasons) or ["Within the budgets and the noise."]
    shape = verdict.shape
    if shape.speed_factor is not None:
        lines.append(
            f"Machine speed factor {shape.speed_factor:.3f} (measured on {shape.speed_headers} headers), "
            f"taken out before judging."
        )
    blocks: list[Block] = [Notes("Why", lines)]
    blamed = [
        *verdict.attribution.headers[:5],
        *verdict.attribution.templates[:3],
        *verdict.attribution.targets[:3],
    ]
    if blamed and verdict.status == "regressed":
        blocks.append(_movers_table(blamed))
    return blocks


def _movers_table(movers: list[Mover]) -> Table:
    columns = [Column("What", "left"), Column("Name", "left", "path"), Column("Base"), Column("Head")]
    columns += [Column("Unexplained"), Column("Share")]
    rows = [
        [
            m.kind,
            Name(m.name),
            format_ms(m.base),
            format_ms(m.head),
            signed_ms(m.excess),
            f"{100 * m.share:.1f}%",
        ]
        for m in movers
    ]
    note = "Unexplained: the increase beyond what the machine's speed explains; share of the traced time."
    return Table("Most to blame", columns, rows, note=note)


def ci_blocks(doc: CiDocument) -> list[Block]:
    status = {"passed": "PASSED", "regressed": "REGRESSED", "no-baseline": "PASSED (no baseline yet)"}[
        doc.status
    ]
    facts: list[tuple[str, Text]] = [
        ("Result", status),
        ("This build", _build_line(doc.build)),
        ("Baseline", _build_line(doc.baseline.build)),
        ("Chosen as", doc.baseline.rule),
        ("Budgets", doc.budgets),
        (
            "Noise measured on",
            f"{doc.noise_builds} earlier build(s)" if doc.noise_builds else "defaults (too few builds)",
        ),
        ("Label", Name(doc.build.label)),
        ("History", Name(doc.history)),
    ]
    if doc.commit_note:
        facts.append(("Commit", Name(doc.commit_note)))
    blocks: list[Block] = [Facts(f"Build cost: {status}", facts)]
    if doc.verdict is not None:
        blocks += verdict_blocks(doc.verdict)
    if doc.comparison is not None:
        blocks += comparison_blocks(doc.comparison)
    if doc.artifacts:
        blocks.append(Notes("Artifacts", [Name(a) for a in doc.artifacts]))
    return blocks


CHANGE_SECTIONS = {CompareDocument: compare_blocks, CiDocument: ci_blocks}
