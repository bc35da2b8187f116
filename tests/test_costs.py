"""What the history records of a build (analysis/costs.py through pipeline.read_costs), checked against
numbers taken straight from the captured files: the capture's own facts (capture.json, computed from
the log when it was made) and clang's "Total ExecuteCompiler" events read from the traces here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from trace_helpers import FIXTURES

from buildprof.pipeline import read_costs

CAPTURES = FIXTURES / "captures"


def _facts(name: str) -> dict:
    return json.loads((CAPTURES / name / "capture.json").read_text())


def _traced_ms(folder: Path, only: set[str] | None = None) -> dict[str, float]:
    """Each trace's "Total ExecuteCompiler" duration, read with the json module (ms, by relative path)."""
    found = {}
    for path in folder.rglob("*.json"):
        rel = str(path.relative_to(folder))
        if only is not None and rel not in only:
            continue
        try:
            events = json.loads(path.read_bytes()).get("traceEvents", [])
        except (ValueError, AttributeError):
            continue
        total = [e["dur"] for e in events if e.get("name") == "Total ExecuteCompiler"]
        if total and "CompilerId" not in rel:
            found[rel] = total[0] / 1000
    return found


def test_a_clean_build_is_recorded_whole(capture_copy):
    folder = capture_copy("clang19-ninja1.13")
    facts = _facts("clang19-ninja1.13")["builds"][0]
    read = read_costs(str(folder))
    costs = read.costs
    totals = costs.totals
    assert costs.log_build == 0
    assert (totals.steps, totals.wall_ms, totals.cpu_ms) == (
        facts["steps"],
        facts["wall_ms"],
        facts["sum_step_ms"],
    )
    assert sum(t.cpu_ms for t in costs.targets) == totals.cpu_ms  # every step belongs to one target
    assert sum(t.steps for t in costs.targets) == totals.steps
    traced = _traced_ms(folder)
    assert totals.tus == len(traced) > 10
    assert totals.trace_ms == pytest.approx(sum(traced.values()), abs=0.01 * len(traced))
    assert totals.frontend_ms + totals.backend_ms <= totals.trace_ms
    assert 0 < totals.parse_ms < totals.frontend_ms
    assert sum(t.trace_ms for t in costs.targets) == pytest.approx(totals.trace_ms, abs=0.01)
    assert costs.headers and all(
        h.path.endswith((".h", ".hpp", ".def")) or "/c++/" in h.path for h in costs.headers
    )
    assert [h.incl_ms for h in costs.headers] == sorted((h.incl_ms for h in costs.headers), reverse=True)
    assert all(h.self_ms <= h.incl_ms and h.tus <= totals.tus for h in costs.headers)
    assert costs.templates and len(costs.templates) <= 500
    assert read.ninja_log is not None and read.ninja_log.problems_total == 0


def test_an_incremental_build_records_only_what_it_compiled(capture_copy):
    folder = capture_copy("clang19-one-tu")
    facts = _facts("clang19-one-tu")["builds"][1]
    costs = read_costs(str(folder)).costs
    assert costs.log_build == 1
    assert (costs.totals.steps, costs.totals.wall_ms, costs.totals.cpu_ms) == (
        facts["steps"],
        facts["wall_ms"],
        facts["sum_step_ms"],
    )
    assert costs.totals.tus == 1  # csv.cc only: the other 21 traces are from the clean build
    (only,) = _traced_ms(folder, {"text/CMakeFiles/text.dir/src/csv.cc.json"}).values()
    assert costs.totals.trace_ms == pytest.approx(only, abs=0.01)
    assert max(h.tus for h in costs.headers) == 1


def test_a_folder_of_traces_alone_has_no_step_numbers(capture_copy):
    folder = capture_copy("clang19-ninja1.13")
    (folder / ".ninja_log").unlink()
    totals = read_costs(str(folder)).costs.totals
    assert totals.steps is None and totals.cpu_ms is None and totals.wall_ms is None
    assert totals.tus == len(_traced_ms(folder))


def test_a_damaged_log_line_is_reported_and_the_rest_recorded(capture_copy):
    folder = capture_copy("clang19-ninja1.13")
    log = folder / ".ninja_log"
    lines = log.read_text().splitlines(keepends=True)
    lines.insert(5, "this is not a log line\n")
    log.write_text("".join(lines))
    read = read_costs(str(folder))
    assert read.ninja_log.problems_total == 1 and read.ninja_log.problems[0].line == 6
    assert read.costs.totals.steps == _facts("clang19-ninja1.13")["builds"][0]["steps"]
