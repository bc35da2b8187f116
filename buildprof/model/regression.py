"""The records of a regression verdict: the budgets a change is held to, the noise it is measured
against, the judgement of each budgeted metric, and the targets, headers and templates blamed.

Times are milliseconds; `relative` and `share` fields are fractions (0.1 = 10 %). How the verdict is
reached, and why the defaults are what they are, is in docs/regressions.md.
"""

from typing import Annotated, Literal

from msgspec import field

from buildprof.model.records import Record, doc


class Threshold(Record, frozen=True):
    """What one metric may grow by: a change fails only when it is over both (each when given)."""

    metric: Annotated[str, doc('a total: "wall", "busy", "cpu", "compile", "link", "trace", "frontend", ...')]
    relative: Annotated[float | None, doc("fraction of the base, e.g. 0.1 for cpu:10%")] = None
    absolute_ms: Annotated[float | None, doc("milliseconds, e.g. 30000 for +30s")] = None


class Budgets(Record, frozen=True):
    """Every budgeted metric (`--fail-on`); a change regresses when any one of them fails."""

    text: Annotated[str, doc('as given, e.g. "wall:5%,cpu:10%,+30s"')]
    thresholds: tuple[Threshold, ...]


class Noise(Record, frozen=True):
    """How much a metric moves between two builds of the same code, and where that figure comes from."""

    metric: str
    sigma: Annotated[
        float,
        doc("robust standard deviation of the relative change between two builds, speed factor taken out"),
    ]
    band: Annotated[float, doc("relative change that counts as beyond noise (k x sigma)")]
    source: Annotated[Literal["history", "default"], doc('"history" when enough builds were given')]
    builds: Annotated[int, doc("history builds it was measured on (0 for the default)")]


class Mover(Record, frozen=True):
    """A target, header or template set that moved, with the part of its move the machine's speed
    does not explain."""

    kind: Literal["target", "header", "template"]
    name: str
    base: Annotated[float | None, doc("cost in the base build (null when new)")]
    head: Annotated[float | None, doc("cost in the head build (null when gone)")]
    delta: Annotated[float, doc("head - base")]
    excess: Annotated[
        float, doc("head - speed_factor x base: the change the machine's speed does not explain")
    ]
    score: Annotated[
        float,
        doc("what blame is ranked by: excess, with a header's growth from more TUs including it halved"),
    ]
    share: Annotated[
        float, doc("excess as a fraction of the base's traced time (scaled by the speed factor)")
    ]
    base_units: Annotated[int, doc("targets: steps; headers and templates: TUs showing it")]
    head_units: int


class Attribution(Record, kw_only=True):
    """The targets, headers and template sets that moved most, most to blame first."""

    targets: list[Mover] = field(default_factory=list)
    headers: list[Mover] = field(default_factory=list)
    templates: list[Mover] = field(default_factory=list)


class Shape(Record, kw_only=True):
    """How the change is spread: by a machine running faster or slower, or concentrated in one item."""

    speed_factor: Annotated[
        float | None, doc("how much slower the head's machine parsed the same headers (median of ratios)")
    ]
    speed_headers: Annotated[int, doc("headers the speed factor was measured on")]
    top: Annotated[Mover | None, doc("the header or template set with the largest unexplained increase")]
    concentrated_share: Annotated[
        float | None, doc("the top item's unexplained increase, as a fraction of the base's traced time")
    ]
    concentration_band: Annotated[float, doc("share that counts as beyond noise")]
    band_source: Literal["history", "default"]


class MetricVerdict(Record, kw_only=True):
    """One budgeted metric, judged."""

    threshold: Threshold
    base: float | None
    head: float | None
    delta: float | None
    relative: float | None
    beyond_speed: Annotated[
        float | None,
        doc("relative change left once the speed factor is taken out: head / (factor x base) - 1"),
    ]
    noise: Annotated[Noise, doc("of `beyond_speed` between successive builds")]
    spread_regression: Annotated[bool, doc("over the budget and beyond the noise band, as a whole")]
    concentrated_regression: Annotated[bool, doc("over the budget in one item, beyond concentration noise")]
    regressed: bool
    reason: Annotated[str, doc("the numbers, in words")]


class Verdict(Record, kw_only=True):
    """Whether a change regressed the build's cost, why, and what moved."""

    status: Literal["passed", "regressed"]
    reasons: Annotated[list[str], doc("one line per failed metric (empty when passed)")]
    metrics: list[MetricVerdict]
    shape: Shape
    attribution: Attribution


class ChangePoint(Record, frozen=True):
    """Where a series moves to a new level and stays there."""

    index: Annotated[int, doc("the point (index in the series, nulls counted) where the new level starts")]
    before: Annotated[float, doc("median of the segment before it")]
    after: Annotated[float, doc("median of the segment it starts")]
    shift: Annotated[float, doc("after - before")]
    relative: Annotated[float | None, doc("shift / before; null when before is 0")]
