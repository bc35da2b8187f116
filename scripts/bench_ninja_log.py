"""Benchmark buildprof's `.ninja_log` parser against a plain line-by-line Python parser.

Generates a realistic log with scripts/gen_ninja_log.py (or reads one given with --log), then times, in
the same process and on the same bytes: buildprof.ninja.log.parse_ninja_log (best of --runs; it leaves
the output paths as byte ranges, so decoding every path is timed apart) and the straightforward parser
below (split on newlines and tabs, int() per field, the same validation), checks that both agree row
for row, and finally times the whole `buildprof report --no-cache` command in a fresh interpreter on a
folder holding the log (and one warm run that reads the cached report). With --ninjatracing (a
checkout of https://github.com/nico/ninjatracing outside this repository, never committed) both
tools then run alternately as whole processes on the same log (scripts/bench_log_scaling.py's
measure: median wall, CPU and peak memory) and the ratios are printed; the generated log then has no
damaged line (ninjatracing stops at the first). Never asserted in tests: machines differ.

Examples (the numbers in docs/benchmarks.md):
    python scripts/bench_ninja_log.py --lines 1000000 --runs 5
    python scripts/bench_ninja_log.py --lines 1000000 --edges 1000000 --cli-runs 0 \\
        --ninjatracing /tmp/ninjatracing/ninjatracing --pair-runs 3   # one build of 992,000 steps
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_ninja_log import generate

from buildprof.ninja.log import parse_ninja_log

_CONTROL = re.compile(rb"[\x00-\x08]")
_HEX_DIGITS = b"0123456789abcdefABCDEF"


def parse_plain(data: bytes) -> tuple[pd.DataFrame, list[int]]:
    """The obvious parser: one Python loop over lines; returns the entries and the damaged line numbers."""
    lines = data.split(b"\n")
    header = lines[0].rstrip()
    if not header.startswith(b"# ninja log v") or int(header[13:]) not in (5, 6, 7):
        raise ValueError("not a supported ninja log")
    body = lines[1:]
    unterminated = body[-1] != b""
    if not unterminated:
        body.pop()
    cols: tuple[list, ...] = ([], [], [], [], [], [])
    bad: list[int] = []
    last = len(body) + 1
    for number, line in enumerate(body, start=2):
        fields = line.split(b"\t")
        if (number == last and unterminated) or len(fields) != 5 or _CONTROL.search(line):
            bad.append(number)
            continue
        start, end, mtime, output, cmdhash = fields
        if cmdhash.endswith(b"\r"):
            cmdhash = cmdhash[:-1]
        if not (
            start.isdigit()
            and end.isdigit()
            and mtime.isdigit()
            and len(start) <= 16
            and len(end) <= 16
            and len(mtime) <= 19
            and output
            and 0 < len(cmdhash) <= 16
            and not cmdhash.translate(None, _HEX_DIGITS)
        ):
            bad.append(number)
            continue
        start_ms, end_ms, mtime_ns = int(start), int(end), int(mtime)
        if end_ms < start_ms or mtime_ns >= 2**63:
            bad.append(number)
            continue
        for col, value in zip(
            cols,
            (number, start_ms, end_ms, mtime_ns, output.decode("utf-8", "surrogateescape"), int(cmdhash, 16)),
            strict=True,
        ):
            col.append(value)
    entries = pd.DataFrame(
        {
            "line": np.array(cols[0], dtype=np.int64),
            "start_ms": np.array(cols[1], dtype=np.int64),
            "end_ms": np.array(cols[2], dtype=np.int64),
            "mtime": np.array(cols[3], dtype=np.int64),
            "output": pd.Series(cols[4], dtype=object),
            "cmdhash": np.array(cols[5], dtype=np.uint64),
        }
    )
    return entries, bad


def _timed(func, *args):
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    result = func(*args)
    return time.perf_counter() - t0, result


def _cli_seconds(log_path: Path, runs: int) -> tuple[list[float], float]:
    """Wall times of `python -m buildprof report DIR --format json --no-cache` in fresh interpreters
    (everything computed each time), then of a warm run (the finished report read from the cache)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ninja-"))
    command = [sys.executable, "-m", "buildprof", "report", str(folder), "--format", "json"]
    env = {**os.environ, "BUILDPROF_CACHE_DIR": str(folder / "cache")}
    try:
        shutil.copyfile(log_path, folder / ".ninja_log")
        times = [_run_seconds([*command, "--no-cache"], env) for _ in range(runs)]
        _run_seconds(command, env)  # writes the report cache
        return times, _run_seconds(command, env)
    finally:
        shutil.rmtree(folder)


def _run_seconds(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one run of `command`; its damaged-line warnings are dropped, a failure is not."""
    t0 = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace"))
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, help="an existing .ninja_log (default: generate one)")
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--version", type=int, choices=(5, 6, 7), default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="runs of buildprof's parser (best is kept)")
    parser.add_argument("--plain-runs", type=int, default=2, help="runs of the line-by-line parser")
    parser.add_argument("--cli-runs", type=int, default=3, help="runs of the whole report command")
    parser.add_argument("--edges", type=int, help="build statements of the generated project (gen_ninja_log)")
    parser.add_argument("--ninjatracing", type=Path, help="nico/ninjatracing's script, run beside ours")
    parser.add_argument("--pair-runs", type=int, default=3, help="alternate runs of both tools")
    args = parser.parse_args(argv)

    tmp: Path | None = None
    if args.log:
        log_path = args.log
    else:
        damaged = 0 if args.ninjatracing else 6
        text = generate(
            args.lines, args.version, args.seed, builds=5, jobs=64, damaged=damaged, edges=args.edges
        )
        tmp = Path(tempfile.mkdtemp(prefix="bench-ninja-")) / ".ninja_log"
        tmp.write_bytes(text.encode())
        log_path = tmp
    data = log_path.read_bytes()
    n_lines = data.count(b"\n")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus, {platform.platform()}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"log: {log_path} ({len(data) / 1e6:.1f} MB, {n_lines:,} lines)")

    ours = [_timed(parse_ninja_log, data) for _ in range(args.runs)]
    plain = [_timed(parse_plain, data) for _ in range(args.plain_runs)]
    log = ours[-1][1]
    entries, bad = plain[-1][1]
    pd.testing.assert_frame_equal(log.entries.reset_index(drop=True), entries, check_dtype=True)
    assert [p.line for p in log.problems] == bad, "the two parsers disagree on damaged lines"
    decode_seconds, _ = _timed(log.paths.all)  # already decoded by .entries: time a fresh copy
    best_ours = min(t for t, _ in ours)
    best_plain = min(t for t, _ in plain)
    print(f"both parsers agree: {len(entries):,} valid lines, {len(bad)} damaged")
    print(
        f"buildprof parse_ninja_log: best {best_ours:.3f} s of {args.runs} "
        f"(first {ours[0][0]:.3f} s, median {statistics.median(t for t, _ in ours):.3f} s), "
        f"{n_lines / best_ours / 1e6:.2f} M lines/s"
    )
    print(
        f"plain line-by-line parser: best {best_plain:.3f} s of {args.plain_runs}, "
        f"{n_lines / best_plain / 1e6:.2f} M lines/s"
    )
    print(f"speed ratio: {best_plain / best_ours:.1f}x")
    print(f"decoding every output path as str (done only when asked): {decode_seconds:.3f} s")
    if args.cli_runs:
        cli, warm = _cli_seconds(log_path, args.cli_runs)
        print(
            f"buildprof report (fresh interpreter, --format json --no-cache): best {min(cli):.3f} s "
            f"of {args.cli_runs} (all: {', '.join(f'{t:.2f}' for t in cli)}); "
            f"warm (the finished report from the cache): {warm:.3f} s"
        )
    if args.ninjatracing:
        _beside_ninjatracing(log_path, args.ninjatracing, args.pair_runs)
    if tmp is not None:
        shutil.rmtree(tmp.parent)
    return 0


def _beside_ninjatracing(log_path: Path, ninjatracing: Path, runs: int) -> None:
    """Both tools on the log as whole processes, alternately; medians and ratios."""
    from bench_log_scaling import paired

    folder = Path(tempfile.mkdtemp(prefix="bench-ninja-")) / "log"
    folder.mkdir()
    try:
        shutil.copyfile(log_path, folder / ".ninja_log")
        load = os.getloadavg()[0]
        medians = paired(folder, runs, ninjatracing)["median"]
        ours, theirs = medians["buildprof"], medians["ninjatracing"]
        size = log_path.stat().st_size / 2**20
        print(f"side by side, median of {runs} alternate runs (load {load:.1f}-{os.getloadavg()[0]:.1f}):")
        for name, m in medians.items():
            print(
                f"  {name}: {m['wall_s']:.2f} s wall, {m['cpu_s']:.2f} s CPU, {m['peak_mib']:.0f} MiB "
                f"({m['peak_mib'] / size:.2f}x the log's {size:.0f} MiB)"
            )
        print(
            f"  ratio buildprof/ninjatracing: {ours['wall_s'] / theirs['wall_s']:.3f} wall, "
            f"{ours['cpu_s'] / theirs['cpu_s']:.3f} CPU, {ours['peak_mib'] / theirs['peak_mib']:.2f} memory"
        )
    finally:
        shutil.rmtree(folder.parent)


if __name__ == "__main__":
    sys.exit(main())
