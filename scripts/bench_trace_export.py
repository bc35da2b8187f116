"""Benchmark `buildprof trace` against nico/ninjatracing on the same generated `.ninja_log`, in one run.

Generates a log with scripts/gen_ninja_log.py (clean, no damaged line: ninjatracing stops at one),
then runs both tools as fresh processes on it, alternately, --runs times each, and prints the median
wall-clock and CPU times (user + system of the process) and their ratios. Two log shapes:

- `--shape one-build` (default): the log is one clean build of --lines lines, so both tools export
  every line (the heaviest export);
- `--shape builds`: gen_ninja_log's default of about five builds, of which both export the last.

ninjatracing is never part of buildprof: give its script with --ninjatracing, or let this script
clone it into /tmp/ninjatracing (git, network). Numbers depend on the machine: never asserted.

Example (the numbers in docs/benchmarks.md):
    python3 scripts/bench_trace_export.py --lines 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_ninja_log import generate

REPO = Path(__file__).resolve().parents[1]
NINJATRACING_URL = "https://github.com/nico/ninjatracing"


def one_build_log(lines: int, seed: int, jobs: int) -> str:
    """A log holding one clean build of `lines` lines: the first build of a longer generated log."""
    text = generate(int(lines * 1.1) + 100, 5, seed, 1, jobs, 0)
    header, _, body = text.partition("\n")
    kept, last_end = [], 0
    for line in body.split("\n")[:lines]:
        end = int(line.split("\t")[1])
        if end < last_end:  # the next build starts: not wanted
            break
        kept.append(line)
        last_end = end
    return header + "\n" + "\n".join(kept) + "\n"


def find_ninjatracing(given: str | None) -> Path:
    """The ninjatracing script: as given, else a clone in /tmp/ninjatracing (made if missing)."""
    if given:
        return Path(given)
    folder = Path(tempfile.gettempdir()) / "ninjatracing"
    if not (folder / "ninjatracing").is_file():
        subprocess.run(["git", "clone", "--depth", "1", NINJATRACING_URL, str(folder)], check=True)
    return folder / "ninjatracing"


def timed(command: list[str], stdout) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system) of running `command` to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=stdout, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--shape", choices=("one-build", "builds"), default="one-build")
    parser.add_argument("--jobs", type=int, default=64, help="parallel jobs of the simulated ninja")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ninjatracing", help="path of nico/ninjatracing's script")
    parser.add_argument("--log", help="this .ninja_log instead of a generated one (--lines, --shape unused)")
    args = parser.parse_args(argv)
    tracer = find_ninjatracing(args.ninjatracing)
    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        folder = Path(tmp) / "build"
        folder.mkdir()
        if args.log:
            text = Path(args.log).read_bytes().decode("utf-8", "surrogateescape")
        elif args.shape == "one-build":
            text = one_build_log(args.lines, args.seed, args.jobs)
        else:
            text = generate(args.lines, 5, args.seed, 5, args.jobs, 0)
        (folder / ".ninja_log").write_bytes(text.encode("utf-8", "surrogateescape"))
        n_lines = text.count("\n") - 1
        shape = args.log or f"shape {args.shape}"
        print(f"log: {n_lines:,} lines, {len(text) / 1e6:.0f} MB, {shape}")
        ours_out, theirs_out = Path(tmp) / "buildprof.json", Path(tmp) / "ninjatracing.json"
        ours = [sys.executable, "-m", "buildprof", "trace", str(folder), "-o", str(ours_out)]
        theirs = [sys.executable, str(tracer), str(folder / ".ninja_log")]
        times: dict[str, list[tuple[float, float]]] = {"buildprof": [], "ninjatracing": []}
        for _ in range(args.runs):  # alternately, so that both meet the same load
            # The last run's file is removed before timing, as ninjatracing's is truncated before it
            # starts: replacing a 272 MB file frees its pages in the writer (0.3-0.4 s of system time).
            ours_out.unlink(missing_ok=True)
            with open(os.devnull, "wb") as null:
                times["buildprof"].append(timed(ours, null))
            with open(theirs_out, "wb") as out:
                times["ninjatracing"].append(timed(theirs, out))
        sizes = {"buildprof": ours_out.stat().st_size, "ninjatracing": theirs_out.stat().st_size}
    medians = {
        name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for name, runs in times.items()
    }
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for name, (wall, cpu) in medians.items():
        runs = ", ".join(f"{w:.2f}" for w, _ in times[name])
        size = sizes[name] / 1e6
        print(f"{name:>12}: wall {wall:7.2f} s (runs {runs}), CPU {cpu:7.2f} s, output {size:.0f} MB")
    wall_ratio = medians["ninjatracing"][0] / medians["buildprof"][0]
    cpu_ratio = medians["ninjatracing"][1] / medians["buildprof"][1]
    print(f"ninjatracing / buildprof: {wall_ratio:.1f}x wall-clock, {cpu_ratio:.1f}x CPU (goal: 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
