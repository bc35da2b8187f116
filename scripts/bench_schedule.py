"""Benchmark and check the scheduling analyses: critical path and the ninja 1.11 simulator.

`speed`: a generated CMake-like build graph (libraries of objects, archives with order-only waits on
the libraries they use, order-depends phony edges, executables) of about --edges build statements,
with random measured durations; times the joins and walks, the critical path with slack and drag,
and the simulator at several -j. Never asserted in tests: machines differ.

`accuracy`: for each captured build folder, replays its log's last build with the simulator at the
build's own -j and prints the predicted wall time against the measured one (docs/benchmarks.md,
"What-if simulator accuracy"), the steps whose outputs the manifest does not write (left out), and
how many steps the simulation started at the same place of the start order as ninja did. A folder
is given as DIR[:LOG][:JOBS][:ORDER]: LOG a log file (relative to DIR, or absolute) to use instead
of DIR/.ninja_log (copied as .ninja_log into a temporary copy of DIR), JOBS the -j it was built with
(default: "jobs" of DIR/capture.json), ORDER the scheduler's ready order, 1.11 (default) or 1.12
(ninja 1.12 and later).

    python scripts/bench_schedule.py speed --edges 200000
    python scripts/bench_schedule.py accuracy ABSEIL_BUILD_DIR:2 \
        fixtures/captures/clang19-one-tu:ninja_log.clean
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from buildprof.analysis.critical_path import critical_path  # noqa: E402
from buildprof.analysis.simulate import simulate, simulated_build  # noqa: E402
from buildprof.analysis.step_graph import edge_deps, join_steps, needed_edges  # noqa: E402
from buildprof.model.graph import BuildGraph  # noqa: E402


def generate_graph(edges: int, seed: int = 1) -> tuple[BuildGraph, pd.DataFrame]:
    """A CMake-like graph of about `edges` statements and the steps of its clean build (durations
    random: compiles 0.2-8 s log-normal, archives 50 ms, links 1-3 s; times back to back)."""
    rnd = np.random.default_rng(seed)
    per_lib = 90
    libs = max(1, edges // (per_lib + 3))
    paths: list[str] = []
    statements: list[tuple[str, list[int], list[int], int]] = []  # rule, outs, ins, explicit count

    def node(path: str) -> int:
        paths.append(path)
        return len(paths) - 1

    lib_out: list[int] = []
    for lib in range(libs):
        uses = sorted(set(rnd.integers(0, lib, size=min(lib, 3)).tolist())) if lib else []
        order = node(f"cmake_object_order_depends_target_l{lib}")
        statements.append(("phony", [order], [lib_out[u] for u in uses], 0))
        objects = []
        for k in range(per_lib):
            source = node(f"/src/l{lib}/f{k}.cc")
            obj = node(f"l{lib}/CMakeFiles/l{lib}.dir/f{k}.cc.o")
            statements.append(("CXX_COMPILER__l", [obj], [source, order], 1))
            objects.append(obj)
        archive = node(f"l{lib}/libl{lib}.a")
        statements.append(
            ("CXX_STATIC_LIBRARY_LINKER", [archive], objects + [lib_out[u] for u in uses], len(objects))
        )
        lib_out.append(archive)
        statements.append(("phony", [node(f"l{lib}")], [archive], 1))
        if lib % 50 == 49:
            exe = node(f"bin/tool{lib}")
            statements.append(("CXX_EXECUTABLE_LINKER", [exe], [archive, *lib_out[lib - 5 : lib]], 6))
    rules = sorted({s[0] for s in statements})
    n = len(statements)
    out_counts = np.array([len(s[1]) for s in statements])
    in_counts = np.array([len(s[2]) for s in statements])
    producer = np.full(len(paths), -1, dtype=np.int32)
    out_nodes = np.array([o for s in statements for o in s[1]], dtype=np.int32)
    producer[out_nodes] = np.repeat(np.arange(n, dtype=np.int32), out_counts)
    explicit = np.array([s[3] for s in statements], dtype=np.int32)
    graph = BuildGraph(
        manifest="generated.ninja",
        paths=paths,
        node_of={p: i for i, p in enumerate(paths)},
        rules=rules,
        edge_rule=np.array([rules.index(s[0]) for s in statements], dtype=np.int32),
        out_offsets=np.concatenate(([0], np.cumsum(out_counts))).astype(np.int64),
        out_nodes=out_nodes,
        out_explicit=out_counts.astype(np.int32),
        in_offsets=np.concatenate(([0], np.cumsum(in_counts))).astype(np.int64),
        in_nodes=np.array([i for s in statements for i in s[2]], dtype=np.int32),
        in_explicit=explicit,
        in_implicit=np.zeros(n, dtype=np.int32),
        producer=producer,
        edge_pool=np.full(n, -1, dtype=np.int32),
        pools=[("console", 1)],
    )
    runs = [e for e, s in enumerate(statements) if s[0] != "phony"]
    rule_of = [statements[e][0] for e in runs]
    duration = np.where(
        np.array([r.startswith("CXX_COMPILER") for r in rule_of]),
        np.clip(rnd.lognormal(np.log(1500), 0.7, len(runs)), 200, 8000),
        np.where(
            np.array([r.startswith("CXX_STATIC") for r in rule_of]), 50, rnd.integers(1000, 3000, len(runs))
        ),
    ).astype(np.int64)
    start = np.concatenate(([0], np.cumsum(duration)[:-1]))
    steps = pd.DataFrame(
        {
            "step": np.arange(len(runs)),
            "output": [paths[statements[e][1][0]] for e in runs],
            "n_outputs": 1,
            "start_ms": start,
            "end_ms": start + duration,
            "duration_ms": duration,
            "weighted_ms": duration.astype(float),
            "kind": "compile",
            "target": "t",
            "cmdhash": np.arange(len(runs), dtype=np.uint64),
            "line": np.arange(len(runs)) + 2,
        }
    )
    return graph, steps


RUNS = 3


def timed(label: str, function, *args, **kwargs):
    """Run `function` RUNS times; print the best and the first time; return its result."""
    seconds = []
    for _ in range(RUNS):
        began = time.perf_counter()
        result = function(*args, **kwargs)
        seconds.append(time.perf_counter() - began)
    print(f"{label:<44} best {min(seconds):7.3f} s   first {seconds[0]:7.3f} s")
    return result


def speed(args: argparse.Namespace) -> None:
    global RUNS
    RUNS = args.runs
    graph, steps = generate_graph(args.edges)
    print(
        f"{graph.edges:,} edges, {len(graph.paths):,} nodes, {len(graph.in_nodes):,} inputs, "
        f"{len(steps):,} steps"
    )
    timed("edge_deps (dependency pairs)", edge_deps, graph)
    timed("needed_edges (from the root nodes)", needed_edges, graph)
    times = timed("join_steps (steps to edges, needed edges)", join_steps, graph, steps)
    path = timed("critical_path (CPM, slack, drag, record)", critical_path, graph, times, steps)
    print(f"  path: {len(path.steps)} steps, {path.length_ms / 1000:.1f} s; cpu {path.cpu_ms / 1000:.0f} s")
    for jobs in args.jobs:
        schedule = timed(f"simulate -j{jobs}", simulate, graph, times.duration_ms, times.ran, jobs)
        print(f"  predicted wall {schedule.wall_ms / 1000:.1f} s")
    schedule = timed("simulate -j64 on 8 cores", simulate, graph, times.duration_ms, times.ran, 64, cores=8)
    print(f"  predicted wall {schedule.wall_ms / 1000:.1f} s")


def accuracy(args: argparse.Namespace) -> None:
    from buildprof.analysis.builds import split_builds
    from buildprof.analysis.ninja_report import analyse_build
    from buildprof.ninja.graph import read_build_graph
    from buildprof.ninja.log import read_ninja_log
    from buildprof.ninja.manifest import read_ninja_manifest

    print(
        "| build | -j | steps | left out | measured wall | predicted wall | error | CPU (sum of steps) ",
        end="",
    )
    print("| same order |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for spec in args.builds:
        folder, *rest = spec.split(":")
        order = next((r for r in rest if r in ("1.11", "1.12")), "1.11")
        log_name = next((r for r in rest if not r.isdigit() and r not in ("1.11", "1.12")), None)
        jobs = next((int(r) for r in rest if r.isdigit()), None)
        source = Path(folder)
        if jobs is None:
            jobs = int(json.loads((source / "capture.json").read_text())["jobs"])
        with tempfile.TemporaryDirectory() as tmp:
            build = source
            if log_name:
                build = Path(tmp) / source.name
                shutil.copytree(source, build, symlinks=True, ignore=shutil.ignore_patterns(".buildprof"))
                shutil.copyfile(source / log_name, build / ".ninja_log")
            graph = read_build_graph(build)
            log = read_ninja_log(build / ".ninja_log")
            last = split_builds(log.entries, log.version).builds[-1]
            steps = analyse_build(log, last, read_ninja_manifest(build))
            times = join_steps(graph, steps, log.entries.iloc[last.first_row : last.end_row])
            schedule = simulate(graph, times.duration_ms, times.ran, jobs, order=order)
        record = simulated_build(schedule, times.wall_ms)
        ran = np.flatnonzero(times.ran)
        measured_order = ran[np.argsort(times.start_ms[ran], kind="stable")]
        same = measured_order == ran[np.argsort(schedule.start_ms[ran], kind="stable")]
        shown = (
            Path(log_name).parent.name + "/" + Path(log_name).name
            if log_name and log_name.startswith("/")
            else log_name
        )
        name = (
            source.name
            + (f" ({shown})" if log_name else "")
            + (f", {order} order" if order != "1.11" else "")
        )
        print(
            f"| {name} | {jobs} | {record.steps} | {len(times.unmatched)} | {times.wall_ms:,} ms "
            f"| {record.predicted_wall_ms:,} ms | {record.error * 100:+.2f} % | {record.cpu_ms:,} ms "
            f"| {int(same.sum())} of {len(same)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    speed_parser = commands.add_parser("speed", help="time the analyses on a generated graph")
    speed_parser.add_argument("--edges", type=int, default=200_000)
    speed_parser.add_argument("--jobs", type=int, nargs="+", default=[8, 64, 0])
    speed_parser.add_argument("--runs", type=int, default=3, help="time each stage this many times")
    accuracy_parser = commands.add_parser("accuracy", help="predict captured builds' wall times")
    accuracy_parser.add_argument("builds", nargs="+", help="DIR[:LOG][:JOBS][:ORDER]")
    args = parser.parse_args()
    speed(args) if args.command == "speed" else accuracy(args)


if __name__ == "__main__":
    main()
