"""The rules a trace's summary follows, in one place: both summary paths take their settings from here.

The C fast path (traces/_native.c, given these by `configure` on import) and the Python reference path
(traces/_reference.py) read them alike, and the analysis uses the same functions:

- ClangBuildAnalyzer's rules, reproduced exactly so that its numbers match its own: the event names it
  recognises (KINDS, in the order of their codes), those that name a compilation unit (NAMED_KINDS),
  how a path is shown (`nice_path`), what a header is (`is_header`), and template sets
  (`collapse_template_args`);
- buildprof's limit on an event's times (MAX_EVENT_US): beyond it, or negative, an event is damaged.

Results are memoised: the same headers and templates recur across every translation unit.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache

# Event names ClangBuildAnalyzer recognises, by kind code (1, 2, ...; 0 is any other name).
KINDS = (
    "ExecuteCompiler",
    "Frontend",
    "Backend",
    "Source",
    "ParseTemplate",
    "ParseClass",
    "InstantiateClass",
    "InstantiateFunction",
    "OptModule",
    "OptFunction",
)
KNOWN_KINDS = {name: code for code, name in enumerate(KINDS, start=1)}
COMPILER, FRONTEND, BACKEND, SOURCE, PARSE_TEMPLATE, PARSE_CLASS = 1, 2, 3, 4, 5, 6
INST_CLASS, INST_FUNCTION, OPT_MODULE, OPT_FUNCTION = 7, 8, 9, 10
NAMED_KINDS = (COMPILER, FRONTEND, BACKEND, OPT_MODULE)  # ClangBuildAnalyzer's FindPath stops here

# The latest start and the longest duration an event may have, in microseconds: a week. No compile
# step runs that long, and clang's times count from the start of the compiler, so anything beyond
# (or negative) is damage; such an event is left out of the analysis and counted.
MAX_EVENT_US = 7 * 24 * 3600 * 1_000_000


def nice_path(path: str) -> str:
    """A path as ClangBuildAnalyzer shows it: `.` and `..` resolved, then backslashes made slashes."""
    if not path:
        return path
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal.replace("\\", "/")


@lru_cache(maxsize=1 << 16)
def is_header(path: str) -> bool:
    """No extension (`<vector>`), or an extension starting with h or i (h, hpp, hxx, inc, ipp...)."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    if dot < 0:
        return True
    return dot + 1 < len(name) and name[dot + 1] in "hHiI"


@lru_cache(maxsize=1 << 17)
def collapse_template_args(name: str) -> str:
    """Replace each top-level `<...>` with `<$>`: `vector<int>::push_back` -> `vector<$>::push_back`.

    Names containing `operator` are kept whole (`operator<` cannot be told from a bracket), and a name
    whose brackets do not balance is kept whole too, as ClangBuildAnalyzer does.
    """
    if "operator" in name or "<" not in name:
        return name
    # Jump from bracket to bracket with str.find instead of walking every character.
    out: list[str] = []
    find = name.find
    begin = 0
    while True:
        opening = find("<", begin)
        if opening < 0:
            out.append(name[begin:])
            return "".join(out)
        out.append(name[begin : opening + 1])
        out.append("$")
        depth, pos = 1, opening + 1
        if pos == len(name):
            return "".join(out)  # a "<" that ends the name opens nothing: kept, as before
        while depth:
            close = find(">", pos)
            if close < 0:
                return name  # unbalanced: kept whole
            nested = find("<", pos, close)
            if nested >= 0:
                depth, pos = depth + 1, nested + 1
            else:
                depth, pos = depth - 1, close + 1
        begin = pos - 1  # the closing ">" starts the next piece
