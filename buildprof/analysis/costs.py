"""What one build cost, as the history keeps it: totals, and every target, header and template set.

Pure: from the analysed build's classified steps (buildprof.analysis.ninja_report) and the trace
index of the TUs in scope, to a BuildCosts record (buildprof.model.history).
"""

from __future__ import annotations

import pandas as pd

from buildprof.analysis.compile_units import target_table
from buildprof.analysis.headers import header_table
from buildprof.analysis.steps import busy_time
from buildprof.analysis.templates import template_set_table, template_table
from buildprof.analysis.trace_set import TraceSet
from buildprof.model.history import (
    TEMPLATE_SETS_KEPT,
    BuildCosts,
    BuildTotals,
    HeaderCost,
    TargetCost,
    TemplateCost,
)

PARSE_EVENT = "Source"  # clang's event for parsing an included file


def build_costs(
    build_dir: str,
    log_build: int | None,
    steps: pd.DataFrame | None,
    trace_set: TraceSet | None,
    units: pd.DataFrame | None,
) -> BuildCosts:
    """The costs of one build: `steps` are its classified steps (None without a log), `trace_set`
    and `units` its TUs' traces and compile-unit table (None without traces)."""
    totals = BuildTotals()
    targets: dict[str, TargetCost] = {}
    if steps is not None and len(steps):
        _add_step_totals(totals, steps)
        targets = _targets_from_steps(steps)
    headers: list[HeaderCost] = []
    templates: list[TemplateCost] = []
    if trace_set is not None and units is not None and len(units):
        _add_trace_totals(totals, trace_set, units)
        targets = _with_trace_time(targets, units)
        headers = header_costs(trace_set)
        templates = template_costs(trace_set)
    ordered = sorted(targets.values(), key=lambda t: (-t.cpu_ms, -t.trace_ms, t.name))
    return BuildCosts(
        build_dir=build_dir,
        log_build=log_build,
        totals=totals,
        targets=ordered,
        headers=headers,
        templates=templates,
    )


def _add_step_totals(totals: BuildTotals, steps: pd.DataFrame) -> None:
    start = steps["start_ms"].to_numpy()
    end = steps["end_ms"].to_numpy()
    duration = steps["duration_ms"]
    totals.wall_ms = float(end.max() - start.min())
    totals.busy_ms = float(busy_time(start, end))
    totals.cpu_ms = float(duration.sum())
    totals.steps = len(steps)
    totals.compile_ms = float(duration[steps["kind"] == "compile"].sum())
    totals.link_ms = float(duration[steps["kind"] == "link"].sum())


def _targets_from_steps(steps: pd.DataFrame) -> dict[str, TargetCost]:
    grouped = steps.groupby("target", sort=False).agg(
        steps=("duration_ms", "size"), cpu_ms=("duration_ms", "sum"), weighted_ms=("weighted_ms", "sum")
    )
    return {
        str(name): TargetCost(
            name=str(name),
            steps=int(r.steps),
            cpu_ms=float(r.cpu_ms),
            weighted_ms=round(float(r.weighted_ms), 3),
        )
        for name, r in zip(grouped.index, grouped.itertuples(), strict=True)
    }


def _add_trace_totals(totals: BuildTotals, ts: TraceSet, units: pd.DataFrame) -> None:
    totals.tus = len(units)
    totals.trace_ms = _ms(units["total_us"].sum())
    totals.frontend_ms = _ms(units["frontend_us"].sum())
    totals.backend_ms = _ms(units["backend_us"].sum())
    totals.parse_ms = _ms(sum(us for s in ts.summaries for name, us in s.breakdown if name == PARSE_EVENT))


def _with_trace_time(targets: dict[str, TargetCost], units: pd.DataFrame) -> dict[str, TargetCost]:
    """The targets with their TUs' traced time; a target only the traces know has no step numbers."""
    out = dict(targets)
    for r in target_table(units).itertuples():
        name = str(r.target)
        known = out.get(name) or TargetCost(name=name, steps=0, cpu_ms=0.0, weighted_ms=0.0)
        out[name] = TargetCost(
            name=name,
            steps=known.steps,
            cpu_ms=known.cpu_ms,
            weighted_ms=known.weighted_ms,
            trace_ms=_ms(r.total_us),
        )
    return out


def header_costs(ts: TraceSet) -> list[HeaderCost]:
    """Every included header the traces show, most expensive first."""
    table = header_table(ts)
    table = table[table["is_header"]].sort_values(["incl_us", "file"], ascending=[False, True], kind="stable")
    return [
        HeaderCost(
            path=r.file, incl_ms=_ms(r.incl_us), self_ms=_ms(r.self_us), count=int(r.count), tus=int(r.tus)
        )
        for r in table.itertuples()
    ]


def template_costs(ts: TraceSet, keep: int = TEMPLATE_SETS_KEPT) -> list[TemplateCost]:
    """The `keep` most expensive template sets (recursion counted once)."""
    sets = template_set_table(ts, template_table(ts))
    sets = sets.sort_values(["incl_us", "set"], ascending=[False, True], kind="stable").head(keep)
    return [
        TemplateCost(name=r.set, incl_ms=_ms(r.incl_us), count=int(r.count), tus=int(r.tus))
        for r in sets.itertuples()
    ]


def _ms(us) -> float:
    return round(float(us) / 1000.0, 3)
