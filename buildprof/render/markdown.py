"""Markdown report (GitHub-flavoured tables) for CI summaries and pull-request comments.

Our own words are written as Markdown (their `code` spans stay code); names from the build are always
code spans, made visible (render.escape) and shortened in the middle like in the terminal, so that no
name can open a tag, end a table row or run into the text around it.

A pull-request comment holds 65,536 characters, so the text is kept under LIMIT: a table shows its
first SHOWN_ROWS rows and folds the rest into a collapsible `<details>` block (a blank line after its
`<summary>`, so that GitHub renders the table inside as Markdown); when that is still too long, every
table and list keeps only as many rows as fit, and says how many were cut. `cap_markdown` is the last
resort for any Markdown (the `ci` summary too): a cut at a line, closing a `<details>` left open.
"""

from __future__ import annotations

import re

from buildprof.model.report import Document
from buildprof.render import RenderOptions
from buildprof.render.escape import visible
from buildprof.render.layout import Block, Facts, Name, Notes, Table, Text, parts, shorten
from buildprof.render.sections import document_blocks, document_title

NAME_WIDTH = 100  # longer names are shortened in the middle, as in a terminal (the JSON has them whole)
LIMIT = 65_000  # characters: a GitHub pull-request comment or step summary holds 65,536
SHOWN_ROWS = 10  # rows of a table shown before the others fold into <details>
_SPECIAL = re.compile(r"([\\*_\[\]|#~])")
_CUT = "_{} more {} cut to fit a {:,}-character comment (the JSON output has them all)_"


def render(doc: Document, options: RenderOptions) -> str:
    """The registry's entry point (buildprof.render.FORMATS); Markdown has no width."""
    return render_markdown(doc)


def render_markdown(doc: Document, limit: int = LIMIT) -> str:
    """The whole document as Markdown, titled after its command, under `limit` characters."""
    title = f"# {text(document_title(doc))}\n"
    blocks = document_blocks(doc)
    whole = _document(title, blocks, None, limit)
    if len(whole) <= limit:
        return whole
    # Keep the most rows per table (and lines per list) that fit: the first rows are the largest.
    low, high = 0, max((len(_rows(b)) for b in blocks), default=0)
    while low < high:
        middle = (low + high + 1) // 2
        if len(_document(title, blocks, middle, limit)) <= limit:
            low = middle
        else:
            high = middle - 1
    return cap_markdown(_document(title, blocks, low, limit), limit)


def cap_markdown(markdown: str, limit: int = LIMIT, note: str = "") -> str:
    """`markdown` cut at a line to stay under `limit` characters, a `<details>` left open closed, and
    `note` (default: a line saying it was cut) at the end; unchanged when it fits."""
    if len(markdown) <= limit:
        return markdown
    note = note or "_(cut to fit a comment: the JSON output has the whole report)_"
    cut = markdown.rfind("\n", 0, max(limit - len(note) - 40, 0))
    kept = markdown[: max(cut, 0)]
    opened = sum(1 for line in kept.split("\n") if line == "<details>")
    closed = sum(1 for line in kept.split("\n") if line == "</details>")
    return kept + "\n\n</details>" * (opened - closed) + f"\n\n{note}\n"


def _rows(block: Block) -> list:
    return block.rows if isinstance(block, Table) else block.lines if isinstance(block, Notes) else []


def _document(title: str, blocks: list[Block], keep: int | None, limit: int) -> str:
    """The Markdown of `blocks`, each table and list cut to its first `keep` rows (None: all)."""
    return title + "\n" + "\n".join(_block(b, keep, limit) for b in blocks).rstrip() + "\n"


def _block(block: Block, keep: int | None, limit: int) -> str:
    lines = [f"## {text(block.title)}", ""]
    if isinstance(block, Facts):
        lines += [f"- **{prose(label)}**: {text(value, 'path')}" for label, value in block.items]
        if block.note:
            lines += ["", prose(block.note)]
        return "\n".join(lines) + "\n"
    if isinstance(block, Notes):
        shown = block.lines if keep is None else block.lines[:keep]
        lines += [f"- {text(line, block.shrink)}" for line in shown]
        if len(shown) < len(block.lines):
            lines += ["", _CUT.format(f"{len(block.lines) - len(shown):,}", "lines", limit)]
        return "\n".join(lines) + "\n"
    if isinstance(block, Table):
        return _table(block, lines, keep, limit)
    raise TypeError(f"unknown block {block!r}")


def _table(block: Table, lines: list[str], keep: int | None, limit: int) -> str:
    if block.note:
        lines += [prose(block.note), ""]
    if not block.rows:
        return "\n".join([*lines, "_none_"]) + "\n"
    rows = block.rows if keep is None else block.rows[:keep]
    header = [
        "| " + " | ".join(prose(c.label, in_table=True) for c in block.columns) + " |",
        "|" + "|".join("---:" if c.align == "right" else ":---" for c in block.columns) + "|",
    ]
    drawn = [_row(row, block) for row in rows]
    lines += header + drawn[:SHOWN_ROWS]
    if len(drawn) > SHOWN_ROWS:  # GitHub needs the blank lines to read the table inside as Markdown
        more = f"{len(drawn) - SHOWN_ROWS:,} more rows"
        lines += [
            "",
            "<details>",
            f"<summary>{more}</summary>",
            "",
            *header,
            *drawn[SHOWN_ROWS:],
            "",
            "</details>",
        ]
    if len(rows) < len(block.rows):
        lines += ["", _CUT.format(f"{len(block.rows) - len(rows):,}", "rows", limit)]
    if block.footer:
        lines += ["", prose(block.footer)]
    return "\n".join(lines) + "\n"


def _row(row: list, block: Table) -> str:
    cells = (
        code(shorten(visible(cell), NAME_WIDTH, col.shrink), in_table=True)
        if isinstance(cell, Name)
        else text(cell, col.shrink or "middle", in_table=True)
        for cell, col in zip(row, block.columns, strict=True)
    )
    return "| " + " | ".join(cells) + " |"


def text(value: Text, how: str = "middle", in_table: bool = False) -> str:
    """A Text as Markdown: names as code spans, our words as Markdown."""
    return "".join(
        code(shorten(visible(p), NAME_WIDTH, how), in_table) if isinstance(p, Name) else prose(p, in_table)
        for p in parts(value)
    )


def prose(words: str, in_table: bool = False) -> str:
    """Our own words: `code` spans kept as code, the other Markdown characters escaped."""
    pieces = re.split(r"(`[^`]+`)", visible(words))
    out = []
    for piece in pieces:
        if len(piece) > 2 and piece.startswith("`") and piece.endswith("`"):
            out.append(code(piece[1:-1], in_table))
        else:
            out.append(_SPECIAL.sub(r"\\\1", piece).replace("<", "&lt;").replace(">", "&gt;"))
    return "".join(out)


def code(value: str, in_table: bool = False) -> str:
    """`value` as a code span: fenced with more backticks than it holds, pipes escaped in tables."""
    if not value:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {value} " if value[0] in "` " or value[-1] in "` " else value
    if in_table:
        padded = padded.replace("|", "\\|")
    return f"{fence}{padded}{fence}"
