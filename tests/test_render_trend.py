"""Trend charts (render/trend.py): real builds of abseil over six commits, and synthetic series for the
edges (one build, two, hundreds, gaps, hostile names), checked in the bytes a reader's tools see: a PNG
that decodes, an SVG that parses and says what it shows in its text, the same bytes every time."""

from __future__ import annotations

import json
import math
import random
import re
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from buildprof.model.history import TrendPoint, TrendSeries
from buildprof.render.trend import DPI, draw_trend
from buildprof.render.trend_layout import (
    MINUTES,
    MS,
    SECONDS,
    builds_of,
    running_level,
    shifts,
    tick_step,
    time_unit,
    values_along,
)

SVG = "{http://www.w3.org/2000/svg}"
SHIFT = re.compile(r"([+-]\d+\.\d) %$")
HOSTILE = "std::vector<$> & <\x1b[2J>\nnext $x$"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_texts(data: bytes) -> list[str]:
    """The text of every <text> element of an SVG (parsing it as XML on the way)."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def series(metric: str, values: list[float | None], noise: float | None = 0.03, cps=(), title=None):
    """A series over builds 0..n-1 with made-up commits one day apart."""
    points = [
        TrendPoint(
            build_id=i,
            commit=f"{i:07x}" + "f" * 33,
            commit_time=f"2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d}T09:00:00+02:00",
            recorded_at="2026-12-01T00:00:00Z",
            value=value,
        )
        for i, value in enumerate(values)
    ]
    return TrendSeries(
        metric=metric, title=title or metric, points=points, noise=noise, change_points=list(cps)
    )


def stepped(count: int, base: float, steps: dict[int, float], seed: int, noise: float = 0.02):
    """`count` values around `base` (Gaussian noise), whose level changes by steps[i] at build i."""
    rng = random.Random(seed)
    level, values = base, []
    for i in range(count):
        level *= 1.0 + steps.get(i, 0.0)
        values.append(level * (1.0 + rng.gauss(0.0, noise)))
    return values


# ---- the six real abseil builds


def _abseil(shared_data: Path) -> list[TrendSeries]:
    """Wall and CPU time of each build (from its ninja log) and target absl_strings' CPU time; the
    noise is the spread of build-to-build differences; the change point is where the data steps up."""
    history = shared_data / "abseil-history"
    if not history.is_dir():
        pytest.skip(f"{history} is absent")
    folders = sorted(history.iterdir(), key=lambda p: int(p.name.split("-")[0]))
    columns: dict[str, list[float]] = {"wall": [], "cpu": [], "target:absl_strings": []}
    commits = []
    for folder in folders:
        commits.append(json.loads((folder / "commit.json").read_text()))
        rows = [line.split("\t") for line in (folder / "ninja_log").read_text().splitlines()[1:]]
        spans = [(int(r[0]), int(r[1]), r[3]) for r in rows]
        columns["wall"].append(max(e for _, e, _ in spans) - min(s for s, _, _ in spans))
        columns["cpu"].append(sum(e - s for s, e, _ in spans))
        strings = [e - s for s, e, out in spans if out.startswith("absl/strings/CMakeFiles/strings.dir/")]
        columns["target:absl_strings"].append(sum(strings))
    titles = {
        "wall": "Wall time",
        "cpu": "CPU time",
        "target:absl_strings": "CPU time of target absl_strings",
    }
    made = []
    for metric, values in columns.items():
        steps = np.diff(values) / np.median(values)
        points = [
            TrendPoint(build_id=i + 1, commit=c["commit"], commit_time=c["commit_date"],
                       recorded_at="2026-09-01T00:00:00Z", value=v)
            for i, (c, v) in enumerate(zip(commits, values, strict=True))
        ]  # fmt: skip
        cps = [4] if metric in ("wall", "cpu") else []
        noise = float(np.median(np.abs(steps))) / math.sqrt(2)
        made.append(
            TrendSeries(metric=metric, title=titles[metric], points=points, noise=noise, change_points=cps)
        )
    return made


@pytest.mark.shared
def test_abseil_chart_as_png_decodes_at_a_readable_size(shared_data):
    chart = draw_trend(_abseil(shared_data), "png")
    width, height = png_size(chart)
    assert width == 10 * DPI  # 10 inches at 120 dots per inch
    assert 5 * DPI < height < 9 * DPI  # two panels: totals, and the target
    assert len(chart) < 300_000


@pytest.mark.shared
def test_abseil_chart_as_svg_names_every_commit_its_date_and_the_unit(shared_data):
    made = _abseil(shared_data)
    texts = svg_texts(draw_trend(made, "svg"))
    for point in made[0].points:
        assert point.commit[:7] in texts
        assert point.commit_time[:10] in texts
    assert texts.count("time (s)") == 2  # 100-290 s of wall and CPU time; 14-19 s of the target
    shifts_shown = [float(m.group(1)) for t in texts if (m := SHIFT.search(t))]
    assert len(shifts_shown) == 2 and all(15 < s < 25 for s in shifts_shown)  # +20 %: 4bca9d2 is slower
    assert any("absl_strings" in t for t in texts)


# ---- synthetic series: the edges


def test_the_same_chart_gives_the_same_svg_bytes():
    made = [series("wall", stepped(40, 90_000, {20: 0.1}, seed=1), cps=[20])]
    first, second = draw_trend(made, "svg"), draw_trend(made, "svg")
    assert first == second
    assert b"<dc:date>" not in first


def test_names_are_shown_as_data_never_as_markup_or_control_characters():
    made = [series("template:x", [800.0, None, 900.0, 950.0], title=HOSTILE)]
    chart = draw_trend(made, "svg", title=f"title {HOSTILE}")
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", chart)
    texts = svg_texts(chart)
    # `$...$` is not mathtext: the name stays one text, with its dollar signs and its escapes visible
    assert "title std::vector<$> & <\\x1b[2J>\\nnext $x$" in texts
    assert any(t.startswith("std::vector<$> & <\\x1b[2J>\\nnext") for t in texts)
    assert png_size(draw_trend(made, "png"))[0] == 10 * DPI


def test_svg_refers_to_nothing_outside_itself():
    chart = draw_trend([series("wall", stepped(12, 60_000, {}, seed=2))], "svg")
    assert b"<!DOCTYPE" not in chart and b"<image" not in chart
    root = ET.fromstring(chart)
    links = [v for node in root.iter() for k, v in node.attrib.items() if k.endswith("href")]
    assert links and all(link.startswith("#") for link in links)


@pytest.mark.parametrize(
    ("values", "unit"),
    [([400.0, 650.0], "ms"), ([30_000.0, 41_000.0], "s"), ([1_500_000.0, 1_900_000.0], "min")],
)
def test_the_y_unit_follows_the_magnitude(values, unit):
    texts = svg_texts(draw_trend([series("cpu", values)], "svg"))
    assert f"time ({unit})" in texts
    assert [t for t in texts if t.startswith("time (")] == [f"time ({unit})"]


def test_time_unit_thresholds():
    assert time_unit([]) is MS
    assert time_unit([None, 1999.0]) is MS
    assert time_unit([2000.0]) is SECONDS
    assert time_unit([599_000.0, None]) is SECONDS
    assert time_unit([600_000.0]) is MINUTES


@pytest.mark.parametrize("count", [1, 2, 300])
def test_one_two_and_hundreds_of_builds_draw(count):
    made = [
        series("wall", stepped(count, 50_000, {count // 2: 0.2}, seed=3), cps=[count // 2]),
        series("cpu", stepped(count, 150_000, {}, seed=4)),
        series("header:/usr/include/x.h", stepped(count, 700, {}, seed=5), noise=None),
    ]
    width, height = png_size(draw_trend(made, "png"))
    assert width == 10 * DPI and height > 4 * DPI
    texts = svg_texts(draw_trend(made, "svg"))
    assert "0000000" in texts  # the first build is labelled
    assert {"time (s)", "time (ms)"} <= set(texts)


@pytest.mark.parametrize("count", [2, 30, 300, 500])
def test_labels_are_thinned_to_a_round_step_that_fits(count):
    texts = svg_texts(draw_trend([series("wall", stepped(count, 50_000, {}, seed=6))], "svg"))
    labelled = [int(t, 16) for t in texts if re.fullmatch(r"[0-9a-f]{7}", t)]
    assert 2 <= len(labelled) <= 10 or count == len(labelled) == 2
    assert labelled[0] == 0
    step = labelled[1] - labelled[0]
    assert all(b - a == step for a, b in pairwise(labelled))
    assert step == tick_step(count, 6.4)


def test_change_points_are_marked_with_their_shift():
    values = stepped(300, 600_000, {100: 0.15, 200: -0.08}, seed=7, noise=0.01)
    texts = svg_texts(draw_trend([series("wall", values, cps=[100, 200])], "svg"))
    shown = [float(m.group(1)) for t in texts if (m := SHIFT.search(t))]
    assert len(shown) == 2
    assert abs(shown[0] - 15.0) < 2.0 and abs(shown[1] + 8.0) < 2.0


def test_missing_values_are_gaps_not_zeros():
    made = series("target:t", [1000.0, None, 1200.0, None, None, 1100.0])
    column = values_along(made, builds_of([made]))
    assert np.isnan(column[[1, 3, 4]]).all() and not (column == 0).any()
    level = running_level(column, [])
    assert np.isnan(level[[1, 3, 4]]).all() and np.isfinite(level[[0, 2, 5]]).all()
    texts = svg_texts(draw_trend([made], "svg"))
    assert "last 1100 ms" in texts


def test_the_level_steps_at_a_change_point_and_the_shift_compares_medians():
    values = np.array([100.0, 102.0, 98.0, 130.0, 128.0, 131.0])
    level = running_level(values, [3])
    assert level[:3].max() <= 102.0 and level[3:].min() >= 128.0
    assert shifts(values, [3]) == [(3, pytest.approx(130.0 / 100.0 - 1.0))]
    assert shifts(values, [0, 6, 9]) == []  # outside the series: no stretch on one side


def test_a_build_without_a_commit_is_shown_by_its_recorded_date():
    made = series("wall", [10_000.0, 11_000.0])
    made.points[1] = TrendPoint(build_id=1, commit=None, commit_time=None,
                                recorded_at="2026-05-04T03:02:01Z", value=11_000.0)  # fmt: skip
    texts = svg_texts(draw_trend([made], "svg"))
    assert "no commit" in texts and "2026-05-04" in texts


def test_nothing_to_draw_is_still_a_chart():
    assert png_size(draw_trend([], "png"))[0] == 10 * DPI
    assert "no recorded builds to draw" in svg_texts(draw_trend([], "svg"))
    empty = svg_texts(draw_trend([series("wall", [None, None])], "svg"))
    assert "no value in these builds" in empty


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError):
        draw_trend([series("wall", [1.0])], "gif")


def test_matplotlib_is_imported_only_to_draw_and_pyplot_never():
    """Importing the module costs no matplotlib (buildprof --help stays fast); drawing imports no
    pyplot and leaves every setting as it found it."""
    code = (
        "import sys\n"
        "from buildprof.render.trend import draw_trend\n"
        "from buildprof.model.history import TrendSeries, TrendPoint\n"
        "assert 'matplotlib' not in sys.modules\n"
        "p = TrendPoint(build_id=1, commit='a' * 40, commit_time=None, recorded_at='2026-01-01', value=5.0)\n"
        "s = [TrendSeries(metric='wall', title='Wall', points=[p])]\n"
        "import matplotlib\n"
        "def settings():  # not 'backend': reading it would choose one through pyplot\n"
        "    return {k: matplotlib.rcParams[k] for k in matplotlib.rcParams if k != 'backend'}\n"
        "before = settings()\n"
        "draw_trend(s, 'svg'); draw_trend(s, 'png')\n"
        "assert settings() == before\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
