"""Header, template and TU tables against an independent computation from the raw trace events."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from trace_helpers import FIXTURES, needs_shared, scan_folder, unpack_abseil

from buildprof.analysis.compile_units import compile_unit_table
from buildprof.analysis.headers import header_table
from buildprof.analysis.templates import template_set_table, template_table
from buildprof.model.traces import column

CAPTURES = FIXTURES / "captures"


def raw_events(path: Path) -> list[tuple[str, int, int, str]]:
    """(name, start, duration, detail) of every timed event, b/e pairs matched by id, plainly."""
    events, begun = [], {}
    for e in json.loads(path.read_text())["traceEvents"]:
        detail = (e.get("args") or {}).get("detail", "")
        if e["ph"] == "X" and not e["name"].startswith("Total "):
            events.append((e["name"], e["ts"], e["dur"], detail))
        elif e["ph"] == "b":
            begun[(e["name"], e["id"])] = (e["ts"], detail)
        elif e["ph"] == "e":
            ts, detail = begun.pop((e["name"], e["id"]))
            events.append((e["name"], ts, e["ts"] - ts, detail))
    return events


def outermost(intervals: list[tuple[int, int]]) -> list[int]:
    """Indexes of intervals not inside another one (quadratic, obviously right)."""
    keep = []
    for i, (s, d) in enumerate(intervals):
        inside = any(
            j != i and s2 <= s and s + d <= s2 + d2 and (s2, -d2, -j) < (s, -d, -i)
            for j, (s2, d2) in enumerate(intervals)
        )
        if not inside:
            keep.append(i)
    return keep


def check_against_raw(folder: Path) -> int:
    """All the cross-checks on one folder of real traces; returns how many traces were checked."""
    scan, ts = scan_folder(folder, jobs=2)
    by_path = {s.path: s for s in scan.summaries}
    headers = header_table(ts).set_index("file")
    templates = template_table(ts).set_index("name")
    incl, count, tus = Counter(), Counter(), Counter()
    t_incl, t_count = Counter(), Counter()
    for trace_path, summary in by_path.items():
        events = raw_events(Path(trace_path))
        sources = [(ts_, d, os.path.normpath(det)) for name, ts_, d, det in events if name == "Source"]
        insts = [(ts_, d, det) for name, ts_, d, det in events if name.startswith("Instantiate")]
        for _, d, p in sources:
            incl[p] += d
            count[p] += 1
        for p in {p for _, _, p in sources}:
            tus[p] += 1
        for _, d, n in insts:
            t_incl[n] += d
            t_count[n] += 1
        # TU totals
        total = sum(d for name, _, d, _ in events if name == "ExecuteCompiler")
        assert summary.total_us == total
        assert summary.frontend_us == sum(d for name, _, d, _ in events if name == "Frontend")
        assert summary.backend_us == sum(d for name, _, d, _ in events if name == "Backend")
        # Self times over all events add up to the compiler's wall time.
        assert sum(us for _, us in summary.breakdown) == total
        # Header self times add up to the outermost includes' inclusive time, template self times to
        # the outermost instantiations'.
        top_sources = outermost([(s, d) for s, d, _ in sources])
        assert column(summary, "file_self_us").sum() == sum(sources[i][1] for i in top_sources)
        top_insts = outermost([(s, d) for s, d, _ in insts])
        assert column(summary, "tpl_self_us").sum() == sum(insts[i][1] for i in top_insts)
    assert dict(headers["incl_us"]) == dict(incl)
    assert dict(headers["count"]) == dict(count)
    assert dict(headers["tus"]) == dict(tus)
    assert dict(templates["incl_us"]) == dict(t_incl)
    assert dict(templates["count"]) == dict(t_count)
    return ts.n_traces


@pytest.mark.parametrize("capture", ["clang19-ninja1.11", "clang14-ninja1.13"])
def test_tables_match_raw_events_on_the_sample_project(capture):
    assert check_against_raw(CAPTURES / capture) >= 20


@needs_shared
def test_tables_match_raw_events_on_abseil(tmp_path):
    assert check_against_raw(unpack_abseil(tmp_path / "absl")) == 159  # CMake's compiler check is no TU


def test_template_sets_do_not_double_count_recursion():
    """A set's time never exceeds the time of its outermost members, and recursion is present."""
    _, ts = scan_folder(CAPTURES / "clang19-ninja1.11")
    templates = template_table(ts)
    sets = template_set_table(ts, templates).set_index("set")
    recursive = templates[templates["set_count"] < templates["count"]]
    assert len(recursive) > 0  # the sample project's template-heavy header recurses
    for name, group in templates.groupby("set"):
        assert sets.loc[name, "incl_us"] <= group["incl_us"].sum()
        assert sets.loc[name, "count"] == group["set_count"].sum()


def test_compile_units_join_their_ninja_steps():
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.classify import classify_steps
    from buildprof.analysis.steps import group_steps
    from buildprof.ninja.log import read_ninja_log

    folder = CAPTURES / "clang14-ninja1.13"
    log = read_ninja_log(folder / ".ninja_log")
    span = split_builds(log.entries).builds[-1]
    steps = classify_steps(group_steps(log.entries.iloc[span.first_row : span.end_row]), None)
    _, ts = scan_folder(folder)
    units = compile_unit_table(ts.summaries, str(folder), steps)
    joined = units[units["step_output"].notna()]
    assert len(joined) == int((steps["kind"] == "compile").sum())
    for row in joined.itertuples():
        assert row.step_output == row.trace[: -len("json")] + "o"
        assert row.step_ms * 1000 >= row.total_us  # the step includes the compiler's whole run
    unmatched = units[units["step_output"].isna()]
    assert all("CompilerId" in t for t in unmatched["trace"])  # CMake's compiler check has no step
    per_target = defaultdict(int)
    for row in units.itertuples():
        per_target[row.target] += 1
    assert per_target["core"] >= 3
