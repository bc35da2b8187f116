"""Benchmark buildprof's time-trace analysis (cold, first, warm, incremental) against ClangBuildAnalyzer.

Builds a large trace set by copying the 159 abseil traces of ../shared/data/abseil-build (a real clang
19 build) into COPIES folders (default 20: 3,180 traces, 734 MB), or reuses the set if it is already
there, then times in the same run, each as a fresh `python -m buildprof report DIR --format json`
process (interpreter start-up and imports included; Python may write its bytecode, as in a user's
install, and one untimed run of each command comes first):

  cold         --no-cache: every trace read and summarised (what `--no-cache` always costs)
  cold Python  the same with BUILDPROF_NO_NATIVE=1: without the optional C module (the Python reference path)
  first        with the cache, after deleting it: reads everything and writes the cache
  warm         with the cache, nothing changed: nothing read but the cache
  incremental  with the cache, after touching --touch traces: only those are read again (checked
               against the report's trace_input.parsed)
  CBA          ClangBuildAnalyzer `--all DIR out.bin` then `--analyze out.bin`, timed together, when a
               binary is given with --cba or the CBA_BIN environment variable (skipped otherwise); in
               each round right before or after the cold run (the order alternates), so that the two
               are paired

Each is run --repeat times; the best and the median wall time are reported, the median CPU time (user
+ system of the process and every descendant it waited for, from wait4) and peak memory: the largest
resident set of any process of the run (wait4's ru_maxrss covers the child and the workers it waited
for) and, sampled every 10 ms from /proc in one more round, the peak of the whole process tree's
resident sets added up. The ratios to ClangBuildAnalyzer are of the medians, and the median of the
paired rounds' ratios. Never run by the tests: machines differ.

Example (the numbers in docs/benchmarks.md; `--cold-only` runs the paired cold and ClangBuildAnalyzer
runs alone, a quarter of the time):
    python scripts/bench_traces.py --repeat 5 --cba /tmp/cba/build/ClangBuildAnalyzer
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "abseil-build" / "build-dir.tar.zst"
MARKER = ".bench-trace-set"  # not *.json: buildprof would count it as other JSON


@dataclass
class Run:
    """One measured process: wall time, largest process and whole-tree peak memory, its output."""

    wall: float
    max_rss_mb: float
    tree_rss_mb: float
    stdout: bytes = b""
    cpu: float = 0.0  # user + system, the process and its waited-for descendants


@dataclass
class Result:
    label: str
    runs: list[Run] = field(default_factory=list)
    tree_rss_mb: float = float("nan")  # from the extra, sampled run

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda r: r.wall)


def build_trace_set(target: Path, copies: int, source: Path) -> tuple[int, int, int]:
    """Copy the abseil traces `copies` times under `target` (reused when already there).

    Returns (number of traces, total bytes, largest trace in bytes).
    """
    marker = target / MARKER
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("copies") == copies and info.get("source_size") == source.stat().st_size:
            return info["traces"], info["bytes"], info["largest"]
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="bench-absl-") as tmp:
        with subprocess.Popen(["zstd", "-dc", str(source)], stdout=subprocess.PIPE) as zstd:
            subprocess.run(["tar", "-xf", "-", "-C", tmp], stdin=zstd.stdout, check=True)
        traces = sorted(Path(tmp).rglob("*.cc.json"))
        for k in range(1, copies + 1):
            for trace in traces:
                dest = target / f"c{k}" / trace.relative_to(tmp)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(trace, dest)  # real copies: touching one must not touch the others
    sizes = [p.stat().st_size for p in target.rglob("*.json")]
    info = {"copies": copies, "source_size": source.stat().st_size, "traces": len(sizes)}
    info |= {"bytes": sum(sizes), "largest": max(sizes)}
    marker.write_text(json.dumps(info))
    return info["traces"], info["bytes"], info["largest"]


def _tree_rss_kb(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (0 if it is gone)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def measure(command: list[str], sample_memory: bool = False, env: dict | None = None) -> Run:
    """Run a command (in `env` if given), timing it; with `sample_memory`, also watch its process tree.

    Sampling /proc costs CPU on a small machine, so timed runs do not sample: they get the largest
    process's peak from wait4 for free, and a separate run measures the whole tree.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                stop.wait(0.01)

        watcher = threading.Thread(target=sample, daemon=True)
        if sample_memory:
            watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        if sample_memory:
            watcher.join()
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{err.read().decode(errors='replace')}")
        out.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Run(wall, usage.ru_maxrss / 1024, peak[0] / 1024, out.read(), cpu)


NAMES = ("cold", "cold_python", "first", "warm", "warm_query", "incremental", "cba")
LABELS = {
    "cold": "buildprof cold (`--no-cache`)",
    "cold_python": "buildprof cold, pure-Python path (`BUILDPROF_NO_NATIVE=1`)",
    "first": "buildprof first (writes the caches)",
    "warm": "buildprof warm (nothing changed: the finished report is reused)",
    "warm_query": "buildprof warm, other options (per-trace summaries reused)",
    "incremental": "buildprof incremental (traces touched, only those read)",
    "cba": "ClangBuildAnalyzer --all + --analyze",
}


def _buildprof(folder: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "buildprof", "report", str(folder), "--format", "json", *extra]


def _touch(folder: Path, count: int, round_: int) -> list[Path]:
    """Change the mtime of `count` traces (spread over the set), as a rebuild of those TUs would."""
    traces = sorted(folder.rglob("*.cc.json"))
    picked = traces[:: max(1, len(traces) // count)][:count]
    for i, path in enumerate(picked):
        stamp = time.time() + round_ * 10 + i
        os.utime(path, (stamp, stamp))
    return picked


def run_all(args: argparse.Namespace) -> dict:
    folder = Path(args.traces_dir)
    count, total_bytes, largest = build_trace_set(folder, args.copies, Path(args.source))
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    cache = folder / ".buildprof"
    results = {name: Result(name) for name in NAMES}
    cba = args.cba or os.environ.get("CBA_BIN")
    if cba and not Path(cba).exists():
        print(f"ClangBuildAnalyzer not found at {cba}: comparison skipped", file=sys.stderr)
        cba = None
    env_cache = os.environ.pop("BUILDPROF_CACHE_DIR", None)  # the cache must be the folder's own
    bytecode = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's install has its .pyc files
    memory: dict[str, float] = {}
    cache_sizes: list[int] = []  # bytes on disk of the cache folder after each first run
    cba_script = ""
    if cba:
        scratch = tempfile.mkdtemp(prefix="bench-cba-")
        cba_script = f'"{cba}" --all "{folder}" "{scratch}/out.bin" >/dev/null && '
        cba_script += f'"{cba}" --analyze "{scratch}/out.bin" >/dev/null'
    print(f"load average before: {os.getloadavg()[0]:.2f}", file=sys.stderr)
    try:
        measure(_buildprof(folder, "--no-cache", *jobs))  # untimed: bytecode written, files cached
        if cba:
            measure(["sh", "-c", cba_script])
        for round_ in range(args.repeat + 1):
            last = round_ == args.repeat  # one more round that samples the process tree's memory
            runs: dict[str, Run] = {}
            if cba and round_ % 2 == 1:  # paired with the cold run; which goes first alternates
                runs["cba"] = measure(["sh", "-c", cba_script], last)
            runs["cold"] = measure(_buildprof(folder, "--no-cache", *jobs), last)
            if cba and round_ % 2 == 0:
                runs["cba"] = measure(["sh", "-c", cba_script], last)
            if args.cold_only:  # the paired runs alone (the other measurements take most of the time)
                _keep(runs, results, memory, last)
                print(f"round {round_ + 1}/{args.repeat + 1} done", file=sys.stderr)
                continue
            python_only = {**os.environ, "BUILDPROF_NO_NATIVE": "1"}
            cold_python = measure(_buildprof(folder, "--no-cache", *jobs), last, python_only)
            shutil.rmtree(cache, ignore_errors=True)
            first = measure(_buildprof(folder, *jobs), last)
            cache_sizes.append(_disk_usage(cache))
            warm = measure(_buildprof(folder, *jobs), last)
            # Other options: the finished-report cache misses, the per-trace summaries are reused.
            warm_query = measure(_buildprof(folder, "--top", str(11 + round_), *jobs), last)
            touched = _touch(folder, args.touch, round_ + 1)
            incremental = measure(_buildprof(folder, *jobs), last)
            parsed = json.loads(incremental.stdout)["trace_input"]["parsed"]
            if parsed != len(touched):
                raise RuntimeError(f"incremental run read {parsed} traces, {len(touched)} were touched")
            runs |= {"cold_python": cold_python, "first": first, "warm": warm}
            runs["warm_query"] = warm_query
            runs["incremental"] = incremental
            _keep(runs, results, memory, last)
            print(f"round {round_ + 1}/{args.repeat + 1} done", file=sys.stderr)
    finally:
        if env_cache is not None:
            os.environ["BUILDPROF_CACHE_DIR"] = env_cache
        if bytecode is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = bytecode
        if cba:
            shutil.rmtree(scratch, ignore_errors=True)
    for name, peak in memory.items():
        results[name].tree_rss_mb = peak
    summary = report(args, results, count, total_bytes, largest, bool(cba))
    if cache_sizes:
        summary["cache_bytes"] = size = max(cache_sizes)
        print(f"cache after a first run: {size / 1e6:.1f} MB on disk, {size / total_bytes:.3f}x the traces")
    return summary


def _keep(runs: dict[str, Run], results: dict[str, Result], memory: dict[str, float], last: bool) -> None:
    """File a round's runs: timed rounds into the results, the last (sampled) round's tree peaks."""
    for name, run in runs.items():
        if last:
            memory[name] = run.tree_rss_mb
        else:
            results[name].runs.append(run)


def _disk_usage(folder: Path) -> int:
    """Bytes on disk of a folder (as du counts them: allocated blocks)."""
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _median(values) -> float:
    return statistics.median(values)


def report(args, results: dict[str, Result], count: int, total_bytes: int, largest: int, cba: bool) -> dict:
    """Print the table (markdown) and return the numbers."""
    mb = total_bytes / 1e6
    rows = []
    summary: dict = {"traces": count, "bytes": total_bytes, "largest_trace": largest, "repeat": args.repeat}
    for name in NAMES:
        result = results[name]
        if not result.runs:
            continue
        best, median = result.best, _median(r.wall for r in result.runs)
        summary[name] = {
            "best_s": round(best.wall, 3),
            "median_s": round(median, 3),
            "cpu_s": round(_median(r.cpu for r in result.runs), 3),
            "max_rss_mb": round(_median(r.max_rss_mb for r in result.runs), 1),
            "tree_rss_mb": round(result.tree_rss_mb, 1),
        }
        row = summary[name]
        rows.append(
            f"| {LABELS[name]} | **{best.wall:.2f} s** | {median:.2f} s | {row['cpu_s']:.2f} s"
            f" | {mb / median:.0f} MB/s | {count / median:.0f} | {row['max_rss_mb']:.0f} MB"
            f" | {row['tree_rss_mb']:.0f} MB |"
        )
    cold = summary["cold"]["median_s"]
    ratios = {}
    if "warm" in summary:  # not with --cold-only
        ratios["warm_vs_cold"] = cold / summary["warm"]["median_s"]
        ratios["warm_query_vs_cold"] = cold / summary["warm_query"]["median_s"]
        ratios["incremental_vs_cold"] = cold / summary["incremental"]["median_s"]
        ratios["python_vs_cold"] = summary["cold_python"]["median_s"] / cold
        ratios["first_vs_cold"] = summary["first"]["median_s"] / cold
        ratios["first_vs_cold_cpu"] = summary["first"]["cpu_s"] / summary["cold"]["cpu_s"]
    if cba:
        ours, theirs = summary["cold"], summary["cba"]
        ratios["cold_vs_cba"] = cold / theirs["median_s"]
        ratios["cold_vs_cba_paired"] = _median(
            a.wall / b.wall for a, b in zip(results["cold"].runs, results["cba"].runs, strict=True)
        )
        ratios["cold_vs_cba_cpu"] = ours["cpu_s"] / theirs["cpu_s"]
        ratios["cold_vs_cba_memory"] = ours["max_rss_mb"] / theirs["max_rss_mb"]
    summary["ratios"] = {k: round(v, 2) for k, v in ratios.items()}
    print(f"\n{count} traces, {mb:.0f} MB (largest {largest / 1e6:.2f} MB), {args.repeat} runs each")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"load average after: {os.getloadavg()[0]:.2f}\n")
    print("| run | best wall | median wall | median CPU | throughput | traces/s | largest process | tree |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    if "warm_vs_cold" in ratios:
        print(
            f"warm is {ratios['warm_vs_cold']:.1f}x faster than cold (other options "
            f"{ratios['warm_query_vs_cold']:.1f}x); incremental {ratios['incremental_vs_cold']:.1f}x; "
            f"first run {ratios['first_vs_cold']:.2f}x cold ({ratios['first_vs_cold_cpu']:.2f}x in CPU); "
            f"cold without the C scanner {ratios['python_vs_cold']:.2f}x cold"
        )
    if cba:
        print(
            f"buildprof cold / ClangBuildAnalyzer (medians): wall {ratios['cold_vs_cba']:.2f}x "
            f"(paired rounds: {ratios['cold_vs_cba_paired']:.2f}x), CPU {ratios['cold_vs_cba_cpu']:.2f}x, "
            f"peak memory {ratios['cold_vs_cba_memory']:.2f}x"
        )
    else:
        print("no ClangBuildAnalyzer binary given (--cba or CBA_BIN): comparison skipped")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--traces-dir", default=os.path.join(tempfile.gettempdir(), "buildprof-bench-traces"))
    parser.add_argument("--copies", type=int, default=20, help="copies of the 159 abseil traces")
    parser.add_argument("--source", default=str(SOURCE), help="abseil build-dir.tar.zst")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement (best kept)")
    parser.add_argument("--touch", type=int, default=5, help="traces changed before an incremental run")
    parser.add_argument("--jobs", type=int, default=0, help="buildprof --jobs (default: its own)")
    parser.add_argument("--cba", help="ClangBuildAnalyzer binary (or env CBA_BIN); skipped if absent")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument(
        "--cold-only", action="store_true", help="only the paired cold and ClangBuildAnalyzer runs"
    )
    args = parser.parse_args()
    summary = run_all(args)
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
