"""Markdown report (GitHub-flavoured tables) for CI summaries and pull-request comments.

Our own words are written as Markdown (their `code` spans stay code); names from the build are always
code spans, made visible (render.escape) and shortened in the middle like in the terminal, so that no
name can open a tag, end a table row or run into the text around it.
"""

from __future__ import annotations

import re

from buildprof.model.report import Document
from buildprof.render import RenderOptions
from buildprof.render.escape import visible
from buildprof.render.layout import Block, Facts, Name, Notes, Table, Text, parts, shorten
from buildprof.render.sections import document_blocks, document_title

NAME_WIDTH = 100  # longer names are shortened in the middle, as in a terminal (the JSON has them whole)
_SPECIAL = re.compile(r"([\\*_\[\]|#~])")


def render(doc: Document, options: RenderOptions) -> str:
    """The registry's entry point (buildprof.render.FORMATS); Markdown has no width."""
    return render_markdown(doc)


def render_markdown(doc: Document) -> str:
    """The whole document as Markdown, titled after its command."""
    title = f"# {text(document_title(doc))}\n"
    return title + "\n" + "\n".join(_block(b) for b in document_blocks(doc)).rstrip() + "\n"


def _block(block: Block) -> str:
    lines = [f"## {text(block.title)}", ""]
    if isinstance(block, Facts):
        lines += [f"- **{prose(label)}**: {text(value, 'path')}" for label, value in block.items]
        if block.note:
            lines += ["", prose(block.note)]
        return "\n".join(lines) + "\n"
    if isinstance(block, Notes):
        return "\n".join(lines + [f"- {text(line, block.shrink)}" for line in block.lines]) + "\n"
    if isinstance(block, Table):
        return _table(block, lines)
    raise TypeError(f"unknown block {block!r}")


def _table(block: Table, lines: list[str]) -> str:
    if block.note:
        lines += [prose(block.note), ""]
    if not block.rows:
        return "\n".join([*lines, "_none_"]) + "\n"
    lines.append("| " + " | ".join(prose(c.label, in_table=True) for c in block.columns) + " |")
    lines.append("|" + "|".join("---:" if c.align == "right" else ":---" for c in block.columns) + "|")
    for row in block.rows:
        cells = (
            code(shorten(visible(cell), NAME_WIDTH, col.shrink), in_table=True)
            if isinstance(cell, Name)
            else text(cell, col.shrink or "middle", in_table=True)
            for cell, col in zip(row, block.columns, strict=True)
        )
        lines.append("| " + " | ".join(cells) + " |")
    if block.footer:
        lines += ["", prose(block.footer)]
    return "\n".join(lines) + "\n"


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
