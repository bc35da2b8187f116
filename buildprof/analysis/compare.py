"""Two builds' costs side by side (`buildprof compare BASE HEAD`): the totals, and every target, header
and template set that got slower, faster, appeared or went away, largest absolute change first.

Pure: two BuildCosts records in, one BuildComparison out. It says what moved, not whether that is
noise: buildprof.analysis.regression judges that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from buildprof.model.compare import BuildComparison, CostChange, CostChanges, MetricChange, Status
from buildprof.model.history import BuildCosts, BuildTotals

# Every number of BuildTotals a comparison shows, in this order (steps and tus are counts, not times).
TOTALS = ("wall", "busy", "cpu", "compile", "link", "trace", "frontend", "backend", "parse")
DEFAULT_TOLERANCE_MS = 1.0  # a change under a millisecond is "same": the logs' resolution

T = TypeVar("T")


def total_of(totals: BuildTotals, metric: str) -> float | None:
    """The value of a metric name of TOTALS ("cpu" is `cpu_ms`) in `totals`."""
    if metric not in TOTALS:
        raise ValueError(f"unknown metric {metric!r}: one of {', '.join(TOTALS)}")
    return getattr(totals, f"{metric}_ms")


def compare_builds(
    base: BuildCosts, head: BuildCosts, tolerance_ms: float = DEFAULT_TOLERANCE_MS
) -> BuildComparison:
    """Everything that moved from `base` to `head`: totals, then targets by CPU time (their traced
    time when neither build has step times for them), headers by inclusive parse time and template
    sets by inclusive instantiation time."""
    return BuildComparison(
        base_dir=base.build_dir,
        head_dir=head.build_dir,
        tolerance_ms=tolerance_ms,
        totals=[metric_change(m, total_of(base.totals, m), total_of(head.totals, m)) for m in TOTALS],
        targets=_changes(
            "cpu_ms (trace_ms for targets without steps)",
            base.targets,
            head.targets,
            lambda t: t.name,
            lambda t: t.cpu_ms if t.steps else t.trace_ms,
            lambda t: t.steps,
            tolerance_ms,
        ),
        headers=_changes(
            "incl_ms",
            base.headers,
            head.headers,
            lambda h: h.path,
            lambda h: h.incl_ms,
            lambda h: h.tus,
            tolerance_ms,
        ),
        templates=_changes(
            "incl_ms",
            base.templates,
            head.templates,
            lambda t: t.name,
            lambda t: t.incl_ms,
            lambda t: t.tus,
            tolerance_ms,
        ),
    )


def metric_change(metric: str, base: float | None, head: float | None) -> MetricChange:
    """One total of both builds with its absolute and relative change."""
    delta = None if base is None or head is None else head - base
    relative = None if delta is None or not base else delta / base
    return MetricChange(metric=metric, base=base, head=head, delta=delta, relative=relative)


def cost_change(
    name: str, base: float | None, head: float | None, base_units: int, head_units: int, tolerance_ms: float
) -> CostChange:
    """One item's change; a side that is missing counts as 0 in `delta`."""
    delta = (head or 0.0) - (base or 0.0)
    status: Status
    if base is None:
        status = "new"
    elif head is None:
        status = "gone"
    elif abs(delta) < tolerance_ms:
        status = "same"
    else:
        status = "slower" if delta > 0 else "faster"
    return CostChange(
        name=name,
        base=base,
        head=head,
        delta=round(delta, 3),
        relative=delta / base if base else None,
        status=status,
        base_units=base_units,
        head_units=head_units,
    )


def _changes(
    measure: str,
    base: Iterable[T],
    head: Iterable[T],
    key: Callable[[T], str],
    cost: Callable[[T], float],
    units: Callable[[T], int],
    tolerance_ms: float,
) -> CostChanges:
    """Every item of either list, matched by `key`, largest absolute change first (then by name)."""
    before = {key(item): item for item in base}
    after = {key(item): item for item in head}
    rows = []
    for name in before.keys() | after.keys():
        b, h = before.get(name), after.get(name)
        rows.append(
            cost_change(
                name,
                None if b is None else cost(b),
                None if h is None else cost(h),
                0 if b is None else units(b),
                0 if h is None else units(h),
                tolerance_ms,
            )
        )
    rows.sort(key=lambda r: (-abs(r.delta), r.name))
    counts = {s: sum(r.status == s for r in rows) for s in ("slower", "faster", "new", "gone", "same")}
    return CostChanges(measure=measure, rows=rows, **counts)
