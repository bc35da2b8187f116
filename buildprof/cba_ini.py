"""Read ClangBuildAnalyzer.ini as ClangBuildAnalyzer does, so that `--format cba` prints what it prints.

ClangBuildAnalyzer reads `ClangBuildAnalyzer.ini` from the working folder (never from the trace
folder) with inih: `[counts]` fileParse, fileCodegen, function, template, header, headerChain;
`[minTimes]` file; `[misc]` maxNameLength, onlyRootHeaders. Section and key names are case-insensitive;
`;` and `#` start comment lines, and `;` after a space starts an inline comment; an integer is read as
C's strtol with base 0 (its leading digits; `0x10` is hex, `010` octal), a boolean is true/yes/on/1 or
false/no/off/0 in any case; anything unreadable keeps the default, and the first of repeated keys
counts. A missing or unreadable file means the defaults.
"""

from __future__ import annotations

import re
from pathlib import Path

from buildprof.files import read_regular
from buildprof.model.trace_report import CbaSettings

INI_NAME = "ClangBuildAnalyzer.ini"
_INTEGERS = {
    ("counts", "fileparse"): "file_parse",
    ("counts", "filecodegen"): "file_codegen",
    ("counts", "function"): "function",
    ("counts", "template"): "template",
    ("counts", "header"): "header",
    ("counts", "headerchain"): "header_chain",
    ("mintimes", "file"): "min_file_ms",
    ("misc", "maxnamelength"): "max_name",
}
_BOOLEANS = {("misc", "onlyrootheaders"): "only_root_headers"}
_STRTOL = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")


def read_cba_settings(folder: str | Path) -> CbaSettings:
    """The settings of `folder`/ClangBuildAnalyzer.ini, or the defaults without one."""
    try:
        text = read_regular(Path(folder) / INI_NAME).decode("utf-8", "replace")
    except OSError:
        return CbaSettings()
    return parse_cba_settings(text)


def parse_cba_settings(text: str) -> CbaSettings:
    """The settings an ini file's text gives (see the module docstring)."""
    values: dict[tuple[str, str], str] = {}
    section = ""
    for raw in text.splitlines():
        line = _without_inline_comment(raw).strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and "]" in line:
            section = line[1 : line.index("]")].strip().lower()
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if sep:
            values.setdefault((section, key.strip().lower()), value.strip())
    settings: dict[str, int | bool] = {}
    for place, field in _INTEGERS.items():
        if place in values and (number := _strtol(values[place])) is not None:
            settings[field] = number
    for place, field in _BOOLEANS.items():
        flag = values.get(place, "").lower()
        if flag in ("true", "yes", "on", "1", "false", "no", "off", "0"):
            settings[field] = flag in ("true", "yes", "on", "1")
    return CbaSettings(**settings)


def _without_inline_comment(line: str) -> str:
    """The line up to a `;` that follows whitespace (inih's inline comments)."""
    for at in range(1, len(line)):
        if line[at] == ";" and line[at - 1].isspace():
            return line[:at]
    return line


def _strtol(value: str) -> int | None:
    """C's strtol(value, &end, 0) when it reads a digit, else None (inih then keeps the default)."""
    match = _STRTOL.match(value)
    if match is None:
        return None
    sign, digits = match.groups()
    number = (
        int(digits, 16)
        if digits[:2].lower() == "0x"
        else int(digits, 8)
        if digits.startswith("0")
        else int(digits)
    )
    return -number if sign == "-" else number
