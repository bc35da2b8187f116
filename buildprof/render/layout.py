"""What a text report shows, independent of the medium: titled key-value blocks and tables.

The terminal and Markdown renderers both turn a report document (the JSON one) into these blocks, so the
two never disagree about what is shown; they only differ in how a block is drawn. Text in a block is
either our own words (a plain `str`) or a name from the build (`Name`: a path, target, template or
function name), or a sequence mixing both (`Text`): renderers show names as data (made visible,
shortened in the middle, set as code in Markdown) and never read them as markup.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import msgspec

ELLIPSIS = "..."


class Name(str):
    """Text that came from the build: shown exactly as data, never interpreted."""

    __slots__ = ()


Text = str | Sequence[str]  # a str (ours or a Name), or a sequence of them shown one after another


class Column(msgspec.Struct):
    """A table column: its header, alignment, and how its (name) cells are shortened to fit.

    A column with a `shrink` mode holds names from the build; the others hold numbers and our words.
    """

    label: str
    align: str = "right"  # "left" or "right"
    shrink: str = ""  # "path": keep the file name; "name": keep a C++ name's own part; "middle"; "": never


class Table(msgspec.Struct):
    """A titled table of already formatted cells."""

    title: Text
    columns: list[Column]
    rows: list[list[Text]]
    note: str = ""  # one sentence saying what the numbers mean
    footer: str = ""  # e.g. "... and 12 more"


class Facts(msgspec.Struct):
    """A titled list of label/value pairs (a summary)."""

    title: Text
    items: list[tuple[str, Text]]
    note: str = ""


class Notes(msgspec.Struct):
    """A titled list of lines (warnings, skipped input, include chains)."""

    title: Text
    lines: list[Text] = []
    shrink: str = "middle"  # how the names in a line longer than the width are shortened


Block = Table | Facts | Notes


def parts(text: Text) -> list[str]:
    """A Text as its pieces, each a plain str (our words) or a Name."""
    return [text] if isinstance(text, str) else list(text)


def plain(text: Text) -> str:
    """A Text's characters joined, names included as they are (for widths and plain output)."""
    return text if isinstance(text, str) else "".join(text)


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


# ---- widths: what a terminal shows, in columns


def char_width(char: str) -> int:
    """Terminal columns of one character: 2 for wide East Asian ones, 0 for combining marks."""
    if char < "\u0300":
        return 1
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def display_width(text: str) -> int:
    """Terminal columns `text` takes (its length when it is ASCII)."""
    if text.isascii():
        return len(text)
    return sum(map(char_width, text))


def take(text: str, width: int, from_end: bool = False) -> str:
    """The longest start (or end) of `text` that fits in `width` columns."""
    if width <= 0:
        return ""
    if text.isascii():
        if width >= len(text):
            return text
        return text[len(text) - width :] if from_end else text[:width]
    used, count = 0, 0
    for char in reversed(text) if from_end else text:
        used += char_width(char)
        if used > width:
            break
        count += 1
    return text[len(text) - count :] if from_end else text[:count]


def clip(text: str, width: int) -> str:
    """`text` cut to `width` columns, ending in `...` when something was cut."""
    if display_width(text) <= width:
        return text
    if width <= len(ELLIPSIS):
        return take(text, width)
    return take(text, width - len(ELLIPSIS)) + ELLIPSIS


# ---- shortening names in the middle, keeping what identifies them


def shorten(text: str, width: int, how: str) -> str:
    """Fit a name in `width` columns, cutting in the middle and keeping its informative end.

    `path`: the file name and as much of the folders as fits; `name`: a C++ name keeps its own last
    component (and the start of its parameters); `middle`: a third of the start and the end.
    """
    if display_width(text) <= width:
        return text
    if width < 2 * len(ELLIPSIS) + 2:
        return clip(text, width)
    room = width - len(ELLIPSIS)
    if how == "path":
        base = text[text.rfind("/") :] if "/" in text else text
        tail = max(display_width(base), room * 2 // 3)
        return _around(text, room - min(tail, room), min(tail, room))
    if how == "name":
        return _shorten_cpp_name(text, width)
    return _around(text, room // 3, room - room // 3)


def _around(text: str, head: int, tail: int) -> str:
    """`head` columns of the start, the ellipsis, `tail` columns of the end."""
    return take(text, head) + ELLIPSIS + take(text, tail, from_end=True)


def _shorten_cpp_name(text: str, width: int) -> str:
    """Template arguments collapse to `<...>`, largest first; then `a::b...::fn(args) const` keeps the
    last component whole, or `...fn(ar...)` its own name, when that is still too long."""
    while display_width(text) > width:
        groups = [(close - start, start, close) for start, close in _template_groups(text)]
        groups = [g for g in groups if text[g[1] + 1 : g[2]] != ELLIPSIS]
        if not groups:
            break
        _, start, close = max(groups)
        text = text[: start + 1] + ELLIPSIS + text[close:]
    if display_width(text) <= width:
        return text
    room = width - len(ELLIPSIS)
    params = _parameter_list_start(text)
    core = _last_component_start(text, params)
    tail = text[core:]
    tail_width = display_width(tail)
    if tail_width + 4 <= room:  # the whole last component and its parameters, plus some of the start
        return _around(text, room - tail_width, tail_width)
    own = text[core:params]
    if display_width(own) + len(ELLIPSIS) + 6 <= room:  # its own name whole, parameters cut at the end
        return ELLIPSIS + own + clip(text[params:], room - display_width(own))
    return _around(text, room * 2 // 5, room - room * 2 // 5)


def _template_groups(text: str) -> list[tuple[int, int]]:
    """(start, end) of each matched `<...>` of a C++ name (an operator's own `<` or `>` excluded)."""
    depth = _depths(text)
    groups = []
    opened: list[int] = []
    for i, char in enumerate(text):
        if char == "<" and (i + 1 == len(text) or depth[i + 1] > depth[i]):
            opened.append(i)
        elif char == ">" and opened and i > 0 and depth[i] < depth[i - 1] + (text[i - 1] == "<"):
            groups.append((opened.pop(), i))
    return groups


def _parameter_list_start(text: str) -> int:
    """Where the top-level parameter list `(...)` of a function name starts (len(text) if none).

    `(anonymous namespace)::` and other parenthesised scopes are not parameter lists.
    """
    depth = _depths(text)
    for i, char in enumerate(text):
        if char == "(" and depth[i] == 0:
            close = next((j for j in range(i + 1, len(text)) if depth[j] == 0), len(text))
            if not text.startswith("::", close + 1):
                return i
    return len(text)


def _last_component_start(text: str, end: int) -> int:
    """Start of the last `::`-separated component of text[:end] outside brackets."""
    depth = _depths(text)
    starts = [i + 2 for i in range(end - 1) if depth[i] == 0 and text.startswith("::", i)]
    return min(starts[-1], end) if starts else 0


def _depths(text: str) -> list[int]:
    """Bracket depth (`<>` and `()`) before each character; an operator's own symbol opens nothing.

    A closing bracket gets the depth it returns to, so the brackets of a top-level group are at 0.
    """
    depths = [0] * len(text)
    depth = 0
    i = 0
    while i < len(text):
        if text.startswith("operator", i):
            j = i + len("operator")
            j += 2 if text.startswith("()", j) else 0
            while j < len(text) and text[j] in "<>=!+-*/%^&|~[],":
                j += 1
            for k in range(i, min(j, len(text))):
                depths[k] = depth
            i = j
            continue
        char = text[i]
        if char in ">)":
            depth = max(depth - 1, 0)
        depths[i] = depth
        if char in "<(":
            depth += 1
        i += 1
    return depths


def capped(lines: list[Text], total: int) -> list[Text]:
    """The lines shown of a longer list, with a last line saying how many more the JSON holds."""
    if total > len(lines):
        return [*lines, f"... and {total - len(lines)} more (see --format json)"]
    return lines
