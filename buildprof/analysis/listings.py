"""`buildprof headers|templates|functions`: the rows of every current trace, sorted, filtered, cut."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

from buildprof.analysis.functions import function_columns
from buildprof.analysis.headers import header_columns
from buildprof.analysis.table import Table
from buildprof.analysis.templates import template_columns
from buildprof.analysis.trace_report import function_rows, header_rows, sorted_rows, template_rows
from buildprof.analysis.trace_set import TraceSet
from buildprof.model.trace_report import FunctionRow, HeaderRow, Listing, TemplateRow

_COSTS = {"inclusive": "incl_us", "self": "self_us", "count": "count", "tus": "tus"}
# The table column each --sort choice orders by; a function has no nested time, so self = inclusive.
_FUNCTION_COSTS = {"inclusive": "us", "self": "us", "count": "count", "tus": "tus"}
SORTS = tuple(_COSTS)


def header_listing(
    ts: TraceSet, sort: str, match: str | None, top: int, source_root: str = ""
) -> Listing[HeaderRow]:
    """Included files; `match` is a shell pattern on the path (see path_matcher)."""
    table = _filtered(header_columns(ts), "file", match, path_matcher(source_root))
    rows = header_rows(ts, sorted_rows(table, _COSTS[sort], top))
    return Listing(sort=sort, match=match, matched=len(table), rows=rows)


def template_listing(ts: TraceSet, sort: str, match: str | None, top: int) -> Listing[TemplateRow]:
    """Template instantiations; `match` is a shell pattern on the name."""
    table = _filtered(template_columns(ts), "name", match)
    rows = template_rows(ts, sorted_rows(table, _COSTS[sort], top))
    return Listing(sort=sort, match=match, matched=len(table), rows=rows)


def function_listing(
    ts: TraceSet, demangled: dict[str, str], sort: str, match: str | None, top: int
) -> Listing[FunctionRow]:
    """Functions by code generation time; `match` is a shell pattern on the demangled name."""
    table = _filtered(function_columns(ts, demangled), "name", match)
    rows = function_rows(sorted_rows(table, _FUNCTION_COSTS[sort], top))
    return Listing(sort=sort, match=match, matched=len(table), rows=rows)


def _filtered(
    table: Table,
    column: str,
    pattern: str | None,
    matches: Callable[[str, str], bool] = fnmatch.fnmatchcase,
) -> Table:
    if not pattern:
        return table
    return table.where([matches(value, pattern) for value in table[column]])


def path_matcher(source_root: str) -> Callable[[str, str], bool]:
    """`--match` for paths: the pattern may match the full path, the path as the tables show it
    (relative to the source root), or any end of the path that starts after a `/`
    (`meta/*` finds `/src/absl/meta/type_traits.h`)."""
    prefix = source_root.rstrip("/") + "/" if source_root else ""

    def matches(path: str, pattern: str) -> bool:
        if fnmatch.fnmatchcase(path, pattern):
            return True
        if prefix and path.startswith(prefix) and fnmatch.fnmatchcase(path[len(prefix) :], pattern):
            return True
        at = path.find("/")
        while at >= 0:
            if fnmatch.fnmatchcase(path[at + 1 :], pattern):
                return True
            at = path.find("/", at + 1)
        return False

    return matches
