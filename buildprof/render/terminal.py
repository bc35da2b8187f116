"""Plain-text report for a terminal: aligned tables that fit a given width (100 columns by default)."""

from __future__ import annotations

import textwrap

from buildprof.render.layout import Block, Column, Facts, Notes, Table, shorten
from buildprof.render.sections import document_blocks

DEFAULT_WIDTH = 100
_GAP = "  "


def render_terminal(doc: dict, width: int = DEFAULT_WIDTH) -> str:
    """The whole document as aligned plain text."""
    return "\n".join(draw_block(block, width) for block in document_blocks(doc)).rstrip() + "\n"


def draw_block(block: Block, width: int) -> str:
    if isinstance(block, Table):
        return _draw_table(block, width)
    if isinstance(block, Facts):
        return _draw_facts(block, width)
    if isinstance(block, Notes):
        return _draw_notes(block, width)
    raise TypeError(f"unknown block {block!r}")


def _heading(title: str) -> list[str]:
    return [title, "-" * len(title)]


def _draw_facts(block: Facts, width: int) -> str:
    lines = _heading(block.title)
    label_width = max((len(label) for label, _ in block.items), default=0)
    indent = " " * (label_width + 4)
    for label, value in block.items:
        first = f"  {label.ljust(label_width)}  "
        lines += textwrap.wrap(value, width, initial_indent=first, subsequent_indent=indent) or [first]
    if block.note:
        lines.append(f"  {block.note}")
    return "\n".join(lines) + "\n"


def _draw_notes(block: Notes, width: int) -> str:
    body = [shorten(line, width - 2, block.shrink) if block.shrink else line for line in block.lines]
    lines = _heading(block.title) + [f"  {line}" for line in body]
    return "\n".join(lines) + "\n"


def _draw_table(block: Table, width: int) -> str:
    lines = _heading(block.title)
    if block.note:
        lines += textwrap.wrap(block.note, width)
    if not block.rows:
        lines.append("  (none)")
        return "\n".join(lines) + "\n"
    widths = _fit_widths(block.columns, block.rows, width)
    lines.append(_draw_row([c.label for c in block.columns], block.columns, widths))
    lines += [_draw_row(row, block.columns, widths) for row in block.rows]
    if block.footer:
        lines.append(f"  {block.footer}")
    return "\n".join(lines) + "\n"


def _fit_widths(columns: list[Column], rows: list[list[str]], width: int) -> list[int]:
    """Natural column widths; shrinkable columns give up one character at a time, widest first."""
    widths = [max(len(col.label), *(len(row[i]) for row in rows)) for i, col in enumerate(columns)]
    excess = len(_GAP) * len(columns) + sum(widths) - width
    floors = {i: max(12, len(col.label)) for i, col in enumerate(columns) if col.shrink}
    while excess > 0:
        candidates = [i for i, floor in floors.items() if widths[i] > floor]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1
    return widths


def _draw_row(cells: list[str], columns: list[Column], widths: list[int]) -> str:
    parts = []
    for cell, col, w in zip(cells, columns, widths, strict=True):
        text = shorten(cell, w, col.shrink) if len(cell) > w else cell
        parts.append(text.ljust(w) if col.align == "left" else text.rjust(w))
    return (_GAP + _GAP.join(parts)).rstrip()
