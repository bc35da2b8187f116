"""Blocks for the build-graph commands: the critical path (also a short section of `report`) and
what-if replays."""

from __future__ import annotations

from buildprof.model.graph_documents import CriticalPathDocument, WhatIfDocument
from buildprof.model.graph_report import CriticalPath, SimulatedBuild, StepSlack
from buildprof.render.layout import Block, Column, Facts, Name, Notes, Table, Text, format_ms


def critical_path_facts(path: CriticalPath, simulated: SimulatedBuild | None = None) -> Facts:
    """The path against the wall time, and the ideal wall time with unlimited cores."""
    share = f"{path.path_share:.0%}" if path.wall_ms else "-"
    items: list[tuple[str, Text]] = [
        ("path", f"{len(path.steps)} steps, {format_ms(path.length_ms)}: {share} of the wall time"),
        (
            "wall time",
            f"{format_ms(path.wall_ms)} measured; {format_ms(path.ideal_wall_ms)} with unlimited cores",
        ),
        ("CPU time", f"{format_ms(path.cpu_ms)} over {path.steps_ran} steps"),
    ]
    if simulated is not None and simulated.error is not None:
        items.append(
            (
                "simulator",
                f"replays the build at -j{simulated.jobs} in {format_ms(simulated.predicted_wall_ms)} "
                f"({simulated.error:+.1%} against the measured wall time)",
            )
        )
    if path.steps_unmatched:
        items.append(("left out", f"{path.steps_unmatched} steps build.ninja does not name"))
    return Facts("Critical path", items)


def path_table(path: CriticalPath, limit: int | None = None) -> Table:
    """The path's steps, first to last, with their drag."""
    steps = path.steps if limit is None else sorted(path.steps, key=lambda s: -s.drag_ms)[:limit]
    rows: list[list[Text]] = [
        [
            format_ms(s.start_ms),
            format_ms(s.duration_ms),
            format_ms(s.drag_ms),
            s.kind,
            Name(s.target),
            Name(s.output),
        ]
        for s in steps
    ]
    columns = [
        Column("at"),
        Column("duration"),
        Column("drag"),
        Column("kind", "left"),
        Column("target", "left", "name"),
        Column("output", "left", "path"),
    ]
    note = (
        "at = start on the path; drag = how much sooner the build could end (unlimited cores) if the "
        "step took no time."
    )
    title = (
        "Steps on the critical path"
        if limit is None
        else f"Critical path steps with the most drag (top {limit})"
    )
    return Table(title, columns, rows, note=note)


def _slack_table(title: str, rows: list[StepSlack]) -> Table:
    cells: list[list[Text]] = [
        [
            format_ms(r.slack_ms),
            format_ms(r.duration_ms),
            format_ms(r.earliest_start_ms),
            r.kind,
            Name(r.output),
        ]
        for r in rows
    ]
    columns = [
        Column("slack"),
        Column("duration"),
        Column("earliest"),
        Column("kind", "left"),
        Column("output", "left", "path"),
    ]
    return Table(title, columns, cells, note="slack = how much later it could start without a longer build.")


def critical_path_blocks(doc: CriticalPathDocument) -> list[Block]:
    path = doc.critical_path
    blocks: list[Block] = [
        critical_path_facts(path, doc.simulated),
        path_table(path),
        _slack_table("Steps with the most slack (least urgent)", path.most_slack),
    ]
    if doc.notes:
        blocks.append(Notes("Notes", [Name(n) for n in doc.notes]))
    return blocks


def what_if_blocks(doc: WhatIfDocument) -> list[Block]:
    measured, predicted = doc.as_measured, doc.predicted
    facts = Facts(
        "What if",
        [
            (
                "measured",
                f"{format_ms(doc.measured_wall_ms)} wall, {format_ms(doc.measured_cpu_ms)} CPU"
                f" at -j{doc.measured_jobs}",
            ),
            (
                "replayed",
                f"{format_ms(measured.predicted_wall_ms)} wall as measured "
                f"({(measured.error or 0.0):+.1%}: the simulator's own error)",
            ),
            (
                "predicted",
                f"{format_ms(predicted.predicted_wall_ms)} wall, {format_ms(predicted.cpu_ms)} CPU"
                f" at -j{predicted.jobs}",
            ),
            ("change", f"{_signed_ms(doc.wall_change_ms)} wall, {_signed_ms(doc.cpu_change_ms)} CPU"),
        ],
    )
    rows: list[list[Text]] = [
        [
            c.kind,
            c.matched,
            Name(c.pattern),
            "-" if c.factor is None else f"{c.factor:g}x",
            str(c.steps),
            format_ms(c.cpu_saved_ms),
        ]
        for c in doc.changes
    ]
    changes = Table(
        "Changes applied",
        [
            Column("change", "left"),
            Column("as", "left"),
            Column("pattern", "left", "path"),
            Column("factor"),
            Column("steps"),
            Column("CPU saved"),
        ],
        rows,
    )
    blocks: list[Block] = [facts, changes] if rows else [facts]
    if doc.notes:
        blocks.append(Notes("Notes", [Name(n) for n in doc.notes]))
    return blocks


def _signed_ms(ms: float) -> str:
    return ("+" if ms > 0 else "-" if ms < 0 else "") + format_ms(abs(ms))


GRAPH_SECTIONS = {CriticalPathDocument: critical_path_blocks, WhatIfDocument: what_if_blocks}
