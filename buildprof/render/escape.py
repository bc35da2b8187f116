"""Names from a build are data: every character that could steer a terminal or split a line is shown.

File names, targets, template and function names come from the build and may hold anything: an ESC
that clears the screen, a BEL, a newline that would split a table row, bidirectional overrides that
reorder what is displayed, bytes that are not UTF-8. `visible()` is the one function that every text
renderer (terminal, Markdown, error messages) passes such text through: each of those characters
becomes an escape that reads as what it is (`\\x1b`, `\\n`, `\\u202e`), and a byte that was not UTF-8
(decoded with surrogateescape, as Python does for file names) becomes `\\xNN` of that byte. Everything
else, accented letters and CJK included, is left alone. The JSON output keeps names exact instead
(docs/formats.md).
"""

from __future__ import annotations

import re

# C0 controls, DEL and C1 controls; line and paragraph separators; the bidirectional marks, embeddings,
# overrides and isolates ("Trojan Source"); the byte-order mark; lone surrogates (bytes that were not
# UTF-8, or broken escapes).
_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
UNSAFE = "\x00-\x1f" + _OTHERS  # a regular-expression character class body
_UNSAFE = re.compile(f"[{UNSAFE}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(char: str) -> str:
    """The visible form of one unsafe character."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the byte that was not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def _escape_match(match: re.Match[str]) -> str:
    return escape_char(match.group())


def visible(text: str) -> str:
    """`text` with every unsafe character made visible (see the module docstring); one line always."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape_match, text)


def visible_lines(text: str) -> str:
    """As `visible`, but newlines are kept: for messages of several lines that we wrote ourselves."""
    if _UNSAFE_BUT_NEWLINE.search(text) is None:
        return text
    return _UNSAFE_BUT_NEWLINE.sub(_escape_match, text)


# ---- HTML: the same rules, then HTML's own escaping

_HTML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})
# In JSON inside <script>: no "</script>" or "<!--" can form, and U+2028/2029 stay escapes.
_SCRIPT_JSON = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def html_text(text: str) -> str:
    """`text` for HTML element content or a quoted attribute: `visible()`, then &, <, >, " and '
    escaped; the one function the HTML report's templates pass names through."""
    return visible(text).translate(_HTML)


def script_json(encoded: str) -> str:
    """JSON text made safe inside an HTML <script> element: <, > and & as \\u escapes (no tag can
    close the element or open a comment), U+2028/2029 escaped too; the JSON value is unchanged."""
    return encoded.translate(_SCRIPT_JSON)
