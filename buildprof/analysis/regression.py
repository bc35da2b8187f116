"""Did a change regress the build's cost? A judge that tells real regressions from machine noise by
their size AND their shape, and blames the targets, headers and templates that moved.

Pure: BuildCosts records in, a Verdict out. The method and the measurements behind every default are
in docs/regressions.md; in short:

- The speed factor: the weighted median, over headers both builds parse in the same number of TUs,
  of their own (self) parse time head/base. A machine that is busier slows every header alike; a code
  change moves a few. Every item's `excess` is what the speed factor does not explain.
- Concentrated: the item with the largest excess carries a share of the traced time over the budget
  and over the concentration noise -> regressed, whatever the machine did meanwhile.
- Spread: the metric's whole relative change is over the budget and over k x its noise (measured on
  the history when it has MIN_HISTORY builds, else the measured default) -> regressed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from buildprof.analysis.compare import TOTALS, total_of
from buildprof.model.history import BuildCosts
from buildprof.model.regression import (
    Attribution,
    Budgets,
    MetricVerdict,
    Mover,
    Noise,
    Shape,
    Threshold,
    Verdict,
)

DEFAULT_BUDGETS = "cpu:10%,cpu:+1s"  # docs/regressions.md: why these
MIN_HISTORY = 6  # builds (5 successive changes) before the noise is measured rather than assumed
HISTORY_WINDOW = 30  # the most recent builds of the history that are used
NOISE_K = 3.0  # a spread change must be beyond k robust standard deviations of the noise
# The noise of a total once the speed factor is taken out, without a history to measure it on: the
# robust sd measured on 12 same-code pairs of the real series was 0.043 (cpu), 0.039 (wall), 0.046
# (trace), extremes +8.8 % (cpu) and +12.6 % (wall); 0.065 makes the band 19.5 %, above them and above
# the +-13 % that two clean builds differ by on the shared machines (docs/regressions.md).
DEFAULT_NOISE = 0.065
# The top item's share on same-code pairs was 1.2 % to 3.9 %, on the regressions 16.8 % to 24.9 %.
DEFAULT_CONCENTRATION_BAND = 0.08
MIN_CONCENTRATION_BAND = 0.02  # a history of identical builds does not make 1 % of noise a regression
MIN_SIGMA = 0.01  # a history of near-identical builds still has 1 % of noise
MIN_HEADER_MS = 20.0  # headers cheaper than this (over all their TUs) are too coarse to time the machine
MIN_SPEED_HEADERS = 10  # fewer usable headers: no speed factor (1 is assumed, and said)
REACH_WEIGHT = 0.5  # a header's move from more (fewer) TUs including it counts half in blame
BLAMED = 5  # movers kept per kind

_ITEM = re.compile(r"^(?:(?P<metric>[a-z]+):)?(?P<amount>.+)$")
_RELATIVE = re.compile(r"^(?P<n>\d+(?:\.\d+)?)%$")
_ABSOLUTE = re.compile(r"^\+(?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s|min|h)$")
_UNIT_MS = {"ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0}


def parse_budgets(text: str) -> Budgets:
    """Budgets from `--fail-on` text: comma-separated `[metric:]N%` or `[metric:]+N(ms|s|min|h)`, a bare
    amount meaning wall; a ValueError naming the part that is wrong."""
    found: dict[str, dict[str, float]] = {}
    parts = [p.strip() for p in text.split(",")]
    if not text.strip():
        raise ValueError("empty budget: give e.g. cpu:10% or wall:+30s")
    for part in parts:
        match = _ITEM.match(part)
        if not part or match is None:
            raise ValueError(f"budget {text!r}: an empty part between commas")
        metric = match["metric"] or "wall"
        if metric not in TOTALS:
            raise ValueError(
                f"budget {part!r}: unknown metric {metric!r}, expected one of {', '.join(TOTALS)}"
            )
        amount = match["amount"].strip()
        if rel := _RELATIVE.match(amount):
            key, value = "relative", float(rel["n"]) / 100.0
        elif absolute := _ABSOLUTE.match(amount):
            key, value = "absolute_ms", float(absolute["n"]) * _UNIT_MS[absolute["unit"]]
        else:
            raise ValueError(
                f"budget {part!r}: {amount!r} is neither a percentage (10%) "
                "nor an increase (+30s, +500ms, +2min)"
            )
        if key in found.setdefault(metric, {}):
            raise ValueError(f"budget {part!r}: {metric} already has a {key.split('_')[0]} threshold")
        found[metric][key] = value
    thresholds = tuple(Threshold(metric=m, **found[m]) for m in TOTALS if m in found)
    return Budgets(text=text, thresholds=thresholds)


def judge(
    base: BuildCosts, head: BuildCosts, history: Sequence[BuildCosts] = (), budgets: Budgets | None = None
) -> Verdict:
    """The verdict on `head` against `base`, with the noise measured on `history` (the branch's earlier
    clean builds, oldest first; may include `base`)."""
    budgets = budgets or parse_budgets(DEFAULT_BUDGETS)
    recent = list(history)[-HISTORY_WINDOW:]
    shape, movers = shape_of(base, head)
    pairs = [shape_of(before, after)[0] for before, after in itertools.pairwise(recent)]
    band, band_source = concentration_band(
        [p.concentrated_share for p in pairs if p.concentrated_share is not None]
    )
    shape.concentration_band, shape.band_source = band, band_source
    verdicts = []
    for threshold in budgets.thresholds:
        residuals = [
            r
            for (b, a), p in zip(itertools.pairwise(recent), pairs, strict=True)
            if (r := _beyond(b, a, p, threshold.metric)) is not None
        ]
        verdicts.append(_judge_metric(threshold, base, head, noise_of(residuals, threshold.metric), shape))
    attribution = Attribution(
        targets=_blamed(movers, "target"),
        headers=_blamed(movers, "header"),
        templates=_blamed(movers, "template"),
    )
    reasons = [v.reason for v in verdicts if v.regressed]
    if reasons:
        blamed = [f"{kind} {items[0].name} ({items[0].excess:+.0f} ms)" for kind, items in
                  (("header", attribution.headers), ("template", attribution.templates),
                   ("target", attribution.targets)) if items]  # fmt: skip
        reasons.append("most to blame: " + ", ".join(blamed))
    return Verdict(
        status="regressed" if reasons else "passed",
        reasons=reasons,
        metrics=verdicts,
        shape=shape,
        attribution=attribution,
    )


def shape_of(base: BuildCosts, head: BuildCosts) -> tuple[Shape, list[Mover]]:
    """The speed factor between two builds, every mover ranked for blame, and the header or template
    set whose unexplained increase is largest (targets are blamed but not used for the shape: a
    target is a large share of a build, and a burst of load on its TUs alone moves it by 10-20 %)."""
    factor, used = speed_factor(base, head)
    movers = rank_movers(base, head, factor)
    frontend = [m for m in movers if m.kind != "target"]
    top = max((m for m in frontend if m.excess > 0), key=lambda m: m.excess, default=None)
    share = top.share if top else (0.0 if frontend else None)
    shape = Shape(
        speed_factor=factor,
        speed_headers=used,
        top=top,
        concentrated_share=share,
        concentration_band=DEFAULT_CONCENTRATION_BAND,
        band_source="default",
    )
    return shape, movers


def speed_factor(base: BuildCosts, head: BuildCosts) -> tuple[float | None, int]:
    """How much slower `head`'s machine parsed the same headers than `base`'s: the median of their
    inclusive parse time ratios, over headers shown by as many TUs in both builds and costing at least
    MIN_HEADER_MS in the base; None when fewer than MIN_SPEED_HEADERS qualify. Also gives how many
    headers were used. A code change moves a few headers (the changed one and those including it);
    the median is the rest."""
    before = {h.path: h for h in base.headers}
    ratios = [
        h.incl_ms / b.incl_ms
        for h in head.headers
        if (b := before.get(h.path)) is not None and b.tus == h.tus and b.incl_ms >= MIN_HEADER_MS
    ]
    if len(ratios) < MIN_SPEED_HEADERS:
        return None, len(ratios)
    return float(np.median(ratios)), len(ratios)


def rank_movers(base: BuildCosts, head: BuildCosts, factor: float | None) -> list[Mover]:
    """Every target, header and template set of either build with its excess over the speed factor
    (1 when unknown), as a share of the base's traced time (its CPU time without traces)."""
    m = 1.0 if factor is None else factor
    scale = m * (base.totals.trace_ms or base.totals.cpu_ms or 0.0)
    movers: list[Mover] = []

    def add(kind, before: dict, after: dict, cost, units) -> None:
        for name in before.keys() | after.keys():
            b, h = before.get(name), after.get(name)
            vb, vh = (None if b is None else cost(b)), (None if h is None else cost(h))
            ub, uh = (0 if b is None else units(b)), (0 if h is None else units(h))
            excess = (vh or 0.0) - m * (vb or 0.0)
            score = excess
            if kind == "header" and vh and uh > ub:  # more TUs include it now: the includer changed
                reach = vh * (uh - ub) / uh
                score = excess - (1.0 - REACH_WEIGHT) * reach
            elif kind == "header" and vb and ub > uh:  # fewer TUs include it: likewise
                reach = m * vb * (ub - uh) / ub
                score = excess + (1.0 - REACH_WEIGHT) * reach
            movers.append(
                Mover(
                    kind=kind,
                    name=name,
                    base=vb,
                    head=vh,
                    delta=round((vh or 0.0) - (vb or 0.0), 3),
                    excess=round(excess, 3),
                    score=round(score, 3),
                    share=excess / scale if scale else 0.0,
                    base_units=ub,
                    head_units=uh,
                )
            )

    def target_cost(t):
        return t.trace_ms or t.cpu_ms

    add(
        "target",
        {t.name: t for t in base.targets},
        {t.name: t for t in head.targets},
        target_cost,
        lambda t: t.steps,
    )
    add(
        "header",
        {h.path: h for h in base.headers},
        {h.path: h for h in head.headers},
        lambda h: h.incl_ms,
        _tus,
    )
    add("template", {t.name: t for t in base.templates}, {t.name: t for t in head.templates}, _incl, _tus)
    movers.sort(key=lambda x: (-x.score, x.kind, x.name))
    return movers


def _tus(item) -> int:
    return item.tus


def _incl(item) -> float:
    return item.incl_ms


def _blamed(movers: list[Mover], kind: str) -> list[Mover]:
    return [m for m in movers if m.kind == kind and m.score > 0][:BLAMED]


def noise_of(changes: Sequence[float], metric: str) -> Noise:
    """The noise of a total: the robust sd (1.4826 x MAD) of its relative changes between successive
    builds of the history, speed factor taken out, when there are MIN_HISTORY - 1 of them; else the
    measured default."""
    if len(changes) >= MIN_HISTORY - 1:
        sigma = max(_robust_sd(np.asarray(changes)), MIN_SIGMA)
        return Noise(
            metric=metric, sigma=sigma, band=NOISE_K * sigma, source="history", builds=len(changes) + 1
        )
    return Noise(metric=metric, sigma=DEFAULT_NOISE, band=NOISE_K * DEFAULT_NOISE, source="default", builds=0)


def concentration_band(shares: Sequence[float]) -> tuple[float, Literal["history", "default"]]:
    """The top item's share that counts as beyond noise: median + k robust sd of the top shares of the
    history's successive pairs (never under MIN_CONCENTRATION_BAND), or the measured default when
    there are fewer than MIN_HISTORY - 1 pairs."""
    if len(shares) < MIN_HISTORY - 1:
        return DEFAULT_CONCENTRATION_BAND, "default"
    values = np.asarray(shares)
    return max(float(np.median(values)) + NOISE_K * _robust_sd(values), MIN_CONCENTRATION_BAND), "history"


def _beyond(base: BuildCosts, head: BuildCosts, shape: Shape, metric: str) -> float | None:
    """A metric's relative change from `base` to `head` once the speed factor is taken out."""
    b, h = total_of(base.totals, metric), total_of(head.totals, metric)
    if b is None or h is None or b <= 0:
        return None
    return h / ((shape.speed_factor or 1.0) * b) - 1.0


def _robust_sd(values: np.ndarray) -> float:
    """1.4826 x the median absolute deviation: the standard deviation of normal data, unmoved by a
    few real changes among the differences."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def _over(threshold: Threshold, relative: float, absolute: float) -> bool:
    """Over a threshold's relative part AND its absolute part (each when given)."""
    rel_ok = threshold.relative is None or relative >= threshold.relative
    abs_ok = threshold.absolute_ms is None or absolute >= threshold.absolute_ms
    return rel_ok and abs_ok


def _judge_metric(
    threshold: Threshold, base: BuildCosts, head: BuildCosts, noise: Noise, shape: Shape
) -> MetricVerdict:
    """One budgeted metric: a spread regression, a concentrated one, or neither."""
    metric = threshold.metric
    b, h = total_of(base.totals, metric), total_of(head.totals, metric)
    factor = shape.speed_factor or 1.0
    if b is None or h is None or b <= 0:
        return MetricVerdict(
            threshold=threshold,
            base=b,
            head=h,
            delta=None,
            relative=None,
            beyond_speed=None,
            noise=noise,
            spread_regression=False,
            concentrated_regression=False,
            regressed=False,
            reason=f"{metric}: not in both builds, not judged",
        )
    delta, relative = h - b, (h - b) / b
    beyond = h / (factor * b) - 1.0
    spread = _over(threshold, beyond, h - factor * b) and beyond > noise.band
    top, share = shape.top, shape.concentrated_share
    concentrated = False
    if top is not None and share is not None:
        # the top item's excess in this metric's units: its share of this metric's speed-scaled base
        concentrated = _over(threshold, share, share * factor * b) and share > shape.concentration_band
    limits = _limits_text(threshold)
    if concentrated and top is not None:
        reason = (
            f"{metric}: {top.kind} {top.name} alone adds {share:.1%} of the traced time "
            f"({top.excess:+.0f} ms beyond the speed factor {factor:.2f}); budget {limits}, "
            f"noise {shape.concentration_band:.1%} ({shape.band_source})"
        )
    elif spread:
        reason = (
            f"{metric}: {beyond:+.1%} beyond the speed factor {factor:.2f} ({relative:+.1%}, {delta:+.0f} ms "
            f"as measured), over budget {limits} and noise band {noise.band:.1%} ({noise.source})"
        )
    else:
        reason = (
            f"{metric}: {relative:+.1%} ({delta:+.0f} ms), {beyond:+.1%} beyond the speed factor "
            f"{factor:.2f}: passes (budget {limits}, noise band {noise.band:.1%})"
        )
    return MetricVerdict(
        threshold=threshold,
        base=b,
        head=h,
        delta=delta,
        relative=relative,
        beyond_speed=beyond,
        noise=noise,
        spread_regression=spread,
        concentrated_regression=concentrated,
        regressed=spread or concentrated,
        reason=reason,
    )


def _limits_text(threshold: Threshold) -> str:
    parts = []
    if threshold.relative is not None:
        parts.append(f"{threshold.relative:.0%}")
    if threshold.absolute_ms is not None:
        parts.append(f"+{threshold.absolute_ms / 1000:g}s")
    return " and ".join(parts) or "none"
