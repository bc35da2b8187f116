"""Header rebuild impact against what ninja really did: fixtures/captures/clang19-headers touched each
of the sample project's 25 headers in turn, recorded `ninja -n` and the real rebuild's logged outputs
(header_probes.json), then rebuilt after editing text/format.h (the log's last build). Also: exact TU
counts from `.ninja_deps` in `why` and `headers`, and git change counts for `--sort impact`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from buildprof.analysis.header_impact import (
    edges_of_outputs,
    find_dependency,
    invert_deps,
    latest_durations,
    most_at_once,
    rebuild_edges,
)
from buildprof.analysis.step_graph import edge_deps, needed_edges
from buildprof.git_churn import file_churn
from buildprof.ninja.deps import read_ninja_deps
from buildprof.ninja.graph import read_build_graph
from buildprof.ninja.log import read_ninja_log

CAPTURE = "clang19-headers"


@pytest.fixture(scope="module")
def capture(captures: Path) -> Path:
    return captures / CAPTURE


@pytest.fixture(scope="module")
def facts(capture: Path) -> dict:
    return json.loads((capture / "capture.json").read_text())


@pytest.fixture(scope="module")
def probes(capture: Path) -> list[dict]:
    return json.loads((capture / "header_probes.json").read_text())


@pytest.fixture(scope="module")
def world(capture: Path, facts: dict):
    graph = read_build_graph(capture)
    deps = read_ninja_deps(capture)
    assert graph is not None and deps is not None
    return graph, invert_deps(deps, facts["build_dir"]), edge_deps(graph), needed_edges(graph)


def _predicted(world, header: str) -> tuple[np.ndarray, set[str]]:
    graph, index, pairs, needed = world
    keys = find_dependency(index, header)
    assert len(keys) == 1, header
    run = rebuild_edges(graph, pairs, needed, edges_of_outputs(graph, index.objects_of(keys[0])))
    outputs = {path for e in np.flatnonzero(run) for path in graph.outputs_of(int(e))}
    return run, outputs


def test_every_header_rebuilds_what_ninja_rebuilt(world, probes):
    assert len(probes) == 25
    for probe in probes:
        run, outputs = _predicted(world, probe["path"])
        assert outputs == set(probe["rebuilt_outputs"]), probe["header"]
        assert int(run.sum()) == len(probe["dry_run"]), probe["header"]


def test_the_dry_run_names_the_predicted_steps(world, probes):
    """CMake's step descriptions end with the step's output ("Building CXX object X", "Linking CXX
    static library X"; the symlink step names its outputs): each dry-run line names a predicted edge."""
    for probe in probes:
        run, outputs = _predicted(world, probe["path"])
        named = {line.split()[-1] for line in probe["dry_run"]}
        assert named <= outputs, probe["header"]
        assert len(named) == len(probe["dry_run"]) == int(run.sum())


def test_the_real_incremental_build_is_the_predicted_one(world, capture, facts):
    """The log's last build ran after text/format.h was edited: the predicted set is what it ran."""
    _, outputs = _predicted(world, "text/include/text/format.h")
    assert outputs == set(facts["builds"][1]["outputs_rebuilt"])
    assert len(facts["builds"][1]["outputs_rebuilt"]) == 8  # 7 steps, the symlink step writes 2


def test_deps_counts_equal_ninja_t_deps(world, capture):
    """How many outputs list each header, against the text `ninja -t deps` printed at capture."""
    _, index, _, _ = world
    counted: dict[str, int] = {}
    for line in (capture / "ninja_deps.txt").read_text().splitlines():
        if line.startswith("    "):
            path = os.path.normpath(line.strip())
            counted[path] = counted.get(path, 0) + 1
    for path, n in counted.items():
        keys = find_dependency(index, path) if path.startswith("/") else []
        if keys:
            assert index.count(keys[0]) == n, path
    assert counted["/tmp/buildprof-capture/clang19-headers/src/common/include/sample/common.h"] == 21


def test_durations_and_parallelism_come_from_the_log(world, capture):
    graph = world[0]
    log = read_ninja_log(capture / ".ninja_log")
    durations = latest_durations(graph, log.entries)
    edge = edges_of_outputs(graph, ["text/CMakeFiles/text.dir/src/csv.cc.o"])[0]
    last = log.entries[log.entries["output"] == "text/CMakeFiles/text.dir/src/csv.cc.o"].iloc[-1]
    assert durations[edge] == last["end_ms"] - last["start_ms"]
    assert most_at_once(log.entries.iloc[:0]) == 1
    steps = log.entries.tail(8).drop_duplicates(["start_ms", "end_ms", "cmdhash"])  # the last build's 7
    assert len(steps) == 7 and most_at_once(steps) == 2  # ninja -j2


def test_why_counts_tus_from_ninja_deps(run_cli, capture):
    result = run_cli("why", "format.h", str(capture), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    rebuild = doc["rebuild"]
    assert rebuild["tus"] == 2 and rebuild["targets"] == ["simtool", "text"]
    assert rebuild["steps"] == 7 and rebuild["compiles"] == 2 and rebuild["jobs"] == 2
    assert rebuild["cpu_ms"] > 0 and rebuild["wall_ms"] <= rebuild["cpu_ms"]
    assert doc["why"]["tus"] == 2  # the traces recorded it in both (it is slow to parse)


def test_why_answers_for_a_header_no_trace_recorded(run_cli, capture, tmp_path):
    """Traces leave out includes under clang's granularity: with every trace gone, .ninja_deps still
    says who includes the header, and the trace numbers say none recorded it."""
    folder = tmp_path / "build"
    shutil.copytree(capture, folder, ignore=shutil.ignore_patterns("*.json", ".buildprof"))
    (folder / "compile_commands.json").write_bytes((capture / "compile_commands.json").read_bytes())
    keep = capture / "apps" / "CMakeFiles" / "microbench.dir" / "bench" / "bench_main.cc.json"
    (folder / keep.relative_to(capture)).write_bytes(keep.read_bytes())  # one trace, without status.h
    result = run_cli("why", "core/status.h", str(folder), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["why"]["tus"] == 0 and doc["rebuild"]["tus"] == 13 and doc["rebuild"]["steps"] == 20


def test_headers_ranks_by_impact_with_git_changes(run_cli, capture, tmp_path):
    """--sort impact: commits that changed each header (a real git repository made here) x what
    touching it rebuilds."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    (repo / "text" / "include" / "text").mkdir(parents=True)
    (repo / "core" / "include" / "core").mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)

    git("init", "-q")
    for n in range(3):  # format.h changes in 3 commits, status.h in 1
        (repo / "text" / "include" / "text" / "format.h").write_text(f"// {n}\n")
        if n == 0:
            (repo / "core" / "include" / "core" / "status.h").write_text("//\n")
        git("add", "-A")
        git("commit", "-q", "-m", f"change {n}")
    churn = file_churn(repo, commits=10)
    assert churn.commits == 3 and churn.changes[str(repo.resolve() / "text/include/text/format.h")] == 3
    result = run_cli("headers", str(capture), "--sort", "impact", "--repo", str(repo), "--format", "json")
    assert result.exit_code == 0, result.stderr
    impact = json.loads(result.stdout)["impact"]
    assert impact["sort"] == "impact" and impact["matched"] == 26  # 25 headers + the generated one
    first, second = impact["rows"][:2]
    # status.h: 1 of 3 commits x 11 s of rebuild beats format.h: 3 of 3 commits x 2.8 s
    assert first["file"].endswith("core/status.h") and first["changes"] == 1
    assert first["expected_ms_per_commit"] == pytest.approx(first["cpu_ms"] / 3, abs=0.01)
    assert second["file"].endswith("text/format.h") and second["changes"] == 3
    assert second["expected_ms_per_commit"] == pytest.approx(second["cpu_ms"])
    assert all(r["changes"] == 0 for r in impact["rows"][2:])


def test_no_git_is_said_once_and_the_rest_runs(run_cli, capture, tmp_path):
    result = run_cli(
        "headers", str(capture), "--since", "2020-01-01", "--repo", str(tmp_path), "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["churn"]["commits"] == 0 and doc["churn"]["note"]
    assert doc["impact"]["rows"][0]["changes"] == 0 and doc["headers"]["rows"]


def test_without_deps_a_note_and_the_trace_answer(run_cli, capture, tmp_path):
    folder = tmp_path / "build"
    shutil.copytree(capture, folder, ignore=shutil.ignore_patterns(".ninja_deps", ".buildprof"))
    result = run_cli("headers", str(folder), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["impact"] is None and any(".ninja_deps" in n for n in doc["graph_notes"])
    assert doc["headers"]["rows"][0]["deps_tus"] is None


@pytest.mark.shared
def test_abseil_why_counts_equal_ninja_deps(run_cli, abseil_build, shared_data):
    """On the real abseil build: `why` says as many TUs include a header as `ninja -t deps` lists,
    where the traces (500 µs granularity) saw it in far fewer."""
    text = subprocess.run(
        ["zstd", "-dc", str(shared_data / "abseil-build" / "ninja-t-deps.txt.zst")],
        check=True,
        capture_output=True,
    ).stdout.decode()
    counted: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("    "):
            counted[line.strip()] = counted.get(line.strip(), 0) + 1
    checked = 0
    for header in ("absl/base/config.h", "absl/strings/string_view.h", "absl/base/attributes.h"):
        expected = counted["/src/abseil-cpp/" + header]
        result = run_cli("why", header, str(abseil_build), "--format", "json")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["rebuild"]["tus"] == expected, header
        assert doc["why"]["tus"] <= expected
        checked += 1
    assert checked == 3


def test_a_damaged_deps_log_is_a_note_and_the_rest_runs(run_cli, capture, tmp_path):
    """A cut .ninja_deps keeps the records before the cut (as ninja does) and says where; one that
    is not a deps log at all is named in a note; either way the trace answer is there."""
    folder = tmp_path / "build"
    shutil.copytree(capture, folder, ignore=shutil.ignore_patterns(".buildprof"))
    deps = folder / ".ninja_deps"
    whole = deps.read_bytes()
    deps.write_bytes(whole[: len(whole) * 2 // 3])
    result = run_cli("why", "format.h", str(folder), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert any("truncated at byte" in n for n in doc["graph_notes"]) and doc["why"]["tus"] == 2
    deps.write_bytes(b"not a deps log\n")
    result = run_cli("headers", str(folder), "--format", "json", "--no-cache")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["impact"] is None and any(".ninja_deps" in n for n in doc["graph_notes"])
    assert doc["headers"]["rows"][0]["deps_tus"] is None
