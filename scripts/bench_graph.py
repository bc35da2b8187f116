"""Benchmark the build graph readers: a generated CMake-like build.ninja and .ninja_deps, read by
buildprof.ninja.graph.read_build_graph and buildprof.ninja.deps.read_ninja_deps, and by ninja.

The manifest (--edges build statements, about 120 bytes a line) is what CMake's Ninja generator
writes: `include CMakeFiles/rules.ninja` (one compile and one link rule per target), per library an
order-depends phony edge, per object a compile edge (the source, an implicit generated header for
some, the order-depends target as order-only input, six bindings), an archive edge, phony target
names; executables link archives (implicit inputs); a few custom commands write
`${cmake_ninja_workdir}`-prefixed implicit outputs in the console pool; `all` and `default all`.
The deps log holds --objects compile outputs (the first compile edges of the manifest) with
--headers headers each, in the order ninja writes them (a path record the first time a path is seen):
system headers shared by all, project-wide headers, the library's own headers.

Each reader runs --runs times in this process (median and first run printed), then, if
/usr/bin/ninja is there, ninja's own loading: `ninja -t query all` on the manifest alone (parse),
the same with the deps log beside it (parse and deps log), and `ninja -t deps` writing every record.
Never asserted in tests: machines differ.

    python scripts/bench_graph.py --edges 200000 --objects 50000 --headers 300 --runs 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from buildprof.ninja.deps import read_ninja_deps
from buildprof.ninja.graph import read_build_graph

WORKDIR = "/home/ci/work/megaproject/build/"
SOURCE = "/home/ci/work/megaproject/src/"
OBJECTS_PER_LIBRARY = 180


def write_manifest(folder: Path, edges: int, rng: np.random.Generator) -> list[str]:
    """Write build.ninja and CMakeFiles/rules.ninja with about `edges` statements; the object paths."""
    rules, lines, objects, archives = [], [], [], []
    lines += [
        "ninja_required_version = 1.5",
        "include CMakeFiles/rules.ninja",
        f"cmake_ninja_workdir = {WORKDIR}",
    ]
    count, lib = 0, 0
    while count < edges:
        name, area = f"comp{lib:04d}", f"modules/area{lib % 37:02d}/comp{lib:04d}"
        rules += [
            f"rule CXX_COMPILER__{name}_Release",
            "  depfile = $DEP_FILE",
            "  deps = gcc",
            "  command = /usr/bin/clang++-19 $DEFINES $INCLUDES $FLAGS -MD -MT $out -MF $DEP_FILE"
            " -o $out -c $in",
            "  description = Building CXX object $out",
            "",
            f"rule CXX_STATIC_LIBRARY_LINKER__{name}_Release",
            "  command = $PRE_LINK && /usr/bin/cmake -E rm -f $TARGET_FILE"
            " && /usr/bin/llvm-ar qc $TARGET_FILE $in",
            "  description = Linking CXX static library $TARGET_FILE",
            "  restat = $RESTAT",
            "",
        ]
        order = f"cmake_object_order_depends_target_{name}"
        used = [archives[int(i)] for i in rng.integers(0, len(archives), 3)] if archives else []
        lines += [
            "",
            f"build {order}: phony || {' '.join(used)} {area}/CMakeFiles/{name}.dir".replace("  ", " "),
        ]
        own = []
        for k in range(min(OBJECTS_PER_LIBRARY, edges - count)):
            sub = f"src/{'detail/' if k % 3 else ''}part{k // 20:02d}"
            obj = f"{area}/CMakeFiles/{name}.dir/{sub}/file_{k:03d}.cc.o"
            implicit = f" | {area}/generated/{name}_config.h" if k % 10 == 0 else ""
            lines += [
                f"build {obj}: CXX_COMPILER__{name}_Release {SOURCE}{area}/{sub}/file_{k:03d}.cc"
                f"{implicit} || {order}",
                f"  DEP_FILE = {obj}.d",
                "  FLAGS = -O2 -g -DNDEBUG -std=gnu++17 -fPIC -Wall -Wextra",
                f"  INCLUDES = -I{SOURCE}{area}/include -I{SOURCE}common/include -I{WORKDIR}{area}/generated",
                f"  OBJECT_DIR = {area}/CMakeFiles/{name}.dir",
                f"  OBJECT_FILE_DIR = {area}/CMakeFiles/{name}.dir/{sub}",
            ]
            own.append(obj)
        objects += own
        archive = f"{area}/lib{name}.a"
        lines += [
            f"build {area}/generated/{name}_config.h"
            f" | ${{cmake_ninja_workdir}}{area}/generated/{name}_config.h:"
            f" CUSTOM_COMMAND {SOURCE}{area}/config.h.in",
            f"  COMMAND = cd {WORKDIR}{area} && /usr/bin/cmake -P configure.cmake",
            "  pool = console",
            f"build {archive}: CXX_STATIC_LIBRARY_LINKER__{name}_Release {' '.join(own)} || {' '.join(used)}",
            f"  OBJECT_DIR = {area}/CMakeFiles/{name}.dir",
            f"  TARGET_FILE = {archive}",
            f"build {name}: phony {archive}",
            f"build {area}/all: phony {archive}",
        ]
        archives.append(archive)
        count += len(own) + 5
        lib += 1
        if lib % 10 == 0 and count < edges:
            app = f"tools/app{lib:04d}"
            lines += [
                f"build {app}: CUSTOM_COMMAND {SOURCE}tools/main.cc | {' '.join(archives[-10:])}"
                f" || {' '.join(archives[-10:])}",
                f"  COMMAND = /usr/bin/clang++-19 -o {app} {SOURCE}tools/main.cc {' '.join(archives[-10:])}",
            ]
            count += 1
    rules += ["rule CUSTOM_COMMAND", "  command = $COMMAND", "  description = $DESC", ""]
    lines += [
        f"build all: phony {' '.join(a.rsplit('/', 1)[0] + '/all' for a in archives)}",
        "default all",
        "",
    ]
    (folder / "CMakeFiles").mkdir(parents=True, exist_ok=True)
    (folder / "CMakeFiles" / "rules.ninja").write_text("\n".join(rules))
    (folder / "build.ninja").write_text("\n".join(lines))
    return objects


def write_deps(path: Path, objects: list[str], headers: int, rng: np.random.Generator) -> None:
    """Write a .ninja_deps (version 4) for `objects`, each with its source and `headers` - 1 headers."""
    system = [f"/usr/include/c++/12/bits/stl_component_{i:04d}.h" for i in range(3000)]
    common = [
        f"{SOURCE}common/include/megaproject/common/subsystem_{i // 50:02d}/utility_{i:04d}.hpp"
        for i in range(6000)
    ]
    pool = system + common
    ids = np.full(len(pool), -1, dtype=np.int64)
    out = [b"# ninjadeps\n", struct.pack("<i", 4)]
    next_id = 0

    def path_record(text: str) -> int:
        nonlocal next_id
        data = text.encode()
        data += b"\0" * (-len(data) % 4)
        out.extend((struct.pack("<I", len(data) + 4), data, struct.pack("<I", ~next_id & 0xFFFFFFFF)))
        next_id += 1
        return next_id - 1

    own_headers: dict[str, list[int]] = {}
    for obj in objects:
        area = obj.split("/CMakeFiles/")[0]
        mine = own_headers.get(area)
        if mine is None:
            mine = own_headers[area] = [
                path_record(f"{SOURCE}{area}/include/{area}/header_{i:03d}.h") for i in range(60)
            ]
        picked = np.concatenate(
            [rng.choice(3000, 150, replace=False), 3000 + rng.choice(6000, headers - 150 - 41, replace=False)]
        )
        for index in picked[ids[picked] < 0]:
            ids[index] = path_record(pool[index])
        output = path_record(obj)
        source = path_record(SOURCE + obj.replace("CMakeFiles/", "").replace(".dir/", "/").removesuffix(".o"))
        deps = np.concatenate([[source], ids[picked], mine[:40]]).astype("<u4")
        mtime = 1_796_000_000_000_000_000 + int(rng.integers(0, 10**12))
        body = struct.pack("<III", output, mtime & 0xFFFFFFFF, mtime >> 32) + deps.tobytes()
        out.extend((struct.pack("<I", len(body) | 0x80000000), body))
    path.write_bytes(b"".join(out))


def timed(function, *args) -> tuple[tuple[float, float], object]:
    """(wall, CPU) seconds one call takes, and its result."""
    start, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return (time.perf_counter() - start, time.process_time() - cpu), result


def ninja_seconds(*args: str) -> float:
    """Seconds one ninja command takes, its output thrown away."""
    start = time.perf_counter()
    subprocess.run(
        ["/usr/bin/ninja", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    return time.perf_counter() - start


def main() -> None:
    """Generate, read, time and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edges", type=int, default=200_000)
    parser.add_argument("--objects", type=int, default=50_000)
    parser.add_argument("--headers", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the build folder here and keep it (or reuse it)")
    options = parser.parse_args()
    folder = options.keep or Path(tempfile.mkdtemp(prefix="bench-graph-"))
    folder.mkdir(parents=True, exist_ok=True)
    if not (options.keep and (folder / "build.ninja").exists()):  # --keep reuses what it kept
        rng = np.random.default_rng(9)
        objects = write_manifest(folder, options.edges, rng)
        write_deps(folder / ".ninja_deps", objects[: options.objects], options.headers, rng)
    sizes = {name: (folder / name).stat().st_size for name in ("build.ninja", ".ninja_deps")}
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    load = os.getloadavg()[0]
    print(f"{machine}, Python {platform.python_version()}, numpy {np.__version__}, load average {load:.1f}")
    print(f"build.ninja {sizes['build.ninja'] / 1e6:.1f} MB, .ninja_deps {sizes['.ninja_deps'] / 1e6:.1f} MB")
    times: dict[str, list[tuple[float, float]]] = {"manifest": [], "deps log": []}
    for _ in range(options.runs):
        seconds, graph = timed(read_build_graph, folder)
        times["manifest"].append(seconds)
        seconds, deps = timed(read_ninja_deps, folder)
        times["deps log"].append(seconds)
    print(f"graph: {graph.edges} edges, {len(graph.paths)} nodes, problems {len(graph.problems)}")
    print(f"deps: {len(deps.outputs)} outputs, {len(deps.dep_ids)} dependencies, {len(deps.paths)} paths")
    units = {"manifest": (graph.edges, "edges"), "deps log": (len(deps.dep_ids), "dependencies")}
    for label, runs in times.items():
        wall, cpu = statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)
        count, unit = units[label]
        rate = f"{count / wall / 1e6:.2f} M {unit}/s"
        print(f"{label}: median {wall:.3f} s wall, {cpu:.3f} s CPU, first {runs[0][0]:.3f} s ({rate})")
    both = [g[0] + d[0] for g, d in zip(times["manifest"], times["deps log"], strict=True)]
    both_cpu = [g[1] + d[1] for g, d in zip(times["manifest"], times["deps log"], strict=True)]
    print(f"both: median {statistics.median(both):.3f} s wall, {statistics.median(both_cpu):.3f} s CPU")
    print(f"  runs (wall): {', '.join(f'{t:.3f}' for t in both)}")
    if Path("/usr/bin/ninja").exists():
        alone = folder.parent / (folder.name + "-manifest-only")
        alone.mkdir(exist_ok=True)
        (alone / "CMakeFiles").mkdir(exist_ok=True)
        shutil.copy(folder / "build.ninja", alone / "build.ninja")
        shutil.copy(folder / "CMakeFiles" / "rules.ninja", alone / "CMakeFiles" / "rules.ninja")
        manifest = statistics.median(ninja_seconds("-C", str(alone), "-t", "query", "all") for _ in range(3))
        loaded = statistics.median(ninja_seconds("-C", str(folder), "-t", "query", "all") for _ in range(3))
        listing = ninja_seconds("-C", str(folder), "-t", "deps")
        print(f"ninja -t query all, manifest only: {manifest:.3f} s; with the deps log: {loaded:.3f} s")
        print(f"ninja -t deps (every record printed): {listing:.3f} s")
        print(f"ratio ours / ninja's load: {statistics.median(both) / loaded:.1f}x")
        shutil.rmtree(alone)
    if not options.keep:
        shutil.rmtree(folder)


if __name__ == "__main__":
    sys.exit(main())
