"""Time and peak memory of `buildprof report` against `.ninja_log` size, beside nico/ninjatracing.

For each size (lines after the header) a log is generated with scripts/gen_ninja_log.py (no damaged
line: ninjatracing stops at the first one; five-ish builds of a CMake-like project, or one clean
build with --one-build), then both tools run as a user runs them, in fresh processes, alternately
(which goes first alternates too): `python -m buildprof report DIR --no-cache --format json -o FILE`
and `python3 ninjatracing LOG > FILE`. Wall time of each run, its CPU time (user + system) and peak
resident memory (GNU time's %U, %S, %M); the medians and every run go to the JSON, with the load
average seen before and after each size. ninjatracing is not part of this repository: fetch
https://github.com/nico/ninjatracing somewhere outside it and pass its `ninjatracing` script.

Examples (the numbers in docs/benchmarks.md):
    python scripts/bench_log_scaling.py --ninjatracing /tmp/ninjatracing/ninjatracing \\
        --sizes 10000 100000 1000000 10000000 --runs 5 5 3 1 --workdir /tmp/bench-logs -o scaling.json
    python scripts/bench_log_scaling.py --plot scaling.json docs/images/scaling-log.png
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def measure(command: list[str], stdout: Path) -> dict[str, float]:
    """Wall and CPU seconds and peak resident MiB of one run of `command` (its output to `stdout`).

    The command runs under GNU time (/usr/bin/time, a small C program): a process forked from this
    one would count this one's resident memory in its peak (Linux records the old memory's peak at
    exec), a child of `time` only its own.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as usage, open(stdout, "wb") as out:
        t0 = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%U %S %M", "-o", usage.name, *command],
            stdout=out,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}")
        user, system, peak_kib = usage.read().split()[-3:]
    return {"wall_s": wall, "cpu_s": float(user) + float(system), "peak_mib": int(peak_kib) / 1024}


def commands(folder: Path, ninjatracing: Path | None) -> dict[str, tuple[list[str], Path]]:
    """Each tool's command line on the log in `folder`, and the file its output goes to."""
    report = [sys.executable, "-m", "buildprof", "report", str(folder), "--no-cache", "--format", "json"]
    written = folder.parent / f"{folder.name}-buildprof.json"
    out = {"buildprof": ([*report, "-o", str(written)], Path(os.devnull))}
    if ninjatracing is not None:
        out["ninjatracing"] = (
            ["python3", str(ninjatracing), str(folder / ".ninja_log")],
            folder.parent / f"{folder.name}-ninjatracing.json",
        )
    return out


def paired(folder: Path, runs: int, ninjatracing: Path | None) -> dict:
    """Alternate runs of the tools on the log in `folder`: every run, and the medians."""
    tools = commands(folder, ninjatracing)
    names = list(tools)
    all_runs: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for k in range(runs):
        for name in names if k % 2 == 0 else names[::-1]:
            command, stdout = tools[name]
            all_runs[name].append(measure(command, stdout))
    result = {
        name: {key: statistics.median(r[key] for r in rs) for key in ("wall_s", "cpu_s", "peak_mib")}
        for name, rs in all_runs.items()
    }
    return {"median": result, "runs": all_runs}


def log_for(workdir: Path, lines: int, one_build: bool) -> Path:
    """The folder holding the generated log of `lines` lines (generated once, then reused)."""
    from gen_ninja_log import generate

    folder = workdir / (f"one-build-{lines}" if one_build else f"log-{lines}")
    log = folder / ".ninja_log"
    if not log.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        text = generate(lines, 5, 0, 5, 64, 0, edges=lines if one_build else None)
        log.write_bytes(text.encode())
    return folder


def machine() -> dict:
    """What the numbers were measured on."""
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def plot(results_path: Path, image: Path) -> None:
    """Time and peak memory against log size, both tools, on log-log axes, from the measured JSON."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = json.loads(results_path.read_text())
    rows = [r for r in results["sizes"] if not r.get("one_build")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    styles = {"buildprof": ("tab:blue", "o"), "ninjatracing": ("tab:orange", "s")}
    for tool, (color, marker) in styles.items():
        done = [r for r in rows if tool in r["median"]]
        if not done:
            continue
        lines = [r["lines"] for r in done]
        left.plot(lines, [r["median"][tool]["wall_s"] for r in done], marker=marker, color=color, label=tool)
        cpu = [r["median"][tool]["cpu_s"] for r in done]
        left.plot(lines, cpu, marker=marker, color=color, ls=":", alpha=0.6, label=f"{tool} (CPU time)")
        right.plot(
            lines, [r["median"][tool]["peak_mib"] for r in done], marker=marker, color=color, label=tool
        )
    sizes = [r["lines"] for r in rows]
    right.plot(sizes, [r["log_mib"] for r in rows], ls="--", color="gray", label="the log's size")
    right.plot(sizes, [3 * r["log_mib"] for r in rows], ls=":", color="gray", label="3x the log's size")
    for axis, title, unit in (
        (left, "wall time (CPU time dotted)", "seconds"),
        (right, "peak resident memory", "MiB"),
    ):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel(".ninja_log lines")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    m = results["machine"]
    loads = [x for r in rows for x in r["load"]]
    fig.suptitle(
        f"buildprof report --no-cache vs ninjatracing, whole process (median); {m['cpus']} CPUs "
        f"shared (load {min(loads):.1f}-{max(loads):.1f}), commit {m['commit']}",
        fontsize=10,
    )
    fig.tight_layout()
    image.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(image)


def main(argv: list[str] | None = None) -> int:
    """Measure (or, with --plot, draw) and print a table with the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ninjatracing", type=Path, help="nico/ninjatracing's script (not run without)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, nargs="+", default=[3], help="runs per size (the last repeats)")
    parser.add_argument("--one-build", action="store_true", help="one clean build of as many steps")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/buildprof-bench-logs"))
    parser.add_argument("-o", "--output", type=Path, help="JSON to write (added to if it exists)")
    parser.add_argument("--plot", nargs=2, type=Path, metavar=("JSON", "PNG"), help="draw, do not measure")
    args = parser.parse_args(argv)
    if args.plot:
        plot(*args.plot)
        return 0
    results = {"machine": machine(), "sizes": []}
    if args.output and args.output.is_file():
        results["sizes"] = json.loads(args.output.read_text())["sizes"]
    for k, lines in enumerate(args.sizes):
        folder = log_for(args.workdir, lines, args.one_build)
        runs = args.runs[min(k, len(args.runs) - 1)]
        load_before = os.getloadavg()[0]
        row = paired(folder, runs, args.ninjatracing)
        row.update(
            lines=lines,
            one_build=args.one_build,
            log_mib=(folder / ".ninja_log").stat().st_size / 2**20,
            load=[round(load_before, 2), round(os.getloadavg()[0], 2)],
        )
        results["sizes"] = [
            r for r in results["sizes"] if (r["lines"], r.get("one_build")) != (lines, args.one_build)
        ] + [row]
        ours = row["median"]["buildprof"]
        text = (
            f"{lines:>10,} lines{' (one build)' if args.one_build else ''}, {row['log_mib']:.0f} MiB, "
            f"load {row['load'][0]:.1f}-{row['load'][1]:.1f}: buildprof {ours['wall_s']:.2f} s wall, "
            f"{ours['cpu_s']:.2f} s CPU, {ours['peak_mib']:.0f} MiB "
            f"({ours['peak_mib'] / row['log_mib']:.2f}x the log)"
        )
        if "ninjatracing" in row["median"]:
            theirs = row["median"]["ninjatracing"]
            text += (
                f"; ninjatracing {theirs['wall_s']:.2f} s, {theirs['cpu_s']:.2f} s CPU, "
                f"{theirs['peak_mib']:.0f} MiB; ratio {ours['wall_s'] / theirs['wall_s']:.3f} wall, "
                f"{ours['cpu_s'] / theirs['cpu_s']:.3f} CPU, "
                f"{ours['peak_mib'] / theirs['peak_mib']:.2f} memory"
            )
        print(text, flush=True)
        if args.output:
            results["sizes"].sort(key=lambda r: (bool(r.get("one_build")), r["lines"]))
            args.output.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
