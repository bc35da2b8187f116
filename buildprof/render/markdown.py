"""Markdown report (GitHub-flavoured tables) for CI summaries and pull-request comments."""

from __future__ import annotations

from buildprof.render.layout import Block, Facts, Notes, Table
from buildprof.render.sections import document_blocks


def render_markdown(doc: dict) -> str:
    """The whole document as Markdown."""
    title = "# buildprof report\n"
    return title + "\n" + "\n".join(_block(b) for b in document_blocks(doc)).rstrip() + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Facts):
        lines = [f"## {escape(block.title)}", ""]
        lines += [f"- **{escape(label)}**: {escape(value)}" for label, value in block.items]
        return "\n".join(lines) + "\n"
    if isinstance(block, Notes):
        lines = [f"## {escape(block.title)}", ""] + [f"- {escape(line)}" for line in block.lines]
        return "\n".join(lines) + "\n"
    if isinstance(block, Table):
        return _table(block)
    raise TypeError(f"unknown block {block!r}")


def _table(block: Table) -> str:
    lines = [f"## {escape(block.title)}", ""]
    if block.note:
        lines += [escape(block.note), ""]
    if not block.rows:
        return "\n".join([*lines, "_none_"]) + "\n"
    lines.append("| " + " | ".join(escape(c.label) for c in block.columns) + " |")
    lines.append("|" + "|".join("---:" if c.align == "right" else ":---" for c in block.columns) + "|")
    for row in block.rows:
        cells = (
            code(cell) if col.shrink else escape(cell) for cell, col in zip(row, block.columns, strict=True)
        )
        lines.append("| " + " | ".join(cells) + " |")
    if block.footer:
        lines += ["", escape(block.footer)]
    return "\n".join(lines) + "\n"


def escape(text: str) -> str:
    """Make text safe inside Markdown tables: pipes, angle brackets, backticks and emphasis marks."""
    out = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    out = out.replace("*", "\\*").replace("_", "\\_").replace("<", "&lt;").replace(">", "&gt;")
    return out.replace("\n", " ")


def code(text: str) -> str:
    """Names and paths as code spans: no Markdown escaping needed inside, except table pipes."""
    if not text:
        return ""
    fence = "``" if "`" in text else "`"
    return f"{fence}{text.replace('|', chr(92) + '|')}{fence}"
