"""The trace parts of report documents: compile units, targets, headers, templates, functions, `why`.

Plain JSON-compatible data (docs/formats.md); durations in milliseconds, rounded to the microsecond.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict

import pandas as pd

from buildprof.analysis.cba_compat import cba_report
from buildprof.analysis.compile_units import target_table
from buildprof.analysis.functions import function_set_table, function_table
from buildprof.analysis.headers import (
    find_file,
    header_table,
    include_chains,
    included_by,
    includes_of,
    tus_paying_for,
)
from buildprof.analysis.templates import (
    template_set_table,
    template_table,
    tus_paying_for_template,
)
from buildprof.analysis.trace_set import TraceSet
from buildprof.errors import InputError

CHAINS_IN_LISTING = 3
TUS_IN_LISTING = 3
_COSTS = {"inclusive": "incl_us", "self": "self_us", "count": "count", "tus": "tus"}
# The table column each --sort choice orders by; a function has no nested time, so self = inclusive.
SORT_COLUMNS = {
    "headers": _COSTS,
    "templates": _COSTS,
    "functions": {"inclusive": "us", "self": "us", "count": "count", "tus": "tus"},
}


def ms(us: float) -> float:
    """Microseconds to milliseconds, kept to the microsecond."""
    return round(float(us) / 1000.0, 3)


def trace_section(ts: TraceSet, demangled: dict[str, str], units: pd.DataFrame, top: int) -> dict:
    """Everything `report` shows about the traces."""
    headers = header_table(ts)
    templates = template_table(ts)
    functions = function_table(ts, demangled)
    return {
        "totals": {
            "tus": ts.n_traces,
            "compile_ms": ms(units["total_us"].sum()),
            "frontend_ms": ms(units["frontend_us"].sum()),
            "backend_ms": ms(units["backend_us"].sum()),
        },
        "compile_units": unit_rows(units.nlargest(top, "total_us", keep="first")),
        "targets": target_rows(target_table(units).head(top)),
        "breakdown": breakdown_rows(ts, top),
        "headers": header_rows(ts, _sorted(headers, "incl_us", top)),
        "templates": template_rows(ts, _sorted(templates, "incl_us", top)),
        "template_sets": template_set_rows(_sorted(template_set_table(ts, templates), "incl_us", top)),
        "functions": function_rows(_sorted(functions, "us", top)),
        "function_sets": function_set_rows(_sorted(function_set_table(functions), "us", top)),
        "clang_build_analyzer": cba_report(ts, demangled),
    }


def _sorted(table: pd.DataFrame, key: str, top: int | None) -> pd.DataFrame:
    """Largest `key` first; ties by the first (name) column so output is stable."""
    name = table.columns[0]
    ordered = table.sort_values([key, name], ascending=[False, True], kind="stable")
    return ordered if top is None else ordered.head(top)


def unit_rows(units: pd.DataFrame) -> list[dict]:
    return [
        {
            "trace": r.trace,
            "source": r.source,
            "target": r.target,
            "total_ms": ms(r.total_us),
            "frontend_ms": ms(r.frontend_us),
            "backend_ms": ms(r.backend_us),
            "step_output": r.step_output,
            "step_ms": _optional_ms(r.step_ms, 0),
            "weighted_ms": _optional_ms(r.weighted_ms, 3),
        }
        for r in units.itertuples()
    ]


def target_rows(targets: pd.DataFrame) -> list[dict]:
    return [
        {
            "target": r.target,
            "tus": int(r.tus),
            "total_ms": ms(r.total_us),
            "frontend_ms": ms(r.frontend_us),
            "backend_ms": ms(r.backend_us),
            "step_ms": _optional_ms(r.step_ms, 0),
            "weighted_ms": _optional_ms(r.weighted_ms, 3),
        }
        for r in targets.itertuples()
    ]


def _optional_ms(value: float, digits: int) -> float | int | None:
    """A ninja step time, or None where no step of the analysed build wrote the TU's object."""
    if pd.isna(value):
        return None
    return int(value) if digits == 0 else round(float(value), digits)


def breakdown_rows(ts: TraceSet, top: int) -> list[dict]:
    """Self time by trace event name over all TUs: where compile time goes; shares add up to 100%."""
    totals: dict[str, int] = defaultdict(int)
    for summary in ts.summaries:
        for name, us in summary.breakdown:
            totals[name] += us
    whole = sum(totals.values()) or 1
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"event": name, "self_ms": ms(us), "share": round(us / whole, 4)} for name, us in ordered]


def header_rows(ts: TraceSet, rows: pd.DataFrame, chains: int = CHAINS_IN_LISTING) -> list[dict]:
    out = []
    for code, r in zip(rows.index, rows.itertuples(), strict=True):
        found = include_chains(ts, int(code))
        out.append(
            {
                "file": r.file,
                "incl_ms": ms(r.incl_us),
                "self_ms": ms(r.self_us),
                "count": int(r.count),
                "tus": int(r.tus),
                "avg_ms": ms(r.incl_us / max(r.count, 1)),
                "direct": bool(r.direct),
                "chains": [_chain(c) for c in found[:chains]],
                "chains_total": len(found),
            }
        )
    return out


def _chain(chain) -> dict:
    return {"files": list(chain.files), "count": chain.count, "tus": chain.tus, "ms": ms(chain.us)}


def template_rows(ts: TraceSet, rows: pd.DataFrame) -> list[dict]:
    paying = tus_paying_for_template(ts, [int(c) for c in rows.index])
    top_tus: dict[int, list[dict]] = defaultdict(list)
    for p in paying.itertuples():
        if len(top_tus[p.code]) < TUS_IN_LISTING:
            top_tus[p.code].append(
                {"trace": ts.summaries[p.trace].path, "ms": ms(p.incl_us), "count": int(p.count)}
            )
    return [
        {
            "name": r.name,
            "kind": r.kind,
            "count": int(r.count),
            "incl_ms": ms(r.incl_us),
            "self_ms": ms(r.self_us),
            "tus": int(r.tus),
            "avg_ms": ms(r.incl_us / max(r.count, 1)),
            "set": r.set,
            "top_tus": top_tus[int(code)],
        }
        for code, r in zip(rows.index, rows.itertuples(), strict=True)
    ]


def template_set_rows(rows: pd.DataFrame) -> list[dict]:
    return [
        {
            "set": r.set,
            "count": int(r.count),
            "incl_ms": ms(r.incl_us),
            "self_ms": ms(r.self_us),
            "tus": int(r.tus),
            "names": int(r.names),
        }
        for r in rows.itertuples()
    ]


def function_rows(rows: pd.DataFrame) -> list[dict]:
    return [
        {"name": r.name, "file": r.file, "count": int(r.count), "ms": ms(r.us), "tus": int(r.tus)}
        for r in rows.itertuples()
    ]


def function_set_rows(rows: pd.DataFrame) -> list[dict]:
    return [{"set": r.set, "count": int(r.count), "ms": ms(r.us)} for r in rows.itertuples()]


def _filtered(
    table: pd.DataFrame, column: str, pattern: str | None, matches=fnmatch.fnmatchcase
) -> pd.DataFrame:
    if not pattern:
        return table
    keep = [matches(value, pattern) for value in table[column]]
    return table[keep]


def path_matcher(source_root: str):
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


def listing(
    ts: TraceSet,
    what: str,
    demangled: dict[str, str],
    sort: str,
    match: str | None,
    top: int,
    source_root: str = "",
) -> dict:
    """Rows for `buildprof headers|templates|functions`, sorted and filtered (`--match`: a shell
    pattern on the header's path, see path_matcher, or on the template or function name)."""
    if what == "headers":
        table = _filtered(header_table(ts), "file", match, path_matcher(source_root))
        rows = header_rows(ts, _sorted(table, SORT_COLUMNS[what][sort], top))
    elif what == "templates":
        table = _filtered(template_table(ts), "name", match)
        rows = template_rows(ts, _sorted(table, SORT_COLUMNS[what][sort], top))
    elif what == "functions":
        table = function_table(ts, demangled)
        table = _filtered(table, "name", match)
        rows = function_rows(_sorted(table, SORT_COLUMNS[what][sort], top))
    else:
        raise ValueError(what)
    return {"sort": sort, "match": match, "matched": len(table), "rows": rows}


def why(ts: TraceSet, units: pd.DataFrame, query: str, top: int) -> dict:
    """Every way a file is included, who pays for it, and what it includes that is expensive."""
    codes = find_file(ts, query)
    if not codes:
        raise InputError(f"no included file matches {query!r} in the traces")
    table = header_table(ts)
    if len(codes) > 1:
        exact = [c for c in codes if ts.files[c].rsplit("/", 1)[-1] == query.rsplit("/", 1)[-1]]
        codes = exact if len(exact) == 1 else codes
    if len(codes) > 1:
        names = ", ".join(ts.files[c] for c in codes[:5])
        more = f" and {len(codes) - 5} more" if len(codes) > 5 else ""
        raise InputError(f"{query!r} matches {len(codes)} files: {names}{more}; give more of the path")
    code = codes[0]
    row = table.loc[code]
    paying = tus_paying_for(ts, code)
    unit_of = units.reset_index(drop=True)
    tus = []
    for p in paying.head(top).itertuples():
        unit = unit_of.iloc[int(p.trace)]
        tus.append(
            {
                "trace": unit.trace,
                "source": unit.source,
                "target": unit.target,
                "incl_ms": ms(p.incl_us),
                "count": int(p.count),
            }
        )
    by_target = paying.assign(target=unit_of["target"].to_numpy()[paying["trace"].to_numpy()])
    targets = by_target.groupby("target").agg(tus=("trace", "size"), incl_us=("incl_us", "sum"))
    targets = targets.sort_values("incl_us", ascending=False, kind="stable").head(top)
    chains = include_chains(ts, code)
    return {
        "file": ts.files[code],
        "incl_ms": ms(row.incl_us),
        "self_ms": ms(row.self_us),
        "count": int(row["count"]),
        "tus": int(row.tus),
        "tus_total": ts.n_traces,
        "direct": bool(row.direct),
        "chains": [_chain(c) for c in chains[:top]],
        "chains_total": len(chains),
        "included_by": [
            {"file": r.includer, "count": int(r.count), "incl_ms": ms(r.incl_us)}
            for r in included_by(ts, code).head(top).itertuples()
        ],
        "paying_tus": tus,
        "paying_targets": [
            {"target": t, "tus": int(r.tus), "incl_ms": ms(r.incl_us)} for t, r in targets.iterrows()
        ],
        "includes": [
            {"file": r.file, "count": int(r.count), "incl_ms": ms(r.incl_us)}
            for r in includes_of(ts, code).head(top).itertuples()
        ],
    }
