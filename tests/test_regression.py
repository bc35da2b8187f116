"""The regression judge on real series: clean builds of the sample project captured commit by commit
(fixtures/series, scripts/capture_series.py) and the six real abseil builds of ../shared.

Every noise pair and improvement must pass, every regression must fail and blame the header that was
changed, with the default budgets, with and without a history to measure the noise on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import msgspec
import numpy as np
import pytest
from trace_helpers import FIXTURES, SHARED_DATA, needs_shared

from buildprof.analysis.regression import (
    DEFAULT_CONCENTRATION_BAND,
    concentration_band,
    judge,
    noise_of,
    parse_budgets,
    rank_movers,
    speed_factor,
)
from buildprof.model.history import BuildCosts
from buildprof.model.regression import Threshold
from buildprof.pipeline import ReportOptions, build_costs_of

SERIES = FIXTURES / "series"
RUNS = sorted(p.name for p in SERIES.iterdir() if (p / "series.json").is_file())
ABSEIL_HISTORY = SHARED_DATA / "abseil-history"


def load_series(run: str, dest: Path) -> tuple[list[dict], list[BuildCosts]]:
    """The builds of a captured run as series.json lists them, and their costs (archives unpacked
    under `dest`)."""
    meta = json.loads((SERIES / run / "series.json").read_text())["builds"]
    costs = []
    for build in meta:
        folder = dest / run / build["name"]
        folder.mkdir(parents=True)
        with tarfile.open(SERIES / run / build["archive"]) as tar:
            tar.extractall(folder, filter="data")
        costs.append(build_costs_of(str(folder), ReportOptions(use_cache=False, jobs=1)))
    return meta, costs


@pytest.fixture(scope="session")
def series(tmp_path_factory) -> dict[str, tuple[list[dict], list[BuildCosts]]]:
    dest = tmp_path_factory.mktemp("series")
    return {run: load_series(run, dest) for run in RUNS}


def _pairs(run: str) -> list[tuple[str, int]]:
    meta = json.loads((SERIES / run / "series.json").read_text())["builds"]
    return [(run, b["index"]) for b in meta if b["expected"] is not None]


PAIRS = [pair for run in RUNS for pair in _pairs(run)]


def test_the_series_holds_noise_regressions_and_improvements():
    assert RUNS, "no captured series under fixtures/series"
    for run in RUNS:
        expected = [b["expected"] for b in json.loads((SERIES / run / "series.json").read_text())["builds"]]
        assert expected.count("regressed") >= 2 and expected.count("passed") >= 8


@pytest.mark.parametrize(("run", "index"), PAIRS, ids=[f"{r}-{i:02d}" for r, i in PAIRS])
def test_each_build_against_the_one_before_with_its_history(series, run, index):
    meta, costs = series[run]
    verdict = judge(costs[index - 1], costs[index], costs[:index])
    assert verdict.status == meta[index]["expected"], verdict.reasons or [m.reason for m in verdict.metrics]
    if verdict.status == "regressed":
        assert verdict.attribution.headers[0].name == meta[index]["blame"]
        assert verdict.shape.concentrated_share > verdict.shape.concentration_band
        assert any(v.concentrated_regression for v in verdict.metrics)


@pytest.mark.parametrize(("run", "index"), PAIRS, ids=[f"{r}-{i:02d}" for r, i in PAIRS])
def test_each_build_against_the_one_before_without_history(series, run, index):
    """The defaults alone (no history to measure the noise on) reach the same verdicts."""
    meta, costs = series[run]
    verdict = judge(costs[index - 1], costs[index], [])
    assert verdict.status == meta[index]["expected"], verdict.reasons or [m.reason for m in verdict.metrics]
    assert verdict.shape.band_source == "default"
    assert all(m.noise.source == "default" for m in verdict.metrics)


@pytest.mark.parametrize("run", RUNS)
def test_an_improvement_passes_and_its_largest_drop_is_the_header_it_lightened(series, run):
    meta, costs = series[run]
    for build in meta:
        if build["name"].startswith("improvement"):
            index = build["index"]
            culprit = next(b["blame"] for b in reversed(meta[:index]) if b["blame"])
            verdict = judge(costs[index - 1], costs[index], costs[:index])
            factor, _ = speed_factor(costs[index - 1], costs[index])
            headers = [m for m in rank_movers(costs[index - 1], costs[index], factor) if m.kind == "header"]
            assert verdict.status == "passed"
            assert min(headers, key=lambda m: m.score).name == culprit


@pytest.mark.parametrize("run", RUNS)
def test_the_regression_passes_a_budget_above_its_share(series, run):
    """The verdict follows the budget: a change of share s fails cpu:x% for x < s and passes it above."""
    meta, costs = series[run]
    index = next(b["index"] for b in meta if b["expected"] == "regressed")
    share = judge(costs[index - 1], costs[index]).shape.concentrated_share
    below = parse_budgets(f"cpu:{share * 100 - 1:.1f}%")
    above = parse_budgets(f"cpu:{share * 100 + 1:.1f}%")
    assert judge(costs[index - 1], costs[index], [], below).status == "regressed"
    assert judge(costs[index - 1], costs[index], [], above).status == "passed"


def _scaled(costs: BuildCosts, factor: float) -> BuildCosts:
    """The same build on a machine `factor` times slower: every time multiplied alike."""
    data = msgspec.to_builtins(costs)

    def scale(record: dict) -> None:
        for key, value in record.items():
            if key.endswith("_ms") and isinstance(value, int | float):
                record[key] = value * factor

    scale(data["totals"])
    for kind in ("targets", "headers", "templates"):
        for item in data[kind]:
            scale(item)
    return msgspec.convert(data, BuildCosts)


@pytest.mark.parametrize("factor", [0.7, 1.13, 1.5])
def test_a_machine_slower_or_faster_alike_everywhere_passes(series, factor):
    _meta, costs = series[RUNS[0]]
    verdict = judge(costs[0], _scaled(costs[0], factor))
    assert verdict.status == "passed"
    assert verdict.shape.speed_factor == pytest.approx(factor)
    assert verdict.metrics[0].beyond_speed == pytest.approx(0.0, abs=1e-9)


def test_a_spread_change_beyond_the_noise_fails_only_when_the_history_is_quiet(series):
    """Backend time up 40 % everywhere, headers unchanged: beyond a quiet history's noise it fails;
    against the default noise of these shared machines it is not told from noise."""
    _meta, costs = series[RUNS[0]]
    base = costs[0]
    head = msgspec.structs.replace(
        base, totals=msgspec.structs.replace(base.totals, cpu_ms=base.totals.cpu_ms * 1.4)
    )
    quiet = [_scaled(base, 1.0 + 0.002 * (i % 2)) for i in range(8)]
    loud = judge(base, head)
    calm = judge(base, head, quiet)
    assert calm.metrics[0].noise.source == "history" and calm.metrics[0].spread_regression
    assert calm.status == "regressed"
    assert loud.metrics[0].noise.source == "default"
    assert loud.status == ("regressed" if loud.metrics[0].noise.band < 0.4 else "passed")


def test_noise_of_a_history_is_the_robust_sd_of_its_changes():
    changes = [0.05, -0.04, 0.02, 0.3, -0.01]
    noise = noise_of(changes, "cpu")
    expected = 1.4826 * np.median(np.abs(np.asarray(changes) - np.median(changes)))
    assert noise.source == "history" and noise.builds == 6
    assert noise.sigma == pytest.approx(expected)
    assert noise.band == pytest.approx(3 * expected)
    assert noise_of(changes[:3], "cpu").source == "default"


def test_the_concentration_band_needs_enough_pairs():
    assert concentration_band([0.01, 0.02]) == (DEFAULT_CONCENTRATION_BAND, "default")
    shares = [0.02, 0.03, 0.025, 0.2, 0.035]
    band, source = concentration_band(shares)
    mad = np.median(np.abs(np.asarray(shares) - np.median(shares)))
    assert source == "history" and band == pytest.approx(np.median(shares) + 3 * 1.4826 * mad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wall:5%,cpu:10%,+30s", [Threshold(metric="wall", relative=0.05, absolute_ms=30000.0),
                                   Threshold(metric="cpu", relative=0.1)]),
        ("cpu:+500ms, cpu:2.5%", [Threshold(metric="cpu", relative=0.025, absolute_ms=500.0)]),
        ("7%", [Threshold(metric="wall", relative=0.07)]),
        ("parse:+2min,trace:+1h", [Threshold(metric="trace", absolute_ms=3_600_000.0),
                                    Threshold(metric="parse", absolute_ms=120_000.0)]),
    ],
)  # fmt: skip
def test_budgets_parse(text, expected):
    assert list(parse_budgets(text).thresholds) == expected


@pytest.mark.parametrize(
    ("text", "bad"),
    [("cpu:10", "cpu:10"), ("speed:5%", "speed"), ("cpu:5%,,wall:3%", ",,"), ("wall:+30", "wall:+30"),
     ("cpu:5%,cpu:6%", "cpu:6%"), ("", "empty"), ("wall:-5%", "wall:-5%"), ("+30 s", "+30 s")],
)  # fmt: skip
def test_bad_budgets_name_the_bad_part(text, bad):
    with pytest.raises(ValueError) as caught:
        parse_budgets(text)
    assert bad in str(caught.value)


def _abseil(dest: Path) -> list[BuildCosts]:
    if shutil.which("zstd") is None:
        pytest.skip("zstd is not installed")
    costs = []
    for folder in sorted(ABSEIL_HISTORY.iterdir()):
        out = dest / folder.name
        out.mkdir()
        shutil.copyfile(folder / "ninja_log", out / ".ninja_log")
        with subprocess.Popen(
            ["zstd", "-dc", str(folder / "traces.tar.zst")], stdout=subprocess.PIPE
        ) as zstd:
            subprocess.run(["tar", "-xf", "-", "-C", str(out)], stdin=zstd.stdout, check=True)
        costs.append(build_costs_of(str(out), ReportOptions(use_cache=False)))
    return costs


@needs_shared
def test_the_real_abseil_history_holds_no_concentrated_regression(tmp_path):
    """Six real abseil commits two months apart: their totals move by -15 % to +29 % (machine noise and
    spread changes), but no header or template set moves by more than 3 % of the build on its own."""
    costs = _abseil(tmp_path)
    for i in range(1, len(costs)):
        verdict = judge(costs[i - 1], costs[i], costs[:i])
        assert verdict.status == "passed", verdict.reasons
        assert verdict.shape.concentrated_share < DEFAULT_CONCENTRATION_BAND / 2
        assert verdict.shape.speed_headers >= 50
