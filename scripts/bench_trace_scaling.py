"""Time and peak memory of `buildprof report --no-cache` against the number of time traces, beside
ClangBuildAnalyzer.

For each size N a folder of N traces is made by copying the 159 traces of the abseil build in
../shared/data/abseil-build as often as needed (c1/, c2/, ... each a copy of the build folder; the
first N files in path order are kept), then both tools run as a user runs them, in fresh processes,
alternately (which goes first alternates too): `python -m buildprof report DIR --no-cache --format
json -o FILE`, and `ClangBuildAnalyzer --all DIR out.bin` followed by `--analyze out.bin` (timed as one
shell command). Wall time, CPU time (user + system) and peak resident memory of each run come from
wait4: its rusage covers the process and every descendant it waited for (buildprof's forked workers,
the shell's two ClangBuildAnalyzer runs), and ru_maxrss is the largest resident set of any one of
them (for buildprof, its parent process). The medians and every run go to the JSON, with the load
average seen before and after each size. ClangBuildAnalyzer is not part of this repository: build it
from https://github.com/aras-p/ClangBuildAnalyzer somewhere outside it and pass the binary.

Examples (the numbers in docs/benchmarks.md):
    python scripts/bench_trace_scaling.py --cba /tmp/cba/ClangBuildAnalyzer \\
        --sizes 100 1000 3000 10000 --runs 5 --workdir /tmp/bench-trace-scaling -o scaling-traces.json
    python scripts/bench_trace_scaling.py --plot scaling-traces.json docs/images/scaling-traces.png
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "abseil-build" / "build-dir.tar.zst"


def make_set(folder: Path, count: int, source: Path) -> tuple[int, int]:
    """`count` abseil traces under `folder` (reused when already there): (traces, bytes)."""
    marker = folder / ".bench-trace-scaling"
    if marker.exists():
        info = json.loads(marker.read_text())
        return info["traces"], info["bytes"]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="bench-absl-") as tmp:
        with subprocess.Popen(["zstd", "-dc", str(source)], stdout=subprocess.PIPE) as zstd:
            subprocess.run(["tar", "-xf", "-", "-C", tmp], stdin=zstd.stdout, check=True)
        traces = sorted(Path(tmp).rglob("*.cc.json"))
        copies = math.ceil(count / len(traces))
        picked = [(k, t) for k in range(1, copies + 1) for t in traces][:count]
        for k, trace in picked:
            dest = folder / f"c{k}" / trace.relative_to(tmp)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(trace, dest)
    sizes = [p.stat().st_size for p in folder.rglob("*.json")]
    marker.write_text(json.dumps({"traces": len(sizes), "bytes": sum(sizes)}))
    return len(sizes), sum(sizes)


def measure(command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall and CPU seconds and peak resident MiB of one run of `command` (see the docstring)."""
    t0 = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {child.stderr.read().decode(errors='replace')}")
    child.stderr.close()
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}


def child_env() -> dict[str, str]:
    """The environment of the measured runs: Python may write its bytecode (a user's install has
    it; without it every run compiles the modules it imports), and the cache folder is the default."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "BUILDPROF_CACHE_DIR")}
    return env


def paired(folder: Path, runs: int, cba: Path | None, scratch: Path) -> dict:
    """Alternate runs of the tools on the traces in `folder`: every run, and the medians."""
    out = scratch / "buildprof.json"
    tools = {"buildprof": [sys.executable, "-m", "buildprof", "report", str(folder), "--no-cache"]}
    tools["buildprof"] += ["--format", "json", "-o", str(out)]
    if cba is not None:
        script = f'"{cba}" --all "{folder}" "{scratch}/cba.bin" >/dev/null && '
        script += f'"{cba}" --analyze "{scratch}/cba.bin" >"{scratch}/cba.txt"'
        tools["ClangBuildAnalyzer"] = ["sh", "-c", script]
    env = child_env()
    for command in tools.values():  # once first: bytecode written, files in the page cache
        measure(command, env)
    every: dict[str, list[dict[str, float]]] = {name: [] for name in tools}
    for run in range(runs):
        order = list(tools) if run % 2 == 0 else list(reversed(tools))
        for name in order:
            every[name].append(measure(tools[name], env))
    median = {
        name: {key: statistics.median(r[key] for r in rows) for key in ("wall_s", "cpu_s", "peak_mib")}
        for name, rows in every.items()
    }
    return {"runs": every, "median": median}


def run(args: argparse.Namespace) -> dict:
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "commit": subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip(),
        "sizes": [],
    }
    args.workdir.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        folder = args.workdir / f"traces-{size}"
        traces, total = make_set(folder, size, args.source)
        load_before = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
            measured = paired(folder, args.runs, args.cba, Path(scratch))
        row = {
            "traces": traces,
            "mb": total / 1e6,
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        }
        results["sizes"].append({**row, **measured})
        print_row(results["sizes"][-1])
    return results


def print_row(row: dict) -> None:
    med = row["median"]
    ours = med["buildprof"]
    text = f"{row['traces']:>6} traces {row['mb']:7.0f} MB: buildprof {ours['wall_s']:.2f} s"
    text += f" {ours['cpu_s']:.2f} s CPU {ours['peak_mib']:.0f} MiB"
    if "ClangBuildAnalyzer" in med:
        cba = med["ClangBuildAnalyzer"]
        text += f" | CBA {cba['wall_s']:.2f} s {cba['cpu_s']:.2f} s CPU {cba['peak_mib']:.0f} MiB"
        wall, memory = ours["wall_s"] / cba["wall_s"], ours["peak_mib"] / cba["peak_mib"]
        text += f" | ratios wall {wall:.2f} memory {memory:.2f}"
    print(text + f" (load {row['load_before']:.1f} -> {row['load_after']:.1f})", flush=True)


def plot(results_path: Path, image: Path) -> None:
    """Draw time and peak memory against the number of traces, both tools, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = json.loads(results_path.read_text())
    rows = results["sizes"]
    traces = [r["traces"] for r in rows]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    styles = {"buildprof": ("o", "tab:blue"), "ClangBuildAnalyzer": ("s", "tab:orange")}
    for tool, (marker, color) in styles.items():
        if tool not in rows[0]["median"]:
            continue
        left.plot(traces, [r["median"][tool]["wall_s"] for r in rows], marker=marker, color=color, label=tool)
        right.plot(
            traces, [r["median"][tool]["peak_mib"] for r in rows], marker=marker, color=color, label=tool
        )
    for axis, label in ((left, "wall time (s), median"), (right, "peak memory (MiB), median")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("time traces (abseil, clang 19)")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    left.set_title("buildprof report --no-cache vs ClangBuildAnalyzer")
    right.set_title("largest process")
    loads = [r[k] for r in rows for k in ("load_before", "load_after")]
    title = (
        f"{results['machine']}, commit {results['commit']}, load average {min(loads):.1f}-{max(loads):.1f}"
    )
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 3000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="runs of each tool per size (medians kept)")
    parser.add_argument("--cba", type=Path, help="ClangBuildAnalyzer binary (skipped without it)")
    parser.add_argument("--source", type=Path, default=SOURCE, help="abseil build-dir.tar.zst")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "bench-trace-scaling")
    parser.add_argument("-o", "--output", type=Path, help="write every run and the medians here (JSON)")
    parser.add_argument("--plot", nargs=2, type=Path, metavar=("JSON", "PNG"), help="draw, do not measure")
    args = parser.parse_args()
    if args.plot:
        plot(*args.plot)
        return
    results = run(args)
    if args.output:
        args.output.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
