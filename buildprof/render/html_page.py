"""The HTML report's page model: sections of facts, timelines and sortable tables, independent of
the document they came from (render/html_sections.py builds them, templates/page.html.j2 draws them).

A table is declared by its columns, each a label, a kind and how to get its value from a row, so a
new section is a list of columns and a call to `table()`. Cells keep the raw value (for sorting and
for the tests, as `data-v`) beside the text shown; names from the build stay plain text here and are
escaped by the template's `name` filter (render.escape.html_text) when drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from buildprof.render.layout import format_count, format_ms

MAX_ROWS = 200  # rows per table: the document is already cut to --top; this caps a huge --top
MAX_DETAIL_ROWS = 100  # rows whose details (include chains, paying TUs) are embedded


class Cell(msgspec.Struct):
    """One cell: the text shown, the value it sorts by, and whether it is a name from the build."""

    text: str
    value: float | str | None = None  # data-v: the raw number (None: no value, sorts last)
    name: bool = False  # a name: escaped with html_text, shown elided (click shows it whole)
    full: str = ""  # the whole name when `text` is shortened (a path under the source root)


class Detail(msgspec.Struct):
    """What a row expands to: a summary line and items, each our words then names (a chain)."""

    summary: str
    items: list[tuple[str, list[str]]]
    joiner: str = " \u2190 "  # between the names of an item


class Row(msgspec.Struct):
    cells: list[Cell]
    detail: Detail | None = None


class Column(msgspec.Struct):
    label: str
    numeric: bool
    help: str = ""


class Table(msgspec.Struct):
    """A sortable, filterable table; `capped` says what was left out of the page, if anything."""

    id: str
    title: str
    columns: list[Column]
    rows: list[Row]
    note: str = ""
    capped: str = ""


class Fact(msgspec.Struct):
    """A headline number: label, the text shown, its raw value and key (data-key, data-v)."""

    label: str
    text: str
    key: str = ""
    value: float | None = None
    hint: str = ""


class Section(msgspec.Struct):
    """A titled part of the page: facts, an optional timeline (index into the payload), tables."""

    id: str
    title: str
    intro: str = ""
    facts: list[Fact] = []
    timeline: int | None = None
    tables: list[Table] = []
    lines: list[str] = []  # plain sentences (inputs, problems); names inside are escaped
    limits: list[str] = []  # what the page leaves out of the document


class Col(msgspec.Struct):
    """How a column is drawn from a row: label, kind and getter.

    Kinds: "name" (a name from the build), "path" (a file: shortened under the source root), "text"
    (our words), "ms" (a duration), "int" (a count), "share" (a fraction shown as a percentage).
    """

    label: str
    kind: str
    get: Callable[[Any], Any]
    help: str = ""


def cell(kind: str, value: Any, short: Callable[[str], str] | None = None) -> Cell:
    """A cell of `kind` for `value` (see Col)."""
    if kind in ("name", "path"):
        text = str(value)
        shown = short(text) if short is not None and kind == "path" else text
        return Cell(shown, text.lower(), name=True, full=text if shown != text else "")
    if kind == "text":
        return Cell(str(value), str(value).lower())
    if value is None:
        return Cell("-", None)
    if kind == "ms":
        return Cell(format_ms(value), value)
    if kind == "share":
        return Cell(f"{100 * value:.1f} %", value)
    if kind == "int":
        return Cell(format_count(value), value)
    if kind == "bool":
        return Cell("yes" if value else "no", int(bool(value)))
    raise ValueError(f"unknown column kind {kind!r}")


def table(
    id: str,
    title: str,
    cols: Sequence[Col],
    rows: Sequence[Any],
    *,
    note: str = "",
    total: int | None = None,
    what: str = "rows",
    short: Callable[[str], str] | None = None,
    detail: Callable[[Any], Detail | None] | None = None,
) -> Table:
    """A table of `rows` (records) drawn through `cols`; `total` is how many the document counted
    before it was cut (said under the table when more than shown)."""
    shown = list(rows[:MAX_ROWS])
    built = [
        Row(
            [cell(c.kind, c.get(r), short) for c in cols],
            detail(r) if detail is not None and k < MAX_DETAIL_ROWS else None,
        )
        for k, r in enumerate(shown)
    ]
    capped = ""
    if len(rows) > len(shown):
        capped = f"the first {len(shown):,} of {len(rows):,} {what} in the report are shown"
    elif total is not None and total > len(shown):
        capped = f"{len(shown):,} of {total:,} {what} (raise --top for more)"
    columns = [Column(c.label, c.kind not in ("name", "path", "text"), c.help) for c in cols]
    return Table(id, title, columns, built, note=note, capped=capped)


def ms_fact(label: str, key: str, ms: float | None, hint: str = "") -> Fact:
    return Fact(label, format_ms(ms), key, ms, hint)


def count_fact(label: str, key: str, n: int | None, hint: str = "") -> Fact:
    return Fact(label, "-" if n is None else format_count(n), key, n, hint)
