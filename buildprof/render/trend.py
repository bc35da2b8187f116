"""Trend charts (`buildprof trend`): wall time, CPU time and chosen targets or headers over the recorded
builds, as PNG or SVG bytes for a person to read at a glance (CI artifacts, the HTML report).

One panel per measure (the whole-build totals share one), builds evenly spaced in commit order and
labelled by short commit id and commit date; each series with its typical level (a rolling median that
steps at change points) and a band of ± its noise around it; each change point marked where the new
level starts, with the shift. matplotlib is used through its object API (a `Figure` and a canvas of its
own, never pyplot) and imported only here, so nothing depends on a display, nothing is shared between
calls, and `buildprof --help` does not pay for it. Names from the build are made visible, shortened,
and never read as mathtext (`std::vector<$>` stays as it is).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from itertools import cycle
from typing import TYPE_CHECKING

import numpy as np

from buildprof.model.history import TrendSeries
from buildprof.render.escape import visible
from buildprof.render.layout import clip
from buildprof.render.trend_layout import (
    Build,
    builds_of,
    format_shift,
    format_value,
    panels_of,
    range_text,
    running_level,
    segments,
    series_name,
    shifts,
    short_name,
    tick_step,
    time_unit,
    values_along,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
DPI = 120
PANEL_HEIGHT_IN = 2.6
FRAME_HEIGHT_IN = 1.5  # title, tick labels and axis label around the panels
LEGEND_WIDTH_IN = 2.8
SVG_SALT = "buildprof"  # fixes the ids matplotlib generates, so the same chart gives the same bytes
COLOURS = {"wall": "#1f77b4", "cpu": "#ff7f0e", "busy": "#9467bd", "trace": "#8c564b"}
OTHER_COLOURS = ("#2ca02c", "#d62728", "#17becf", "#e377c2", "#7f7f7f", "#bcbd22")
_MANY = 60  # above this many builds, points are drawn as a thinner line without markers
_LABEL_ROW = 0.12  # height of a row of change-point labels, as a fraction of the panel
_CHANGE_COLOUR = "#555555"
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>]*>\s*")


def draw_trend(
    series: list[TrendSeries], fmt: str, title: str | None = None, width_in: float = 10.0
) -> bytes:
    """The chart of `series` (oldest commit first, values in ms) as PNG or SVG bytes, `width_in` inches
    wide; the same input gives the same SVG bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown chart format {fmt!r}; choose one of {', '.join(FORMATS)}")
    figure = _figure(series, title, max(width_in, 4.0))
    return _save(figure, fmt)


def _figure(series: Sequence[TrendSeries], title: str | None, width_in: float) -> Figure:
    """The whole chart: a stacked panel per group of series sharing the x axis of builds."""
    from matplotlib.figure import Figure

    builds = builds_of(series)
    panels = panels_of(series) if builds else []
    height = FRAME_HEIGHT_IN + PANEL_HEIGHT_IN * max(len(panels), 1)
    figure = Figure(figsize=(width_in, height), dpi=DPI, layout="constrained")
    heading = visible(title) if title is not None else f"Build times: {range_text(builds)}"
    figure.suptitle(clip(heading, int(width_in * 11)), fontsize=12, fontweight="bold", parse_math=False)
    if not panels:
        ax = figure.subplots()
        ax.set_axis_off()
        ax.text(0.5, 0.5, "no recorded builds to draw", ha="center", va="center", transform=ax.transAxes)
        return figure
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    colours = cycle(OTHER_COLOURS)
    for ax, members in zip(axes, panels, strict=True):
        chosen = [series[i] for i in members]
        palette = [COLOURS.get(one.metric) or next(colours) for one in chosen]
        _draw_panel(ax, chosen, palette, builds, width_in)
    _draw_builds_axis(axes[-1], builds, width_in)
    return figure


def _draw_panel(
    ax: Axes, members: Sequence[TrendSeries], palette: Sequence[str], builds: Sequence[Build], width_in: float
) -> None:
    """One panel: each member's values, level band and change points, in one unit chosen for them."""
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter

    columns = [values_along(one, builds) for one in members]
    unit = time_unit([float(v) for column in columns for v in column if not math.isnan(v)])
    x = np.arange(len(builds))
    many = len(builds) > _MANY
    handles: list[object] = []
    labels: list[str] = []
    marks = _Marks(len(builds))
    legend_chars = min(max(int(width_in * 4), 20), 40)
    for one, values, colour in zip(members, columns, palette, strict=True):
        known = values[~np.isnan(values)]
        last = f"last {format_value(float(known[-1]), unit)}" if len(known) else "no value"
        (line,) = ax.plot(
            x,
            values / unit.ms,
            color=colour,
            lw=1.2 if many else 1.8,
            marker=None if many else "o",
            ms=4,
            zorder=3,
        )
        _mark_lonely_points(ax, x, values / unit.ms, colour)
        handles.append(line)
        labels.append(f"{series_name(one, legend_chars)}\n{last}")
        if one.noise is not None and len(known):
            handles.append(_draw_band(ax, values, one, unit.ms, colour))
            labels.append(
                f"{short_name(one)}: noise band, ± {100 * one.noise:.1f} %\naround the rolling median"
            )
        named = len(members) > 1
        for cut, shift in shifts(values, one.change_points):
            text = f"{short_name(one)} {format_shift(shift)}" if named else format_shift(shift)
            _mark_change(ax, cut, text, colour, marks)
    if any(shifts(values, one.change_points) for one, values in zip(members, columns, strict=True)):
        handles.append(Line2D([], [], color=_CHANGE_COLOUR, ls="--", lw=1.2))
        labels.append("change point (new level\nfrom this build on)")
    if not any(len(values[~np.isnan(values)]) for values in columns):
        ax.text(0.5, 0.5, "no value in these builds", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    room = int((width_in - LEGEND_WIDTH_IN) * 11)
    if len(members) == 1:
        heading = series_name(members[0], room)
    else:
        heading = ", ".join(series_name(one, room // len(members)) for one in members)
    ax.set_title(heading, loc="left", fontsize=10.5, parse_math=False)
    ax.set_ylabel(f"time ({unit.symbol})")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.grid(axis="y", alpha=0.3)
    ax.grid(axis="x", alpha=0.15)
    _set_y_range(ax, len(marks.rows))
    legend = ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
        borderaxespad=0.0,
        labelspacing=0.8,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)


def _draw_band(ax: Axes, values: np.ndarray, one: TrendSeries, per: float, colour: str) -> object:
    """The typical level (rolling median) ± the series' noise, shaded; drawn stretch by stretch, each
    reaching half a build past its ends, so that the band steps at a change point instead of sloping."""
    noise = float(one.noise or 0.0)
    level = running_level(values, one.change_points) / per
    band = None
    for start, end in segments(len(values), one.change_points):
        x = np.array([start - 0.5, *range(start, end), end - 0.5])
        y = np.concatenate(([level[start]], level[start:end], [level[end - 1]]))
        ax.plot(x, y, color=colour, lw=0.9, ls=":", alpha=0.8, zorder=2)
        band = ax.fill_between(x, y * (1 - noise), y * (1 + noise), color=colour, alpha=0.2, lw=0, zorder=1)
    return band


def _mark_lonely_points(ax: Axes, x: np.ndarray, y: np.ndarray, colour: str) -> None:
    """A value with gaps on both sides draws no line: a marker shows it."""
    known = ~np.isnan(y)
    before = np.concatenate(([False], known[:-1]))
    after = np.concatenate((known[1:], [False]))
    lonely = known & ~before & ~after
    if lonely.any():
        ax.plot(x[lonely], y[lonely], ls="none", marker="o", ms=4, color=colour, zorder=3)


class _Marks:
    """Rows of change-point labels at the top of a panel: a label goes to the first row where it
    overlaps no other, so that shifts close together stay readable."""

    WIDTH = 0.13  # a label's width, as a fraction of the panel's

    def __init__(self, count: int) -> None:
        self.count = max(count, 1)
        self.rows: list[list[float]] = []

    def place(self, cut: int) -> tuple[float, int]:
        """The label's position across the panel (0..1) and its row (0 at the top)."""
        where = cut / self.count  # the line is at cut - 0.5 on an axis from -0.5 to count - 0.5
        for row, taken in enumerate(self.rows):
            if all(abs(where - other) >= self.WIDTH for other in taken):
                taken.append(where)
                return where, row
        self.rows.append([where])
        return where, len(self.rows) - 1


def _mark_change(ax: Axes, cut: int, text: str, colour: str, marks: _Marks) -> None:
    """A dashed line between the last build of the old level and the first of the new, with the shift."""
    where, row = marks.place(cut)
    right = where < 0.85  # near the right edge the label goes on the line's left
    ax.axvline(cut - 0.5, color=_CHANGE_COLOUR, ls="--", lw=1.2, zorder=2)
    ax.annotate(
        text,
        xy=(cut - 0.5, 1.0 - _LABEL_ROW * row),
        xycoords=("data", "axes fraction"),
        xytext=(4 if right else -4, -4),
        textcoords="offset points",
        ha="left" if right else "right",
        va="top",
        fontsize=9,
        fontweight="bold",
        color=colour,
        parse_math=False,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
    )


def _set_y_range(ax: Axes, label_rows: int) -> None:
    """A nearly flat series is not blown up to fill the panel (the range is at least 10 % of its top),
    and the rows of change-point labels get room of their own above the data."""
    low, high = ax.get_ylim()
    top = max(abs(low), abs(high))
    if top > 0 and high - low < 0.1 * top:
        middle = (low + high) / 2
        low, high = middle - 0.05 * top, middle + 0.05 * top
    if label_rows:
        data_share = 1.0 - _LABEL_ROW * label_rows - 0.02
        high = low + (high - low) / data_share
    ax.set_ylim(low, high)


def _draw_builds_axis(ax: Axes, builds: Sequence[Build], width_in: float) -> None:
    """Builds evenly spaced in commit order; a round-numbered subset labelled so the labels never touch."""
    count = len(builds)
    step = tick_step(count, width_in - LEGEND_WIDTH_IN - 0.8)  # less the legend and the y axis
    ticks = list(range(0, count, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([builds[i].label for i in ticks], fontsize=8, parse_math=False)
    if step > 1 and count <= 200:
        ax.set_xticks(range(count), minor=True)
    ax.set_xlim(-0.5, count - 0.5)
    label = "builds by commit (id, date), oldest first"
    if step > 1:
        label += f"\nevery {step}th build labelled"
    ax.set_xlabel(label, fontsize=9)


def _save(figure: Figure, fmt: str) -> bytes:
    """The figure's bytes: PNG at DPI, or SVG with real text, fixed ids and no date (reproducible)."""
    import matplotlib

    out = io.BytesIO()
    if fmt == "png":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(figure)
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
        return out.getvalue()
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(figure)
    # the SVG writer reads these two settings only from rcParams: set for this save alone, and put back
    # as they were by rc_context (no other setting is touched, pyplot is never imported)
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "none"}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": "buildprof"})
    # the DOCTYPE names a DTD on the web: dropped, so the file refers to nothing outside itself
    return _DOCTYPE.sub(b"", out.getvalue(), count=1)
