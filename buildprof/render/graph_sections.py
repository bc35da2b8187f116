"""Blocks for what the build graph adds to `headers` and `why`: exact TU counts from `.ninja_deps`
and what touching a header rebuilds."""

from __future__ import annotations

from collections.abc import Callable

from buildprof.model.churn import FileChurn
from buildprof.model.impact import RebuildImpact
from buildprof.model.trace_report import HeaderRow, Listing
from buildprof.render.layout import Block, Column, Facts, Name, Notes, Table, Text, format_ms

Shorten = Callable[[str], str]


def add_deps_column(table: Table, rows: list[HeaderRow]) -> Table:
    """The trace table with `deps TUs` after `TUs` when `.ninja_deps` was read."""
    if not rows or rows[0].deps_tus is None:
        return table
    at = next(i for i, c in enumerate(table.columns) if c.label == "TUs") + 1
    table.columns.insert(at, Column("deps TUs"))
    for cells, row in zip(table.rows, rows, strict=True):
        cells.insert(at, str(row.deps_tus))
    table.note += (
        " TUs = translation units whose trace recorded it; deps TUs = those that include it (.ninja_deps)."
    )
    return table


def impact_table(listing: Listing[RebuildImpact], churn: FileChurn | None, short: Shorten) -> Table:
    """The project's headers by what touching one costs (and how often it changes, with git)."""
    columns = [Column("TUs"), Column("targets"), Column("steps"), Column("CPU"), Column("wall")]
    if churn is not None:
        columns += [Column("changes"), Column("per commit")]
    columns.append(Column("header", "left", "path"))
    cells: list[list[Text]] = []
    for r in listing.rows:
        row: list[Text] = [str(r.tus), str(len(r.targets)), str(r.steps), format_ms(r.cpu_ms), _wall(r)]
        if churn is not None:
            row += [str(r.changes or 0), format_ms(r.expected_ms_per_commit or 0.0)]
        cells.append([*row, Name(short(r.file))])
    by = "expected rebuild cost per commit" if churn is not None else "rebuild CPU time"
    note = (
        "TUs, targets = translation units that include it (.ninja_deps, exact) and their targets; "
        "steps, CPU = what `ninja` reruns after touching it, each step as the log last measured it; "
        "wall = that rebuild simulated at the build's parallelism (first rows only)."
    )
    if churn is not None:
        note += (
            f" changes = commits that changed it ({_window(churn)}); per commit = changes / commits x CPU."
        )
    footer = f"{len(listing.rows)} of {listing.matched} project headers, by {by}"
    return Table(f"What touching a header costs, by {by}", columns, cells, note=note, footer=footer)


def rebuild_facts(r: RebuildImpact, churn: FileChurn | None) -> Facts:
    """Who includes a header (exact) and what touching it reruns."""
    items: list[tuple[str, Text]] = [
        ("TUs (.ninja_deps)", f"{r.tus} translation units include it, in {len(r.targets)} targets"),
        ("touching it", f"reruns {r.steps} steps ({r.compiles} compiles): {format_ms(r.cpu_ms)} of CPU"),
    ]
    if r.wall_ms is not None:
        items.append(("rebuild wall", f"{format_ms(r.wall_ms)} at -j{r.jobs} (simulated)"))
    if r.unmeasured:
        items.append(("unmeasured", f"{r.unmeasured} of those steps never ran in the log (counted as 0)"))
    if churn is not None:
        if churn.note:
            items.append(("git", churn.note))
        else:
            per = format_ms(r.expected_ms_per_commit or 0.0)
            items.append(
                (
                    "changes",
                    f"in {r.changes or 0} of {churn.commits} commits ({churn.window}): {per} per commit",
                )
            )
    return Facts("Rebuild impact (build graph)", items)


def graph_notes(notes: list[str], churn: FileChurn | None) -> list[Block]:
    """What could not be read for the graph part, said once."""
    lines: list[Text] = [Name(n) for n in notes]
    if churn is not None and churn.note:
        lines.append(Name(f"git: {churn.note}: change counts left out"))
    return [Notes("Build graph", lines)] if lines else []


def _wall(r: RebuildImpact) -> str:
    return format_ms(r.wall_ms) if r.wall_ms is not None else ""


def _window(churn: FileChurn) -> str:
    return f"{churn.commits} commits, {churn.window}"


def rebuild_outputs(r: RebuildImpact, limit: int = 12) -> list[Block]:
    """What a rebuild after touching the header writes, in the graph's order (the JSON has all)."""
    if not r.outputs:
        return []
    lines: list[Text] = [Name(o) for o in r.outputs[:limit]]
    if len(r.outputs) > limit:
        lines.append(f"... and {len(r.outputs) - limit} more (--format json lists every one)")
    return [Notes(f"What touching it reruns ({r.steps} steps)", lines, shrink="path")]
