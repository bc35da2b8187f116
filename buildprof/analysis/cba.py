"""ClangBuildAnalyzer's report, number for number: the same sections, filters, ordering and limits.

Rules (from its src/Analysis.cpp): frontend/backend per trace (>= 10 ms listed, Frontend events sharing
a parent merged); templates summed per exact name with nested ones counted in their parents; template
sets skip an instantiation nested in one of the same set; functions summed per (demangled name, module),
function sets only for names with `<`; expensive headers are "root" headers (directly included by a
non-header at least once) by inclusive time, with include chains of headers merged and most frequent
first. Ties are broken by name where it breaks them by name; where it uses its internal index order
(arbitrary) buildprof uses the name too. A trace whose last event is not a root is skipped, as it does.
"""

from __future__ import annotations

import numpy as np

from buildprof.analysis.functions import function_columns
from buildprof.analysis.headers import header_columns, include_chains
from buildprof.analysis.table import Table
from buildprof.analysis.templates import template_columns, template_set_columns
from buildprof.analysis.trace_set import TraceSet
from buildprof.model.trace_report import (
    CbaChain,
    CbaCounted,
    CbaFile,
    CbaFunction,
    CbaHeader,
    CbaReport,
    CbaSettings,
    CbaTimeSummary,
)
from buildprof.trace_rules import collapse_template_args


def cba_report(ts: TraceSet, demangled: dict[str, str], config: CbaSettings | None = None) -> CbaReport:
    """Every section ClangBuildAnalyzer prints, as data (microseconds; names untruncated)."""
    config = config or CbaSettings()
    kept = [i for i, s in enumerate(ts.summaries) if not s.cba_rejected]
    frontends = [
        (us, name or ts.display_names[i]) for i in kept for us, name in ts.summaries[i].cba_frontends
    ]
    backends = [(us, name or ts.display_names[i]) for i in kept for us, name in ts.summaries[i].cba_backends]
    parse_us = sum(us for us, _ in frontends)
    codegen_us = sum(us for us, _ in backends)
    sub = _restrict(ts, kept)
    templates = template_columns(sub)
    sets = template_set_columns(sub, templates) if len(templates) else None
    functions = _functions(sub, demangled)
    ordered = sorted(functions.items(), key=lambda kv: (-kv[1], kv[0][0]))[: config.function]
    function_sets: dict[str, list[int]] = {}
    for (name, _file), us in functions.items():
        if "<" in name:
            entry = function_sets.setdefault(collapse_template_args(name), [0, 0])
            entry[0] += us
            entry[1] += 1
    return CbaReport(
        settings=config,
        rejected=[ts.summaries[i].path for i, s in enumerate(ts.summaries) if s.cba_rejected],
        time_summary=CbaTimeSummary(compilations=len(frontends), frontend_us=parse_us, backend_us=codegen_us)
        if parse_us or codegen_us
        else None,
        files_parse=_slowest_files(frontends, config.min_file_ms, config.file_parse),
        files_codegen=_slowest_files(backends, config.min_file_ms, config.file_codegen),
        templates=_top_of(templates, "name", config.template),
        template_sets=_top_of(sets, "set", config.template) if sets is not None else [],
        has_templates=bool(len(templates)),
        has_functions=bool(functions),
        functions=[CbaFunction(us=us, name=name, file=file) for (name, file), us in ordered],
        function_sets=_top([(us, n, name) for name, (us, n) in function_sets.items()], config.template),
        headers=_expensive_headers(sub, config),
    )


def _restrict(ts: TraceSet, kept: list[int]) -> TraceSet:
    if len(kept) == ts.n_traces:
        return ts
    from buildprof.analysis.trace_set import build_trace_set

    return build_trace_set([ts.summaries[i] for i in kept], [ts.display_names[i] for i in kept])


def _slowest_files(entries: list[tuple[int, str]], min_ms: int, limit: int) -> list[CbaFile]:
    listed = [(us, name) for us, name in entries if us >= min_ms * 1000]
    listed.sort(key=lambda e: (-e[0], e[1].encode("utf-8", "surrogateescape")))
    return [CbaFile(us=us, file=name) for us, name in listed[:limit]]


def _top(rows: list[tuple[int, int, str]], limit: int) -> list[CbaCounted]:
    """Largest (us, count, name) first, as its partial_sort with a descending tuple comparison."""
    rows.sort(key=lambda r: (r[0], r[1], r[2].encode("utf-8", "surrogateescape")), reverse=True)
    return [CbaCounted(us=us, count=count, name=name) for us, count, name in rows[:limit]]


def _top_of(table: Table, name: str, limit: int) -> list[CbaCounted]:
    """`_top` over a table's (incl_us, count, name) rows, sorting only the rows that can be in the top.

    Those are the rows whose (incl_us, count) is at least the limit-th largest: ties on both are
    all kept, so the name tie-break sees every candidate.
    """
    us = np.asarray(table["incl_us"], dtype=np.int64)
    count = np.asarray(table["count"], dtype=np.int64)
    if len(us) > limit > 0:
        order = np.lexsort((count, us))  # ascending: the last rows are the largest
        cut_us, cut_count = us[order[-limit]], count[order[-limit]]
        keep = np.flatnonzero((us > cut_us) | ((us == cut_us) & (count >= cut_count)))
    else:
        keep = np.arange(len(us))
    names = [table[name][i] for i in keep.tolist()]
    return _top(list(zip(us[keep].tolist(), count[keep].tolist(), names, strict=True)), limit)


def _functions(ts: TraceSet, demangled: dict[str, str]) -> dict[tuple[str, str], int]:
    """Time per (demangled name, module), in first-seen order: function_table's sums."""
    table = function_columns(ts, demangled)
    return dict(zip(zip(table["name"], table["file"], strict=True), table["us"].tolist(), strict=True))


def _expensive_headers(ts: TraceSet, config: CbaSettings) -> list[CbaHeader]:
    table = header_columns(ts)
    table = table.where(
        np.asarray(table["is_header"], dtype=bool) & (table["cba_root"] | (not config.only_root_headers))
    )
    ordered = sorted(
        zip(
            table.index.tolist(),
            table["incl_us"].tolist(),
            table["file"],
            table["count"].tolist(),
            strict=True,
        ),
        key=lambda r: (-r[1], r[2].encode("utf-8", "surrogateescape")),
    )[: config.header]
    headers = []
    for code, us, path, count in ordered:
        chains = include_chains(ts, int(code), cba=True)
        shown = chains[: config.header_chain + 1]
        headers.append(
            CbaHeader(
                us=int(us),
                count=int(count),
                file=path,
                chains=[CbaChain(count=c.count, us=c.us, files=list(c.files)) for c in shown],
                more_chains=len(shown) > config.header_chain,
            )
        )
    return headers
