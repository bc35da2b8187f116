"""`critical-path`, `what-if` and the report's critical-path section on real captures: the clang19-headers
fixture (its last build is the rebuild after editing text/format.h) and, with shared data, abseil."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CAPTURE = "clang19-headers"


def _json(run_cli, *args: str) -> dict:
    result = run_cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_critical_path_of_the_incremental_build(run_cli, captures):
    doc = _json(run_cli, "critical-path", str(captures / CAPTURE))
    path = doc["critical_path"]
    outputs = [s["output"] for s in path["steps"]]
    # csv.cc.o -> libtext.a -> (order-only) commands.cc.o -> apps/simtool: the rebuild's real chain
    assert outputs == [
        "text/CMakeFiles/text.dir/src/csv.cc.o",
        "text/libtext.a",
        "apps/CMakeFiles/simtool.dir/simtool/commands.cc.o",
        "apps/simtool",
    ]
    assert path["steps_ran"] == 7 and path["wall_ms"] == 2500
    assert path["length_ms"] == sum(s["duration_ms"] for s in path["steps"]) <= path["wall_ms"]
    starts = [s["start_ms"] for s in path["steps"]]
    assert starts == sorted(starts) and all(s["slack_ms"] == 0 for s in path["steps"])
    assert all(0 <= s["drag_ms"] <= s["duration_ms"] for s in path["steps"])
    assert doc["build"] == 7 and doc["simulated"]["jobs"] == 2
    assert abs(doc["simulated"]["error"]) < 0.05


def test_what_if_replays_and_changes(run_cli, captures):
    folder = str(captures / CAPTURE)
    one = _json(run_cli, "what-if", folder, "--jobs", "1")
    assert one["measured_jobs"] == 2 and one["measured_wall_ms"] == 2500
    assert one["predicted"]["predicted_wall_ms"] == one["predicted"]["cpu_ms"] == one["measured_cpu_ms"]
    faster = _json(run_cli, "what-if", folder, "--speedup", "simtool=2")
    change = faster["changes"][0]
    assert change["matched"] == "target" and change["steps"] == 2
    assert faster["cpu_change_ms"] == -round(change["cpu_saved_ms"]) < 0
    assert faster["wall_change_ms"] < 0  # commands.cc.o and apps/simtool are on the critical path
    removed = _json(run_cli, "what-if", folder, "--remove-header", "text/format.h")
    change = removed["changes"][0]
    assert change["kind"] == "remove-header" and change["matched"] == "header" and change["steps"] == 2
    assert change["cpu_saved_ms"] > 100  # format.h is slow to parse on purpose (~80 ms per TU)


def test_graph_commands_say_what_is_missing(run_cli, captures, tmp_path):
    folder = tmp_path / "build"
    shutil.copytree(captures / CAPTURE, folder, ignore=shutil.ignore_patterns("build.ninja", ".buildprof"))
    for command in ("critical-path", "what-if"):
        result = run_cli(command, str(folder))
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and "build.ninja" in result.stderr
    bad = run_cli("what-if", str(captures / CAPTURE), "--speedup", "nothing-like-this=2")
    assert bad.exit_code == 2 and "nothing-like-this" in bad.stderr
    report = run_cli("report", str(folder), "--format", "json", "--no-cache")
    assert report.exit_code == 0 and json.loads(report.stdout)["critical_path"] is None


def test_report_has_a_short_critical_path_section(run_cli, captures):
    doc = _json(run_cli, "report", str(captures / CAPTURE), "--no-cache")
    assert doc["critical_path"]["length_ms"] == 2498  # the wall time less ninja's 2 ms start-up
    text = run_cli("report", str(captures / CAPTURE)).stdout
    assert "Critical path" in text and "with unlimited cores" in text


@pytest.mark.shared
def test_abseil_what_if_at_its_own_jobs_predicts_its_wall_time(run_cli, abseil_build: Path):
    doc = _json(run_cli, "what-if", str(abseil_build))
    assert doc["measured_jobs"] == 2 and doc["measured_wall_ms"] == 121_730
    assert abs(doc["as_measured"]["error"]) <= 0.15
    path = _json(run_cli, "critical-path", str(abseil_build))["critical_path"]
    assert 0 < path["length_ms"] <= path["wall_ms"] and path["steps_ran"] == 253
    faster = _json(run_cli, "what-if", str(abseil_build), "--jobs", "4")
    assert faster["predicted"]["predicted_wall_ms"] < doc["predicted"]["predicted_wall_ms"]
    assert faster["predicted"]["predicted_wall_ms"] >= path["length_ms"]
