"""The scheduling analyses on real builds: the shared abseil build (clang-19, ninja 1.11, -j2, 253
steps) and the bundled capture clang19-one-tu (a clean build in ninja_log.clean, an incremental one
in .ninja_log). The graph comes from buildprof's own reader of build.ninja."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from buildprof.analysis.builds import split_builds
from buildprof.analysis.critical_path import critical_path, path_times
from buildprof.analysis.ninja_report import analyse_build
from buildprof.analysis.simulate import ready_order, simulate, simulated_build
from buildprof.analysis.step_graph import edge_deps, join_steps, phony_mask
from buildprof.ninja.graph import read_build_graph
from buildprof.ninja.log import read_ninja_log
from buildprof.ninja.manifest import read_ninja_manifest

ONE_TU = Path(__file__).resolve().parents[1] / "fixtures" / "captures" / "clang19-one-tu"


def last_build(folder: Path, log_path: Path):
    """The graph, the last build's classified steps and their join."""
    graph = read_build_graph(folder)
    log = read_ninja_log(log_path)
    last = split_builds(log.entries, log.version).builds[-1]
    steps = analyse_build(log, last, read_ninja_manifest(folder))
    return graph, steps, join_steps(graph, steps, log.entries.iloc[last.first_row : last.end_row])


def check_joined_dependencies(graph, times):
    """Every dependency between two steps that ran is honoured by the log's own times."""
    deps = edge_deps(graph)
    both = times.ran[deps.src] & times.ran[deps.dst]
    assert both.sum() > 0
    assert (times.start_ms[deps.dst[both]] >= times.end_ms[deps.src[both]]).all()


def check_critical_path(graph, times, steps):
    """The path is a chain of real dependencies, no longer than the wall time; drag as recomputed."""
    record = critical_path(graph, times, steps)
    result = path_times(graph, times.duration_ms, times.needed, real=times.ran & ~phony_mask(graph))
    deps = edge_deps(graph)
    pairs = set(zip(deps.src.tolist(), deps.dst.tolist(), strict=True))
    chain = result.path.tolist()
    assert all((a, b) in pairs for a, b in itertools.pairwise(chain))  # each waits for the one before
    assert [s.edge for s in record.steps] == [e for e in chain if times.ran[e]]
    durations = [s.duration_ms for s in record.steps]
    assert record.length_ms == sum(durations) == record.ideal_wall_ms
    assert [s.start_ms for s in record.steps] == np.cumsum([0, *durations[:-1]]).tolist()
    assert all(s.slack_ms == 0 for s in record.steps)
    assert 0 < record.length_ms <= record.wall_ms
    for step in record.steps:  # ninjago's drag is what the ideal build loses, recomputed
        free = times.duration_ms.copy()
        free[step.edge] = 0
        shorter = path_times(graph, free, times.needed).length_ms
        assert step.drag_ms == record.length_ms - shorter
    return record


def check_simulation(graph, times, steps, jobs):
    """The simulated build at the build's -j: its wall time, and whether it starts the steps in the
    order ninja did; -j1 is the sum and unlimited jobs the critical path."""
    schedule = simulate(graph, times.duration_ms, times.ran, jobs)
    record = simulated_build(schedule, times.wall_ms)
    assert record.steps == len(steps) and record.cpu_ms == int(steps["duration_ms"].sum())
    ran = np.flatnonzero(times.ran)
    measured_order = ran[np.argsort(times.start_ms[ran], kind="stable")]
    simulated_order = ran[np.argsort(schedule.start_ms[ran], kind="stable")]
    assert simulate(graph, times.duration_ms, times.ran, 1).wall_ms == record.cpu_ms
    longest = path_times(graph, times.duration_ms, times.needed).length_ms
    assert simulate(graph, times.duration_ms, times.ran, 0).wall_ms == longest
    return record, (measured_order == simulated_order).all()


@pytest.mark.shared
def test_abseil_critical_path_and_simulation(abseil_build: Path):
    graph, steps, times = last_build(abseil_build, abseil_build / ".ninja_log")
    assert len(steps) == 253 and times.wall_ms == 121730
    assert times.unmatched == [] and times.repeated == [] and times.ran.sum() == 253
    assert not (times.ran & ~times.needed).any()  # the build was `ninja` with no target
    check_joined_dependencies(graph, times)
    path = check_critical_path(graph, times, steps)
    # a static-library build at -j2: the path (cord.cc.o, then archives) is 5.9 s of 121.7 s
    assert path.steps[0].output == "absl/strings/CMakeFiles/cord.dir/cord.cc.o"
    assert (path.length_ms, len(path.steps), path.steps[0].drag_ms) == (5907, 7, 149)
    for before, step in itertools.pairwise(path.steps):  # here with no phony edge between them
        inputs = graph.in_nodes[graph.in_offsets[step.edge] : graph.in_offsets[step.edge + 1]]
        assert before.edge in graph.producer[inputs]
    record, same_order = check_simulation(graph, times, steps, jobs=2)
    assert abs(record.error) < 0.15, f"simulated -j2 wall {record.predicted_wall_ms} ms vs measured 121730 ms"
    assert record.predicted_wall_ms == 121720  # -0.01 %: ninja's gaps between steps are not simulated
    assert same_order  # the 253 steps start in exactly the order ninja 1.11 started them


def test_one_tu_clean_build():
    jobs = json.loads((ONE_TU / "capture.json").read_text())["jobs"]
    graph, steps, times = last_build(ONE_TU, ONE_TU / "ninja_log.clean")
    assert len(steps) == 30 and times.ran.sum() == 30 and times.unmatched == []
    # the generator's implicit outputs are logged absolute: all four lines map to its edge
    generator = graph.producer[graph.node_of["engine/generated/engine/opcodes_gen.h"]]
    assert times.ran[generator] and steps.loc[times.step_row[generator], "n_outputs"] == 4
    check_joined_dependencies(graph, times)
    path = check_critical_path(graph, times, steps)
    assert [s.output for s in path.steps] == [
        "text/CMakeFiles/text.dir/src/pattern.cc.o",
        "text/libtext.a",
        "engine/generated/engine/opcodes_gen.h",
        "apps/CMakeFiles/simtool.dir/simtool/commands.cc.o",
        "apps/simtool",
    ]
    assert (path.length_ms, path.wall_ms) == (3651, 8795)
    record, same_order = check_simulation(graph, times, steps, jobs)
    assert abs(record.error) < 0.15 and record.predicted_wall_ms == 8794
    assert same_order


def test_one_tu_incremental_build_counts_steps_not_run_as_zero():
    graph, steps, times = last_build(ONE_TU, ONE_TU / ".ninja_log")
    assert times.ran.sum() == 6 and times.unmatched == []
    assert times.duration_ms[~times.ran].sum() == 0
    path = check_critical_path(graph, times, steps)
    assert path.steps[0].output == "text/CMakeFiles/text.dir/src/csv.cc.o"
    record, same_order = check_simulation(graph, times, steps, jobs=2)
    assert record.steps == 6 and abs(record.error) < 0.15 and same_order


@pytest.mark.parametrize("capture", ["clang19-one-tu", "clang19-headers"])
@pytest.mark.parametrize("log_name", ["ninja_log.clean", ".ninja_log"])
def test_every_bundled_capture_with_a_manifest_replays_at_its_own_jobs(capture: str, log_name: str):
    folder = ONE_TU.parent / capture
    facts = json.loads((folder / "capture.json").read_text())
    build = facts["builds"][0 if log_name == "ninja_log.clean" else -1]
    graph, steps, times = last_build(folder, folder / log_name)
    assert len(steps) == times.ran.sum() == build["steps"] and times.unmatched == []
    assert times.wall_ms == build["wall_ms"]
    check_joined_dependencies(graph, times)
    check_critical_path(graph, times, steps)
    record, same_order = check_simulation(graph, times, steps, facts["jobs"])
    assert abs(record.error) < 0.15 and same_order


@pytest.mark.parametrize(
    ("capture", "log_name", "order"),
    [
        ("clang19-ninja1.11", "ninja_log.clean", "1.11"),
        ("clang19-ninja1.11", ".ninja_log", "1.11"),  # incremental: 28 steps after touching common.h
        ("clang19-ninja1.13", ".ninja_log", "1.12"),
        ("clang14-ninja1.13", ".ninja_log", "1.12"),
    ],
)
def test_ready_order_of_each_ninja_version_is_reproduced(capture: str, log_name: str, order: str):
    """Captures of the same project (same CMake, same sources) keep no build.ninja; clang19-one-tu's
    describes the same graph (every step maps, every dependency is honoured by the log's times).
    ninja 1.11 starts the lowest edge id first, 1.13 the longest chain first: each order reproduces
    its own ninja's start order step for step, and the other order does not."""
    folder = ONE_TU.parent / capture
    facts = json.loads((folder / "capture.json").read_text())
    assert facts["ninja"]["version"].startswith("1.11" if order == "1.11" else "1.13")
    assert ready_order(read_ninja_log(folder / log_name).version) == order  # the log says which
    graph, steps, times = last_build(ONE_TU, folder / log_name)
    assert times.unmatched == [] and times.ran.sum() == len(steps) in (28, 30)
    check_joined_dependencies(graph, times)
    ran = np.flatnonzero(times.ran)
    measured = ran[np.argsort(times.start_ms[ran], kind="stable")]
    matches = {}
    for simulated_order in ("1.11", "1.12"):
        schedule = simulate(graph, times.duration_ms, times.ran, facts["jobs"], order=simulated_order)
        started = ran[np.argsort(schedule.start_ms[ran], kind="stable")]
        matches[simulated_order] = int((started == measured).sum())
        if simulated_order == order:
            assert abs(simulated_build(schedule, times.wall_ms).error) < 0.01
    other = "1.12" if order == "1.11" else "1.11"
    assert matches[order] == len(ran) and matches[other] < len(ran)


POOL_MANIFEST = """\
pool p
  depth = 1
rule s
  command = sleep $t && touch $out
rule cat
  command = cat $in > $out
build a: s
  pool = p
  t = 0.15
build b: s
  pool = p
  t = 0.1
build c: s
  t = 0.3
build za: cat a c
build zb: cat b
build all: phony zb za
default all
"""


def test_a_real_ninja_build_with_a_pool_replays_in_its_order(tmp_path: Path):
    """The installed ninja builds a manifest with a pool of depth 1 at -j2: ninja 1.11 takes b into
    the pool first (walking from `all`, zb comes first), ninja 1.12+ takes a (same priority, lower
    id). The simulator, in the order the log's version names, starts the steps as ninja did."""
    ninja = shutil.which("ninja")
    if ninja is None:
        pytest.skip("ninja is not installed")
    (tmp_path / "build.ninja").write_text(POOL_MANIFEST)
    subprocess.run([ninja, "-j2"], cwd=tmp_path, check=True, capture_output=True)
    log = read_ninja_log(tmp_path / ".ninja_log")
    graph, _, times = last_build(tmp_path, tmp_path / ".ninja_log")
    assert times.ran.sum() == 5 and times.unmatched == []
    order = ready_order(log.version)
    schedule = simulate(graph, times.duration_ms, times.ran, 2, order=order)
    ran = np.flatnonzero(times.ran)
    measured = [graph.outputs_of(e)[0] for e in ran[np.argsort(times.start_ms[ran], kind="stable")]]
    simulated = [graph.outputs_of(e)[0] for e in ran[np.argsort(schedule.start_ms[ran], kind="stable")]]
    assert measured[:2] == (["b", "c"] if order == "1.11" else ["a", "c"])
    assert simulated == measured  # (no wall time check: 5 short sleeps, ninja's own gaps weigh)
