"""Generate a large, realistic `.ninja_log` for benchmarks and scale tests.

The log holds several builds of one imaginary CMake project: a clean build first, then incremental
builds that rebuild a random part of it. Each build is simulated with a `-j` job pool, so lines appear
in finishing order with non-decreasing end times inside a build and times restart near 0 at the next
one, exactly as ninja appends them; the mtime column holds what ninja records (the output's mtime at
the end for v5, the command's start for v6 and v7), later runs later. Paths follow CMake's layout
(`<dir>/CMakeFiles/<target>.dir/...o`, `lib<target>.a`, programs, code generators with several outputs
per edge); 80% of them are 60-120 characters long (with --short-paths about 40, lines of about 95
bytes, like `lib/net/CMakeFiles/dns.dir/cache_util.cc.o`). A few damaged lines are added (a killed build's
partial line glued to the next build's first line, a field that is not a number, a lost TAB) and the
log ends with an incomplete line unless --damaged is 0. The same `--seed` gives the same bytes.

Example:
    python scripts/gen_ninja_log.py --lines 1000000 --version 7 --seed 1 -o /tmp/big.ninja_log
"""

from __future__ import annotations

import argparse
import heapq
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_WORD_TEXT = (
    "base core net media gpu ui render layout style paint dom css html svg audio video codec storage "
    "cache crypto ssl http quic dns proxy cookie policy sync fetch worker service content browser shell "
    "platform graphics compositor surface viz skia text font shaping unicode locale intl strings "
    "containers memory allocator threading task scheduler metrics trace debug profiler logging flags "
    "config json proto ipc mojo bindings public internal common util impl test fuzz parser lexer ast "
    "sema codegen optimizer linker loader runtime engine physics math geometry mesh image decoder encoder"
)
_WORDS = tuple(_WORD_TEXT.split())
_SOURCE_EXT = (".cc", ".cpp", ".cc", ".cc", ".c", ".cxx")
_EPOCH_NS = 1_790_000_000_000_000_000  # about 2026: 19-digit mtimes like a real log


@dataclass
class Edge:
    """One build statement: its outputs, its command hash and its typical duration."""

    outputs: tuple[str, ...]
    cmdhash: int
    mean_ms: float
    kind: str


def _name(rng: random.Random, parts: int) -> str:
    """A snake_case name of `parts` words."""
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def _project(rng: random.Random, n_edges: int, short: bool = False) -> list[Edge]:
    """An imaginary CMake project: targets made of objects, archived, some linked, some generated."""
    if short:
        return _short_project(rng, n_edges)
    edges: list[Edge] = []
    while len(edges) < n_edges:
        depth = rng.randint(2, 4)
        subdir = rng.choice(("src", "lib", "third_party", "components")) + "/"
        subdir += "/".join(rng.choice(_WORDS) for _ in range(depth))
        target = _name(rng, rng.randint(1, 3))
        target_dir = f"{subdir}/CMakeFiles/{target}.dir"
        if rng.random() < 0.08:  # a generator writing a header and a source: one edge, two outputs
            stem = f"{subdir}/gen/{_name(rng, 2)}"
            outs = (f"{stem}.pb.h", f"{stem}.pb.cc") + ((f"{stem}.pb.json",) if rng.random() < 0.3 else ())
            edges.append(Edge(outs, rng.getrandbits(64), 300.0, "codegen"))
        n_objects = max(1, int(rng.expovariate(1 / 12)))
        for _ in range(n_objects):
            rel = "/".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 3)))
            base = _name(rng, rng.randint(2, 4)) + rng.choice(_SOURCE_EXT) + ".o"
            path = f"{target_dir}/{rel}/{base}" if rel else f"{target_dir}/{base}"
            edges.append(Edge((path,), rng.getrandbits(64), rng.lognormvariate(7.2, 0.9), "compile"))
        edges.append(Edge((f"{subdir}/lib{target}.a",), rng.getrandbits(64), 60.0, "archive"))
        if rng.random() < 0.15:
            program = f"{subdir}/{target}_{rng.choice(('test', 'tool', 'bench', 'main'))}"
            edges.append(Edge((program,), rng.getrandbits(64), 1500.0, "link"))
    return edges[:n_edges]


def _short_project(rng: random.Random, n_edges: int) -> list[Edge]:
    """_project with short paths (one or two folder words, one or two words per name, rarely a
    subfolder under the target directory), each output path used once as in a real project."""
    edges: list[Edge] = []
    used: set[str] = set()

    def fresh(make: Callable[[], str]) -> str:
        """The first of make()'s answers not used yet."""
        while (path := make()) in used:
            pass
        used.add(path)
        return path

    def words(longer: float) -> str:
        """One word, two with probability `longer`."""
        return _name(rng, 2 if rng.random() < longer else 1)

    def target_dir() -> str:
        folder = rng.choice(("src", "lib", "absl")) + "/" + words(0.3).replace("_", "/")
        return f"{folder}/CMakeFiles/{words(0.3)}.dir"

    while len(edges) < n_edges:
        tdir = fresh(target_dir)
        subdir, target = tdir[: tdir.index("/CMakeFiles/")], tdir.split("/")[-1][:-4]
        if rng.random() < 0.08:
            stem = fresh(lambda folder=subdir: f"{folder}/{words(0.5)}")
            edges.append(Edge((f"{stem}.pb.h", f"{stem}.pb.cc"), rng.getrandbits(64), 300.0, "codegen"))
        for _ in range(max(1, int(rng.expovariate(1 / 12)))):
            folder = f"{tdir}/{words(0)}" if rng.random() < 0.15 else tdir
            path = fresh(lambda folder=folder: f"{folder}/{words(0.5)}{rng.choice(_SOURCE_EXT)}.o")
            edges.append(Edge((path,), rng.getrandbits(64), rng.lognormvariate(7.2, 0.9), "compile"))
        edges.append(Edge((f"{subdir}/lib{target}.a",), rng.getrandbits(64), 60.0, "archive"))
        if rng.random() < 0.15:
            program = f"{subdir}/{target}_{rng.choice(('test', 'tool', 'bench', 'main'))}"
            if program not in used:
                used.add(program)
                edges.append(Edge((program,), rng.getrandbits(64), 1500.0, "link"))
    return edges[:n_edges]


def _simulate(rng: random.Random, edges: list[Edge], jobs: int) -> list[tuple[int, int, Edge]]:
    """Run `edges` on `jobs` workers in order; (start, end, edge) in finishing order, like ninja."""
    clock = rng.randint(20, 400)  # ninja start-up: loading the manifest, the log and the deps
    running: list[tuple[int, int, int, Edge]] = []
    finished: list[tuple[int, int, Edge]] = []
    for order, edge in enumerate(edges):
        if len(running) >= jobs:
            end, start, _, done = heapq.heappop(running)
            finished.append((start, end, done))
            clock = max(clock, end)
        duration = max(1, int(rng.lognormvariate(0, 0.3) * edge.mean_ms))
        heapq.heappush(running, (clock + duration, clock, order, edge))
    while running:
        end, start, _, done = heapq.heappop(running)
        finished.append((start, end, done))
    return finished


def _line(start: int, end: int, output: str, cmdhash: int, origin_ns: int, version: int) -> str:
    """One log line; the mtime is what ninja records (output mtime at the end, or the start time)."""
    mtime = origin_ns + (end if version <= 5 else start) * 1_000_000 + 123_456
    return f"{start}\t{end}\t{mtime}\t{output}\t{cmdhash:x}\n"


def generate(
    lines: int,
    version: int,
    seed: int,
    builds: int,
    jobs: int,
    damaged: int,
    edges: int | None = None,
    short_paths: bool = False,
) -> str:
    """The text of a log with `lines` lines after the header, fewer by one per glued pair of lines.

    The project has `edges` build statements (by default as many as make about `builds` builds),
    with short paths (_short_project) if `short_paths`.
    """
    rng = random.Random(seed)
    # A clean build writes every edge; each incremental one rewrites about 27% of them on average.
    n_edges = edges or max(1, int(lines / (1.05 * (1 + 0.275 * (max(builds, 1) - 1)))))
    project = _project(rng, n_edges, short_paths)
    out: list[str] = [f"# ninja log v{version}\n"]
    build_starts: list[int] = []
    origin_ns = _EPOCH_NS
    while len(out) <= lines:
        first = not build_starts
        build_starts.append(len(out))
        part = project if first else [e for e in project if rng.random() < rng.uniform(0.05, 0.5)]
        last_end = 0
        for start, end, edge in _simulate(rng, part, jobs):
            out.extend(_line(start, end, o, edge.cmdhash, origin_ns, version) for o in edge.outputs)
            last_end = end
            if len(out) > lines:
                break
        origin_ns += (last_end + rng.randint(1_000, 3_600_000)) * 1_000_000  # the next run starts later
    del out[lines + 1 :]
    _damage(rng, out, build_starts[1:], damaged)
    return "".join(out)


def _damage(rng: random.Random, out: list[str], build_starts: list[int], damaged: int) -> None:
    """Damage `damaged` lines the way real logs get damaged (never the header)."""
    for k in range(damaged):
        if k % 3 == 0 and build_starts:  # a build killed mid-write: the next run appends right after it
            row = build_starts[(k // 3) % len(build_starts)] - 1
            line = out[row]
            out[row] = line[: rng.randint(len(line) // 3, len(line) - 2)]
            continue
        row = rng.randint(2, len(out) - 2)
        if k % 3 == 1:  # a field that is not a number
            fields = out[row].split("\t")
            fields[rng.randint(0, 2)] = "x" + fields[0]
            out[row] = "\t".join(fields)
        else:  # a separator lost
            out[row] = out[row].replace("\t", " ", 1)
    if damaged:
        out[-1] = out[-1][: len(out[-1]) // 2]  # the last build was killed while writing


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write the generated log to -o (or stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines after the header")
    parser.add_argument("--version", type=int, choices=(5, 6, 7), default=5, help="log version header")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--builds", type=int, default=5, help="about how many builds the log holds")
    parser.add_argument("--jobs", type=int, default=64, help="parallel jobs of the simulated ninja")
    parser.add_argument("--damaged", type=int, default=6, help="lines to damage (0: a clean log)")
    parser.add_argument(
        "--edges",
        type=int,
        help="build statements of the project (default: from --lines and --builds); "
        "--lines 1000000 --edges 1000000 is one clean build of about 992,000 steps",
    )
    parser.add_argument(
        "--short-paths",
        action="store_true",
        help="paths of about 45 characters (lines of about 100 bytes) instead of 60-120",
    )
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    text = generate(
        args.lines,
        args.version,
        args.seed,
        args.builds,
        args.jobs,
        args.damaged,
        args.edges,
        args.short_paths,
    )
    if args.output:
        args.output.write_bytes(text.encode())
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
