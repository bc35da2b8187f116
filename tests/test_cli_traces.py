"""The trace commands end to end through click: report, headers, templates, functions, why."""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading

import pytest
from conftest import cli_runner
from trace_helpers import FIXTURES

from buildprof.cli import cli

CAPTURE = FIXTURES / "captures" / "clang19-ninja1.11"


@pytest.fixture()
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("BUILDPROF_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "build"
    shutil.copytree(CAPTURE, folder, ignore=shutil.ignore_patterns(".buildprof"))
    return folder


def run(*args: str) -> tuple[int, str, str]:
    result = cli_runner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(*args: str) -> dict:
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_report_joins_ninja_steps_and_traces(build):
    doc = run_json("report", str(build))
    assert doc["builds"][0]["summary"]["steps"] == 28  # the incremental build, last in the log
    traces = doc["traces"]
    # 23 JSON traces: 22 TUs and CMake's compiler check; build 2 recompiled the 21 TUs that include
    # common.h, so the report covers those 21 and leaves out opcodes_gen.cc's trace (from build 1).
    assert doc["trace_input"]["traces"] == 22
    assert [p.rsplit("/", 1)[-1] for p in doc["trace_input"]["probes"]] == ["a-CMakeCXXCompilerId.json"]
    assert doc["trace_scope"] == {"covers": "analysed_builds", "builds": [1], "tus": 21, "left_out": 1}
    assert traces["totals"]["tus"] == 21
    slowest = traces["compile_units"][0]
    assert slowest["trace"] == "text/CMakeFiles/text.dir/src/pattern.cc.json"
    assert slowest["step_output"] == "text/CMakeFiles/text.dir/src/pattern.cc.o"
    assert slowest["target"] == "text"
    assert traces["clang_build_analyzer"]["time_summary"]["compilations"] == 21
    everything = run_json("report", str(build), "--all-traces")
    assert everything["trace_scope"] == {"covers": "all_traces", "builds": [], "tus": 22, "left_out": 0}
    assert everything["traces"]["totals"]["tus"] == 22
    shares = sum(
        row["share"] for row in run_json("report", str(build), "--top", "1000")["traces"]["breakdown"]
    )
    assert shares == pytest.approx(1.0, abs=1e-3)


def test_headers_sort_match_and_top(build):
    doc = run_json("headers", str(build), "--top", "3")
    rows = doc["headers"]["rows"]
    assert len(rows) == 3 and doc["headers"]["matched"] > 100
    assert [r["incl_ms"] for r in rows] == sorted((r["incl_ms"] for r in rows), reverse=True)
    by_self = run_json("headers", str(build), "--sort", "self", "--top", "5")["headers"]["rows"]
    assert [r["self_ms"] for r in by_self] == sorted((r["self_ms"] for r in by_self), reverse=True)
    only_core = run_json("headers", str(build), "--match", "*/core/include/*", "--top", "50")["headers"]
    assert only_core["rows"] and all("/core/include/" in r["file"] for r in only_core["rows"])
    assert only_core["matched"] == len(only_core["rows"])
    by_tus = run_json("headers", str(build), "--sort", "tus", "--top", "5")["headers"]["rows"]
    assert by_tus[0]["tus"] >= by_tus[-1]["tus"]


def test_templates_and_functions(build):
    templates = run_json("templates", str(build), "--top", "5")["templates"]["rows"]
    assert templates[0]["incl_ms"] >= templates[-1]["incl_ms"]
    assert all(r["top_tus"] and r["top_tus"][0]["ms"] <= r["incl_ms"] for r in templates)
    regex = run_json("templates", str(build), "--match", "std::basic_regex*", "--top", "50")["templates"]
    assert regex["rows"] and all(r["name"].startswith("std::basic_regex") for r in regex["rows"])
    functions = run_json("functions", str(build), "--top", "5")["functions"]["rows"]
    assert functions and not any(r["name"].startswith("_Z") for r in functions)  # demangled


def test_why_explains_the_common_header(build):
    doc = run_json("why", "common.h", str(build))["why"]
    assert doc["file"].endswith("/common/include/sample/common.h")
    assert doc["tus"] == 21 and doc["tus_total"] == 22
    assert doc["direct"] is False
    assert (
        sum(c["count"] for c in run_json("why", "common.h", str(build), "--top", "1000")["why"]["chains"])
        == doc["count"]
    )
    assert {r["file"].rsplit("/", 1)[-1] for r in doc["includes"]} >= {"string"}
    code, out, _ = run("why", "common.h", str(build))
    assert code == 0 and "Include chains" in out and "What it includes" in out


def test_bad_inputs_give_one_line_errors(build, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for args in (
        ["headers", str(empty)],
        ["why", "common.h", str(empty)],
        ["why", "no_such_header.h", str(build)],
        ["report", str(empty)],
        ["report", str(tmp_path / "missing")],
    ):
        code, out, err = run(*args)
        assert code == 2, args
        assert err.startswith("Error: ") and err.count("\n") == 1, (args, err)
        assert "Traceback" not in err + out
    code, _, err = run("why", ".h", str(build))  # matches many files
    assert code == 2 and "give more of the path" in err


def test_every_command_has_help_with_an_example():
    for command in ("report", "headers", "templates", "functions", "why"):
        code, out, _ = run(command, "--help")
        assert code == 0 and "Example" in out and "--format" in out and "--top" in out


def test_damaged_and_unrelated_json_change_nothing_but_one_line_each(build):
    before = run_json("report", str(build), "--top", "1000")
    _, text_before, _ = run("report", str(build), "--top", "1000")
    good = build / "text" / "CMakeFiles" / "text.dir" / "src" / "pattern.cc.json"
    (build / "broken-copy.json").write_bytes(good.read_bytes()[:5000])  # a killed clang's trace
    (build / "other" / "CMakeFiles").mkdir(parents=True)
    (build / "other" / "CMakeFiles" / "cmake-api.json").write_text('{"kind": "codemodel", "version": 2}')
    (build / "other" / "empty.json").write_text("")
    (build / "other" / "list.json").write_text("[]")
    after = run_json("report", str(build), "--top", "1000")
    _, text_after, _ = run("report", str(build), "--top", "1000")
    damaged = after["trace_input"].pop("damaged")
    assert [d["path"].rsplit("/", 1)[-1] for d in damaged] == ["broken-copy.json"]
    assert after["trace_input"].pop("other_json") == before["trace_input"].pop("other_json") + 3
    for facts in (before["trace_input"], after["trace_input"]):
        for key in ("parsed", "cached", "damaged"):
            facts.pop(key, None)
    assert after == before
    added = [line for line in text_after.splitlines() if line not in text_before.splitlines()]
    assert any("broken-copy.json: truncated or corrupt JSON" in line for line in added)
    assert len([line for line in added if "broken-copy.json" in line]) == 1


def test_output_to_a_device_writes_to_it_and_never_replaces_it(build, tmp_path, hang_guard):
    """`-o /dev/null` must not turn the device into a regular file (a rename over it would, as root)."""
    fifo = tmp_path / "reader.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, _, err = run("headers", str(build), "--format", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert code == 0, err
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, not a file put in its place
    assert json.loads(received[0])["command"] == "headers"
    code, _, _ = run("headers", str(build), "-o", os.devnull, "--format", "json")
    assert code == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode)
