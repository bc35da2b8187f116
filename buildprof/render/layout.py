"""What a text report shows, independent of the medium: titled key-value blocks and tables.

The terminal and Markdown renderers both turn a report document (the JSON one) into these blocks, so the
two never disagree about what is shown; they only differ in how a block is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Column:
    """A table column: its header, alignment, and how it may be shortened to fit the width."""

    label: str
    align: str = "right"  # "left" or "right"
    shrink: str = ""  # "path": keep the end of long text; "name": the start; "middle": both; "": never


@dataclass
class Table:
    """A titled table of already formatted cells."""

    title: str
    columns: list[Column]
    rows: list[list[str]]
    note: str = ""  # one sentence saying what the numbers mean
    footer: str = ""  # e.g. "... and 12 more"


@dataclass
class Facts:
    """A titled list of label/value pairs (a summary)."""

    title: str
    items: list[tuple[str, str]]
    note: str = ""


@dataclass
class Notes:
    """A titled list of free-text lines (warnings, skipped input)."""

    title: str
    lines: list[str] = field(default_factory=list)
    shrink: str = ""  # as Column.shrink: how a line longer than the width is shortened


Block = Table | Facts | Notes


def format_ms(ms: float | None) -> str:
    """A duration for people: `850 ms`, `2.35 s`, `12.3 s`, `2m 03.4s`, `1h 02m 05s`."""
    if ms is None:
        return "-"
    if abs(ms) < 1000:
        return f"{ms:.0f} ms" if abs(ms) >= 10 or ms == int(ms) else f"{ms:.1f} ms"
    seconds = ms / 1000
    if abs(seconds) < 60:
        return f"{seconds:.2f} s" if abs(seconds) < 10 else f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds, 1), 60)
    if minutes < 60:
        return f"{int(minutes)}m {seconds:04.1f}s"
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}h {minutes:02d}m {int(seconds):02d}s"


def format_share(part: float, whole: float) -> str:
    """`part` as a percentage of `whole`, one decimal."""
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def format_count(n: int | float) -> str:
    return f"{int(n):,}"


def shorten(text: str, width: int, how: str) -> str:
    """Fit `text` in `width` characters: paths keep their end, names their start, middle both."""
    if len(text) <= width:
        return text
    if how == "path":
        return "..." + text[len(text) - width + 3 :]
    if how == "middle":
        head = (width - 3) // 3
        return text[:head] + "..." + text[len(text) - (width - 3 - head) :]
    return text[: width - 3] + "..."


def capped(lines: list[str], total: int) -> list[str]:
    """The lines shown of a longer list, with a last line saying how many more the JSON holds."""
    if total > len(lines):
        return [*lines, f"... and {total - len(lines)} more (see --format json)"]
    return lines
