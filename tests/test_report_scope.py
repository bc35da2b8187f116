"""A number says what it covers: `report` gives the analysed build's TUs, the codebase views every trace.

On the real capture `clang19-one-tu` (a clean build, then `csv.cc` touched and rebuilt) the report of
the last build is the report of one compile; the traces the folder also holds (from build 1, and
CMake's compiler check) are left out and counted.
"""

from __future__ import annotations

import json

import pytest

CAPTURES_ONE_TU = "clang19-one-tu"
CSV_TRACE = "text/CMakeFiles/text.dir/src/csv.cc.json"


@pytest.fixture()
def build(capture_copy):
    return capture_copy(CAPTURES_ONE_TU)


def _json(run_cli, *args) -> dict:
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _execute_compiler_us(trace) -> int:
    """ExecuteCompiler's duration, read straight from the trace file."""
    events = json.loads(trace.read_text())["traceEvents"]
    [total] = [e["dur"] for e in events if e.get("name") == "ExecuteCompiler" and e.get("ph") == "X"]
    return total


def test_an_incremental_build_reports_the_one_tu_it_compiled(run_cli, build):
    doc = _json(run_cli, "report", build, "--top", "50")
    [last] = doc["builds"]
    assert last["index"] == 1 and last["summary"]["steps"] == 6
    assert doc["trace_scope"] == {"covers": "analysed_builds", "builds": [1], "tus": 1, "left_out": 21}
    traces = doc["traces"]
    [unit] = traces["compile_units"]
    assert unit["trace"] == CSV_TRACE and unit["step_output"] == "text/CMakeFiles/text.dir/src/csv.cc.o"
    compile_ms = _execute_compiler_us(build / CSV_TRACE) / 1000
    assert traces["totals"] == {
        "tus": 1,
        "compile_ms": pytest.approx(compile_ms, abs=1e-3),
        "frontend_ms": unit["frontend_ms"],
        "backend_ms": unit["backend_ms"],
    }
    assert [t["target"] for t in traces["targets"]] == ["text"]
    assert all(h["tus"] == 1 for h in traces["headers"])  # headers of that one TU only
    assert traces["clang_build_analyzer"]["time_summary"]["compilations"] == 1
    assert doc["trace_input"]["traces"] == 22 and len(doc["trace_input"]["probes"]) == 1

    text = run_cli("report", build).stdout
    assert "the 1 TU that build 2 compiled; 21 older trace(s) from earlier builds left out" in text
    assert "--all-traces includes them" in text


def test_all_traces_and_all_builds_widen_the_scope(run_cli, build):
    everything = _json(run_cli, "report", build, "--all-traces")
    assert everything["trace_scope"] == {"covers": "all_traces", "builds": [], "tus": 22, "left_out": 0}
    assert everything["traces"]["totals"]["tus"] == 22
    both = _json(run_cli, "report", build, "--all-builds")
    assert both["trace_scope"] == {"covers": "analysed_builds", "builds": [0, 1], "tus": 22, "left_out": 0}
    [unit] = [u for u in both["traces"]["compile_units"] if u["trace"] == CSV_TRACE]
    [step] = [s for s in both["builds"][1]["slowest_steps"] if s["output"].endswith("csv.cc.o")]
    assert unit["step_ms"] == step["duration_ms"]  # joined to the build that wrote its trace (2)


def test_codebase_views_cover_every_current_trace_and_say_so(run_cli, build):
    headers = _json(run_cli, "headers", build)
    assert headers["trace_scope"] == {"covers": "all_traces", "builds": [], "tus": 22, "left_out": 0}
    common = next(r for r in headers["headers"]["rows"] if r["file"].endswith("sample/common.h"))
    assert common["tus"] == 21  # every TU but the generated opcodes_gen.cc, whichever build compiled it
    why = _json(run_cli, "why", "common.h", build)
    assert why["why"]["tus_total"] == 22
    text = run_cli("templates", build).stdout
    assert "every current trace in the folder: 22 TUs" in text


def test_a_build_that_compiled_nothing_shows_no_compile_time(run_cli, build):
    """A no-op rebuild appended to the log (only a link ran): no TU in scope, all 22 left out."""
    log = build / ".ninja_log"
    last = log.read_bytes().splitlines()[-1].split(b"\t")
    relinked = b"\t".join([b"5", b"95", last[2], last[3], last[4]])
    log.write_bytes(log.read_bytes() + relinked + b"\n")
    doc = _json(run_cli, "report", build)
    assert doc["trace_scope"]["tus"] == 0 and doc["trace_scope"]["left_out"] == 22
    assert doc["traces"] is None
    assert "the 0 TUs that build 3 compiled; 22 older trace(s)" in run_cli("report", build).stdout


@pytest.mark.shared
def test_abseil_reports_its_159_translation_units(run_cli, abseil_build):
    doc = _json(run_cli, "report", abseil_build)
    assert doc["trace_input"]["traces"] == 159
    assert [p.rsplit("/", 1)[-1] for p in doc["trace_input"]["probes"]] == ["a-CMakeCXXCompilerId.json"]
    assert doc["trace_scope"] == {"covers": "analysed_builds", "builds": [0], "tus": 159, "left_out": 0}
    assert doc["traces"]["totals"]["tus"] == 159
    assert doc["traces"]["clang_build_analyzer"]["time_summary"]["compilations"] == 159
