"""The trace parts of report documents: compile units, targets, headers, templates, functions, `why`.

Records of buildprof.model.trace_report; durations in milliseconds, rounded to the microsecond.
"""

from __future__ import annotations

import math
from collections import defaultdict

from buildprof.analysis.cba import cba_report
from buildprof.analysis.compile_units import target_columns
from buildprof.analysis.functions import function_columns, function_set_columns
from buildprof.analysis.headers import header_columns, include_chains
from buildprof.analysis.table import Table
from buildprof.analysis.templates import (
    template_columns,
    template_set_columns,
    tus_paying_for_template,
)
from buildprof.analysis.trace_set import TraceSet
from buildprof.model.trace_report import (
    BreakdownRow,
    CbaSettings,
    Chain,
    CompileUnit,
    FunctionRow,
    FunctionSetRow,
    HeaderRow,
    PayingTrace,
    TargetRow,
    TemplateRow,
    TemplateSetRow,
    Totals,
    TracesSection,
)

CHAINS_IN_LISTING = 3
TUS_IN_LISTING = 3


def ms(us: float) -> float:
    """Microseconds to milliseconds, kept to the microsecond."""
    return round(float(us) / 1000.0, 3)


def trace_section(
    ts: TraceSet, demangled: dict[str, str], units: Table, top: int, cba: CbaSettings | None = None
) -> TracesSection:
    """Everything `report` shows about the traces (`units`: compile_units' Table of these traces)."""
    headers = header_columns(ts)
    templates = template_columns(ts)
    functions = function_columns(ts, demangled)
    return TracesSection(
        totals=Totals(
            tus=ts.n_traces,
            compile_ms=ms(int(units["total_us"].sum())),
            frontend_ms=ms(int(units["frontend_us"].sum())),
            backend_ms=ms(int(units["backend_us"].sum())),
        ),
        compile_units=unit_rows(units.nlargest(top, "total_us")),
        targets=target_rows(target_columns(units).head(top)),
        breakdown=breakdown_rows(ts, top),
        headers=header_rows(ts, sorted_rows(headers, "incl_us", top)),
        templates=template_rows(ts, sorted_rows(templates, "incl_us", top)),
        template_sets=template_set_rows(sorted_rows(template_set_columns(ts, templates), "incl_us", top)),
        functions=function_rows(sorted_rows(functions, "us", top)),
        function_sets=function_set_rows(sorted_rows(function_set_columns(functions), "us", top)),
        clang_build_analyzer=cba_report(ts, demangled, cba),
    )


def sorted_rows(table: Table, key: str, top: int | None) -> Table:
    """Largest `key` first; ties by the first (name) column so output is stable."""
    name = next(iter(table.columns))
    return table.sorted([(key, True), (name, False)], top=top)


def unit_rows(units: Table) -> list[CompileUnit]:
    return [
        CompileUnit(
            trace=r.trace,
            source=r.source,
            target=r.target,
            total_ms=ms(r.total_us),
            frontend_ms=ms(r.frontend_us),
            backend_ms=ms(r.backend_us),
            step_output=r.step_output if isinstance(r.step_output, str) else None,
            step_ms=_optional_ms(r.step_ms, 0),
            weighted_ms=_optional_ms(r.weighted_ms, 3),
        )
        for r in units.rows()
    ]


def target_rows(targets: Table) -> list[TargetRow]:
    return [
        TargetRow(
            target=r.target,
            tus=int(r.tus),
            total_ms=ms(r.total_us),
            frontend_ms=ms(r.frontend_us),
            backend_ms=ms(r.backend_us),
            step_ms=_optional_ms(r.step_ms, 0),
            weighted_ms=_optional_ms(r.weighted_ms, 3),
        )
        for r in targets.rows()
    ]


def _optional_ms(value: float, digits: int) -> float | int | None:
    """A ninja step time, or None where no step of the analysed build wrote the TU's object."""
    if value is None or math.isnan(value):
        return None
    return int(value) if digits == 0 else round(float(value), digits)


def breakdown_rows(ts: TraceSet, top: int) -> list[BreakdownRow]:
    """Self time by trace event name over all TUs: where compile time goes; shares add up to 100%."""
    totals: dict[str, int] = defaultdict(int)
    for summary in ts.summaries:
        for name, us in summary.breakdown:
            totals[name] += us
    whole = sum(totals.values()) or 1
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [BreakdownRow(event=name, self_ms=ms(us), share=round(us / whole, 4)) for name, us in ordered]


def header_rows(ts: TraceSet, rows: Table, chains: int = CHAINS_IN_LISTING) -> list[HeaderRow]:
    out = []
    for code, r in zip(rows.index, rows.rows(), strict=True):
        found = include_chains(ts, int(code))
        out.append(
            HeaderRow(
                file=r.file,
                incl_ms=ms(r.incl_us),
                self_ms=ms(r.self_us),
                count=int(r.count),
                tus=int(r.tus),
                avg_ms=ms(r.incl_us / max(r.count, 1)),
                direct=bool(r.direct),
                chains=[chain_record(c) for c in found[:chains]],
                chains_total=len(found),
            )
        )
    return out


def chain_record(chain) -> Chain:
    return Chain(files=list(chain.files), count=chain.count, tus=chain.tus, ms=ms(chain.us))


def template_rows(ts: TraceSet, rows: Table) -> list[TemplateRow]:
    paying = tus_paying_for_template(ts, [int(c) for c in rows.index])
    top_tus: dict[int, list[PayingTrace]] = defaultdict(list)
    for p in paying.rows():
        if len(top_tus[p.code]) < TUS_IN_LISTING:
            top_tus[p.code].append(
                PayingTrace(trace=ts.summaries[p.trace].path, ms=ms(p.incl_us), count=int(p.count))
            )
    return [
        TemplateRow(
            name=r.name,
            kind=r.kind,
            count=int(r.count),
            incl_ms=ms(r.incl_us),
            self_ms=ms(r.self_us),
            tus=int(r.tus),
            avg_ms=ms(r.incl_us / max(r.count, 1)),
            set=r.set,
            top_tus=top_tus[int(code)],
        )
        for code, r in zip(rows.index, rows.rows(), strict=True)
    ]


def template_set_rows(rows: Table) -> list[TemplateSetRow]:
    return [
        TemplateSetRow(
            set=r.set,
            count=int(r.count),
            incl_ms=ms(r.incl_us),
            self_ms=ms(r.self_us),
            tus=int(r.tus),
            names=int(r.names),
        )
        for r in rows.rows()
    ]


def function_rows(rows: Table) -> list[FunctionRow]:
    return [
        FunctionRow(name=r.name, file=r.file, count=int(r.count), ms=ms(r.us), tus=int(r.tus))
        for r in rows.rows()
    ]


def function_set_rows(rows: Table) -> list[FunctionSetRow]:
    return [FunctionSetRow(set=r.set, count=int(r.count), ms=ms(r.us)) for r in rows.rows()]
