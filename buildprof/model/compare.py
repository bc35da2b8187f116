"""The records of `buildprof compare BASE HEAD`: what changed between two builds, in totals and per
target, header and template set, each list sorted by the size of its change.

All times are milliseconds; `relative` fields are fractions of the base (0.1 = 10 % slower).
"""

from typing import Annotated, Literal

from msgspec import field

from buildprof.model.records import Record, doc
from buildprof.model.report import Document

Status = Literal["slower", "faster", "new", "gone", "same"]


class MetricChange(Record, frozen=True):
    """One headline number of the two builds (a field of BuildTotals)."""

    metric: Annotated[str, doc('"wall", "busy", "cpu", "compile", "link", "trace", "frontend", ...')]
    base: Annotated[float | None, doc("in the base build; null where its input was absent")]
    head: Annotated[float | None, doc("in the head build; null where its input was absent")]
    delta: Annotated[float | None, doc("head - base; null when either is null")]
    relative: Annotated[float | None, doc("delta / base; null when base is null or 0")]


class CostChange(Record, frozen=True):
    """One target, header or template set of either build, and how its cost moved."""

    name: Annotated[str, doc("target name, header path or template set")]
    base: Annotated[float | None, doc("cost in the base build; null when new")]
    head: Annotated[float | None, doc("cost in the head build; null when gone")]
    delta: Annotated[float, doc("head - base (a missing side counts as 0)")]
    relative: Annotated[float | None, doc("delta / base; null when new or base is 0")]
    status: Annotated[
        Status, doc('"slower", "faster", "new", "gone", or "same" (|delta| under the tolerance)')
    ]
    base_units: Annotated[int, doc("targets: steps; headers and templates: TUs showing it (0 when new)")] = 0
    head_units: Annotated[int, doc("the same in the head build (0 when gone)")] = 0


class CostChanges(Record, kw_only=True):
    """Every target, header or template set of the two builds, largest absolute change first."""

    measure: Annotated[str, doc('what is compared, e.g. "cpu_ms" of targets, "incl_ms" of headers')]
    slower: int
    faster: int
    new: int
    gone: int
    same: int
    rows: list[CostChange] = field(default_factory=list)


class BuildComparison(Record, kw_only=True):
    """Two builds side by side: `base` the reference, `head` the change under test."""

    base_dir: str
    head_dir: str
    tolerance_ms: Annotated[float, doc('changes smaller than this are "same"')]
    totals: list[MetricChange]
    targets: CostChanges
    headers: CostChanges
    templates: CostChanges


class CompareDocument(Document, tag="compare", kw_only=True):
    """`buildprof compare BASE HEAD`: totals, targets, headers and templates that moved."""

    comparison: BuildComparison
