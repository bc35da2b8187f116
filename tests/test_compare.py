"""compare_builds on real builds of the captured series: its numbers are those of the logs and of the
two BuildCosts, every item of either build is there once, largest change first."""

from __future__ import annotations

import tarfile

import msgspec
import pytest
from test_regression import RUNS, SERIES, load_series

from buildprof.analysis.compare import TOTALS, compare_builds
from buildprof.model.compare import CompareDocument
from buildprof.model.report import Document


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    dest = tmp_path_factory.mktemp("series")
    return {run: load_series(run, dest) for run in RUNS}


def _log_numbers(run: str, archive: str) -> tuple[int, int]:
    """Summed step durations and wall time, read straight from the archived .ninja_log (one build)."""
    with tarfile.open(SERIES / run / archive) as tar:
        text = tar.extractfile(".ninja_log").read().decode()
    steps = {}
    for line in text.splitlines()[1:]:
        start, end, _mtime, _output, cmdhash = line.split("\t")
        steps[(int(start), int(end), cmdhash)] = int(end) - int(start)
    return sum(steps.values()), max(k[1] for k in steps) - min(k[0] for k in steps)


def _pair(series, run: str, name: str):
    meta, costs = series[run]
    index = next(b["index"] for b in meta if b["name"] == name)
    return meta[index - 1], meta[index], costs[index - 1], costs[index]


@pytest.mark.parametrize("run", RUNS)
def test_totals_are_those_of_the_logs(series, run):
    base_meta, head_meta, base, head = _pair(series, run, "regression-include")
    totals = {t.metric: t for t in compare_builds(base, head).totals}
    assert list(totals) == list(TOTALS)
    base_cpu, base_wall = _log_numbers(run, base_meta["archive"])
    head_cpu, head_wall = _log_numbers(run, head_meta["archive"])
    assert (totals["cpu"].base, totals["cpu"].head) == (base_cpu, head_cpu)
    assert totals["cpu"].delta == head_cpu - base_cpu
    assert totals["cpu"].relative == pytest.approx((head_cpu - base_cpu) / base_cpu)
    assert (totals["wall"].base, totals["wall"].head) == (base_wall, head_wall)
    assert totals["trace"].delta == pytest.approx(head.totals.trace_ms - base.totals.trace_ms)


@pytest.mark.parametrize("run", RUNS)
def test_headers_every_one_once_largest_change_first(series, run):
    _bm, head_meta, base, head = _pair(series, run, "regression-include")
    headers = compare_builds(base, head).headers
    paths = {h.path for h in base.headers} | {h.path for h in head.headers}
    assert sorted(r.name for r in headers.rows) == sorted(paths)
    deltas = [abs(r.delta) for r in headers.rows]
    assert deltas == sorted(deltas, reverse=True)
    assert headers.slower + headers.faster + headers.new + headers.gone + headers.same == len(paths)
    row = next(r for r in headers.rows if r.name == head_meta["blame"])
    before = next(h for h in base.headers if h.path == row.name)
    after = next(h for h in head.headers if h.path == row.name)
    assert row.status == "slower"
    assert row.delta == pytest.approx(after.incl_ms - before.incl_ms, abs=1e-3)
    assert row.relative == pytest.approx((after.incl_ms - before.incl_ms) / before.incl_ms)
    assert (row.base_units, row.head_units) == (before.tus, after.tus)


@pytest.mark.parametrize("run", RUNS)
def test_the_template_set_of_the_regression_is_new_then_gone(series, run):
    _bm, _hm, base, head = _pair(series, run, "regression-template")
    new = [r for r in compare_builds(base, head).templates.rows if r.status == "new"]
    table = next(r for r in new if r.name.startswith("core::detail::CodeTable<"))
    cost = next(t.incl_ms for t in head.templates if t.name == table.name)
    assert table.base is None and table.head == cost and table.delta == pytest.approx(cost)
    _bm, _hm, base, head = _pair(series, run, "improvement-template")
    gone = {r.name: r for r in compare_builds(base, head).templates.rows if r.status == "gone"}
    assert gone[table.name].head is None and gone[table.name].delta < 0


def test_a_build_against_itself_is_the_same_everywhere(series):
    _meta, costs = series[RUNS[0]]
    comparison = compare_builds(costs[0], costs[0])
    assert all(t.delta == 0 for t in comparison.totals if t.base is not None)
    for changes in (comparison.targets, comparison.headers, comparison.templates):
        assert changes.same == len(changes.rows) > 0
        assert changes.slower == changes.faster == changes.new == changes.gone == 0


def test_targets_compare_cpu_time(series):
    _bm, _hm, base, head = _pair(series, RUNS[0], "regression-template")
    rows = {r.name: r for r in compare_builds(base, head).targets.rows}
    for target in head.targets:
        before = next(t for t in base.targets if t.name == target.name)
        assert rows[target.name].delta == pytest.approx(target.cpu_ms - before.cpu_ms)
        assert rows[target.name].head_units == target.steps


def test_the_compare_document_is_tagged_compare(series):
    _meta, costs = series[RUNS[0]]
    document = CompareDocument(
        generator="buildprof test",
        build_dir=costs[1].build_dir,
        comparison=compare_builds(costs[0], costs[1]),
    )
    data = msgspec.json.decode(msgspec.json.encode(document))
    assert data["command"] == "compare"
    assert isinstance(document, Document)
    assert data["comparison"]["headers"]["rows"][0]["name"] == document.comparison.headers.rows[0].name
