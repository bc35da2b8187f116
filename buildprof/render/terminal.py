"""Plain-text report for a terminal: aligned tables that never exceed the width (100 columns by default).

Names from the build are made visible (render.escape) and shortened in the middle to fit their column;
every line is finally cut to the width, so nothing a build names can widen or break the layout.
"""

from __future__ import annotations

import textwrap

from buildprof.model.report import Document
from buildprof.render import RenderOptions
from buildprof.render.escape import visible
from buildprof.render.layout import (
    Block,
    Column,
    Facts,
    Name,
    Notes,
    Table,
    Text,
    clip,
    display_width,
    parts,
    plain,
    shorten,
)
from buildprof.render.sections import document_blocks

DEFAULT_WIDTH = 100
_GAP = "  "
_MIN_CELL = 6  # a shortened name keeps at least this many columns while the table can give others
_MIN_WRAP = 8  # columns left beside an indent for wrapping to make sense
_MIN_FACT_NAME = 30  # a name in a summary line is not cut below this to keep the line whole


def render(doc: Document, options: RenderOptions) -> str:
    """The registry's entry point (buildprof.render.FORMATS)."""
    return render_terminal(doc, options.width)


def render_terminal(doc: Document, width: int | None = None) -> str:
    """The whole document as aligned plain text, no line wider than `width` columns."""
    width = max(width or DEFAULT_WIDTH, 1)
    text = "\n".join(draw_block(block, width) for block in document_blocks(doc)).rstrip() + "\n"
    return text


def draw_block(block: Block, width: int) -> str:
    if isinstance(block, Table):
        lines = _draw_table(block, width)
    elif isinstance(block, Facts):
        lines = _draw_facts(block, width)
    elif isinstance(block, Notes):
        lines = _draw_notes(block, width)
    else:
        raise TypeError(f"unknown block {block!r}")
    return "\n".join(clip(visible(line), width) for line in lines) + "\n"


def wrap(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Lines of at most `width` columns, broken at spaces; on a terminal too narrow for the indents
    (where textwrap would never finish) one line, cut by draw_block like any other."""
    if width - max(len(first), len(rest)) < _MIN_WRAP:
        return [first + text]
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest) or [first]


def fit(text: Text, width: int, how: str = "middle", min_cell: int = _MIN_CELL) -> str:
    """A Text as one visible line: its names shortened (longest first, to no less than `min_cell`
    columns) until it fits, if they can."""
    pieces = [(visible(p), isinstance(p, Name)) for p in parts(text)]
    widths = [display_width(p) for p, _ in pieces]
    excess = sum(widths) - width
    names = sorted((i for i, (_, is_name) in enumerate(pieces) if is_name), key=lambda i: -widths[i])
    for i in names:
        if excess <= 0:
            break
        target = max(widths[i] - excess, min_cell)
        if target < widths[i]:
            shortened = shorten(pieces[i][0], target, how)
            excess -= widths[i] - display_width(shortened)
            pieces[i] = (shortened, True)
    return "".join(p for p, _ in pieces)


def _heading(title: Text, width: int) -> list[str]:
    line = fit(title, width)
    return [line, "-" * min(display_width(line), width)]


def _draw_facts(block: Facts, width: int) -> list[str]:
    lines = _heading(block.title, width)
    label_width = max((len(label) for label, _ in block.items), default=0)
    indent = " " * (label_width + 4)
    for label, value in block.items:
        first = f"  {label.ljust(label_width)}  "
        room = width - len(first)
        line = fit(value, room, "path", min_cell=_MIN_FACT_NAME)
        if display_width(line) > room:  # a sentence: wrapped, its names cut only to the line's width
            line = fit(value, 0, "path", min_cell=room)
            lines += wrap(line, width, first, indent)
        else:
            lines.append(first + line)
    if block.note:
        lines += wrap(block.note, width, "  ", "  ")
    return lines


def _draw_notes(block: Notes, width: int) -> list[str]:
    lines = _heading(block.title, width)
    for note in block.lines:
        line = fit(note, width - 2, block.shrink)
        if display_width(line) <= width - 2:
            lines.append(f"  {line}")
        else:  # our words are wrapped, not cut
            lines += wrap(line, width, "  ", "    ")
    return lines


def _draw_table(block: Table, width: int) -> list[str]:
    lines = _heading(block.title, width)
    if block.note:
        lines += wrap(block.note, width)
    if not block.rows:
        lines.append("  (none)")
        return lines
    widths = _fit_widths(block.columns, [[visible(plain(cell)) for cell in row] for row in block.rows], width)
    lines.append(_draw_row([c.label for c in block.columns], block.columns, widths))
    lines += [_draw_row(row, block.columns, widths) for row in block.rows]
    if block.footer:
        lines.append(f"  {block.footer}")
    return lines


def _fit_widths(columns: list[Column], rows: list[list[str]], width: int) -> list[int]:
    """Natural column widths; name columns give up one column at a time, widest first, to fit."""
    widths = [
        max(display_width(col.label), *(display_width(row[i]) for row in rows))
        for i, col in enumerate(columns)
    ]
    excess = len(_GAP) * len(columns) + sum(widths) - width
    for floor in (12, _MIN_CELL):
        floors = {i: max(floor, len(col.label)) for i, col in enumerate(columns) if col.shrink}
        while excess > 0:
            candidates = [i for i, low in floors.items() if widths[i] > low]
            if not candidates:
                break
            widest = max(candidates, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    return widths


def _draw_row(cells: list[Text], columns: list[Column], widths: list[int]) -> str:
    """One table row: each cell fitted to its column (the names in it shortened), then aligned."""
    drawn = []
    for cell, col, w in zip(cells, columns, widths, strict=True):
        how = col.shrink or "middle"
        text = fit(cell, w, how)
        if display_width(text) > w:
            text = shorten(text, w, how)
        pad = " " * (w - display_width(text))
        drawn.append(text + pad if col.align == "left" else pad + text)
    return (_GAP + _GAP.join(drawn)).rstrip()
