"""Sections of the HTML report that the build-graph and history analyses add when a document carries
them: the critical path, header rebuild impact, and (generically, as tables) any other such field.

Each is drawn only if its field is present and set, so a document without the graph (no build.ninja)
gives a page without them. A new field is one entry in OPTIONAL_FIELDS (drawn as generic tables) or
a function here (drawn as it deserves) and a line in `graph_sections`.
"""

from __future__ import annotations

from typing import Any

import msgspec

from buildprof.model.report import Document
from buildprof.render.html_page import Col, Fact, Section, count_fact, ms_fact, table
from buildprof.render.trace_sections import path_shortener

OPTIONAL_FIELDS = (("trend", "Trend"),)  # (field, title): drawn as generic tables when present
_KINDS = (("_ms", "ms"), ("_share", "share"), ("share", "share"))


def _get(name: str):
    return lambda row: getattr(row, name)


def critical_path_section(doc: Document) -> Section | None:
    """The last build's critical path: its steps with their drag, and the steps with least slack."""
    path = getattr(doc, "critical_path", None)
    if path is None:
        return None
    facts: list[Fact] = [
        ms_fact("critical path", "length_ms", path.length_ms, "its steps' measured durations, summed"),
        ms_fact("ideal wall time", "ideal_wall_ms", path.ideal_wall_ms, "with unlimited cores"),
        ms_fact("measured wall time", "cp_wall_ms", path.wall_ms),
        Fact("path / wall", f"{100 * path.path_share:.1f} %", "path_share", path.path_share),
        count_fact("steps on the path", "path_steps", len(path.steps)),
    ]
    short = path_shortener(doc)
    step_cols = [
        Col("output", "path", _get("output")),
        Col("kind", "text", _get("kind")),
        Col("target", "name", _get("target")),
        Col("duration", "ms", _get("duration_ms")),
        Col("at", "ms", _get("start_ms"), "where it is on the path: the durations before it, summed"),
        Col("drag", "ms", _get("drag_ms"), "how much shorter the ideal build gets if this step took no time"),
    ]
    slack_cols = [
        Col("output", "path", _get("output")),
        Col("kind", "text", _get("kind")),
        Col("target", "name", _get("target")),
        Col("duration", "ms", _get("duration_ms")),
        Col("earliest start", "ms", _get("earliest_start_ms")),
        Col("slack", "ms", _get("slack_ms"), "how much later it could start without a longer build"),
    ]
    intro = (
        "The chain of steps that bounds the build: with unlimited cores it would still take this long. "
        "Its steps are outlined on the timeline."
    )
    tables = [
        table("critical-path", "Steps on the critical path", step_cols, path.steps, short=short),
        table("least-slack", "Steps with the least slack", slack_cols, path.least_slack, short=short),
    ]
    return Section("critical-path", "Critical path", intro, facts=facts, tables=tables)


def impact_section(doc: Document) -> Section | None:
    """headers: the project's headers by what touching one of them rebuilds."""
    listing = getattr(doc, "impact", None)
    if listing is None or not getattr(listing, "rows", None):
        return None
    cols = [
        Col("header", "path", _get("file")),
        Col("TUs", "int", _get("tus"), "translation units that include it (.ninja_deps)"),
        Col("steps rerun", "int", _get("steps")),
        Col("CPU", "ms", _get("cpu_ms"), "the rerun steps' durations, summed"),
        Col("wall", "ms", _get("wall_ms"), "the rebuild simulated at the build's -j"),
        Col("changes", "int", _get("changes"), "commits that changed it in the git window"),
        Col("per commit", "ms", _get("expected_ms_per_commit"), "rebuild CPU times changes per commit"),
    ]
    short = path_shortener(doc)
    made = table("impact", "Header rebuild impact", cols, listing.rows, short=short, total=listing.matched)
    intro = "What touching each header makes ninja rerun, from build.ninja and .ninja_deps."
    return Section("header-impact", "Header impact", intro, tables=[made])


def _column_for(name: str, sample: Any) -> Col:
    kind = next((k for suffix, k in _KINDS if name.endswith(suffix)), None)
    if kind is None:
        kind = "int" if isinstance(sample, int | float) and not isinstance(sample, bool) else "name"
    return Col(name.replace("_ms", "").replace("_", " "), kind, _get(name))


def _flat(record: Any) -> list[str]:
    """A record's scalar fields."""
    nested = list | dict | msgspec.Struct
    return [f for f in record.__struct_fields__ if not isinstance(getattr(record, f), nested)]


def generic_tables(id: str, title: str, value: Any) -> list:
    """Tables for a record or a list of records: each list of records becomes a table; a record's
    scalar fields a table of one row."""
    if isinstance(value, list):
        if not value or not isinstance(value[0], msgspec.Struct):
            return []
        return [table(id, title, [_column_for(f, getattr(value[0], f)) for f in _flat(value[0])], value)]
    if not isinstance(value, msgspec.Struct):
        return []
    tables = []
    scalars = [f for f in _flat(value) if getattr(value, f) is not None]
    if scalars:
        tables.append(table(id, title, [_column_for(f, getattr(value, f)) for f in scalars], [value]))
    for f in value.__struct_fields__:
        inner = getattr(value, f)
        if isinstance(inner, list | msgspec.Struct):
            tables += generic_tables(f"{id}-{f}", f"{title}: {f.replace('_', ' ')}", inner)
    return tables


def optional_sections(doc: Document) -> list[Section]:
    """Sections for the OPTIONAL_FIELDS a document (or one of its builds) carries."""
    sections = []
    holders = [doc, *getattr(doc, "builds", [])]
    for field, title in OPTIONAL_FIELDS:
        for k, holder in enumerate(holders):
            value = getattr(holder, field, None)
            tables = generic_tables(f"{field}-{k}", title, value) if value else []
            if tables:
                sections.append(Section(f"{field.replace('_', '-')}-{k}", title, tables=tables))
    return sections


def graph_sections(doc: Document) -> list[Section]:
    found = [critical_path_section(doc), impact_section(doc), *optional_sections(doc)]
    return [s for s in found if s is not None]


def critical_outputs(doc: Document) -> dict[str, int]:
    """The outputs of the critical path's steps and their drag (ms), to mark them on the timeline."""
    path = getattr(doc, "critical_path", None)
    return {s.output: s.drag_ms for s in path.steps} if path is not None else {}
