#!/usr/bin/env python3
"""Capture a real series of clean builds of ``fixtures/sample_project``, commit by commit, for the
regression tests and to choose the regression defaults on real numbers (docs/regressions.md).

The project is copied into a scratch git repository (``/tmp/buildprof-series/src``, a fixed path so
the traces' paths are stable) and each step of :data:`STEPS` edits it (or not), commits (an empty
commit when nothing changed, as a CI re-run would), and builds it CLEAN with clang++-19
``-ftime-trace`` and Debian's ninja 1.11, optionally while a background process keeps one CPU busy
part of the time (real machine noise on top of what the shared machine already has). Each build's
``.ninja_log``, manifest and traces go into ``fixtures/series/NN-<name>.tar.xz``; ``series.json``
lists the builds: commit, what changed, the load, the expected verdict against the build before it
and the header to blame.

    python scripts/capture_series.py [--out fixtures/series] [--jobs 2]

Only the standard library is used. Required: clang++-19, /usr/bin/ninja (1.11), cmake, git.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from capture_tools import CLANG19, CMAKE, DEBIAN_NINJA_TOOL, CaptureError, Runner, find_tools

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROJECT = REPO_ROOT / "fixtures" / "sample_project"
WORK = Path("/tmp/buildprof-series")
COMMON_H = "common/include/sample/common.h"
STATUS_H = "core/include/core/status.h"
ROOT_CMAKE = "CMakeLists.txt"

# A compile-time table built by recursive class templates: each step instantiates a class with a
# longer pack, so the cost grows with N squared. Three tables of 280: about 0.25 s per TU, machine quiet.
HEAVY_TABLE = """
// Compile-time code table (series step "regression-template": heavy template code in a header).
namespace core::detail {
template <unsigned Seed, unsigned N, unsigned... Acc>
struct CodeTable : CodeTable<Seed, N - 1, (((N * 2654435761u) ^ Seed) >> 7), Acc...> {};
template <unsigned Seed, unsigned... Acc>
struct CodeTable<Seed, 0, Acc...> {
  static constexpr unsigned values[] = {Acc...};
};
inline constexpr const unsigned* kCodeTables[] = {
    CodeTable<1, 280>::values, CodeTable<2, 280>::values, CodeTable<3, 280>::values};
}  // namespace core::detail
"""


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        raise CaptureError(f"{path}: {old!r} not found")
    path.write_text(text.replace(old, new, 1))


def heavier_common(src: Path) -> None:
    """sample/common.h, included by 21 of the 22 TUs, starts including <functional> and <random>."""
    _replace(
        src / COMMON_H,
        "#include <cstdint>\n",
        "#include <cstdint>\n#include <functional>\n#include <random>\n",
    )


def lighter_common(src: Path) -> None:
    """The two includes are dropped again."""
    _replace(src / COMMON_H, "#include <functional>\n#include <random>\n", "")


def heavier_status(src: Path) -> None:
    """core/status.h (13 TUs) gains a compile-time table built by recursive templates."""
    _replace(src / STATUS_H, "namespace core {\n", HEAVY_TABLE + "\nnamespace core {\n")


def lighter_status(src: Path) -> None:
    """The table is removed again."""
    _replace(src / STATUS_H, HEAVY_TABLE + "\n", "")


def line_tables(src: Path) -> None:
    """Every TU is compiled with -g1 (line tables): a small cost spread over all of them."""
    _replace(
        src / ROOT_CMAKE,
        "add_compile_options(-O1 -Wall -Wextra)",
        "add_compile_options(-O1 -g1 -Wall -Wextra)",
    )


@dataclass(frozen=True)
class Step:
    """One build of the series: what is changed before it, and what a judge must say about it."""

    name: str
    change: str
    expected: str | None  # "passed" or "regressed" against the build before; None for the first
    edit: Callable[[Path], None] | None = None
    commit: bool = True  # False: rebuild the same commit
    load: float = 0.0  # share of the time a background process keeps one CPU busy
    blame: str | None = None  # the header a regression must be blamed on (path in the sources)


STEPS = (
    Step("base", "the sample project as committed", None),
    Step("rebuild", "the same commit built clean again", "passed", commit=False),
    Step("rerun", "an empty commit (a CI re-run), built clean", "passed"),
    Step("loaded", "an empty commit, built under background CPU load", "passed", load=0.5),
    Step("loaded-again", "an empty commit, built under heavier load", "passed", load=0.8),
    Step(
        "regression-include",
        heavier_common.__doc__ or "",
        "regressed",
        heavier_common,
        blame=COMMON_H,
    ),
    Step("rebuild-regressed", "the same commit built clean again", "passed", commit=False),
    Step("improvement-include", lighter_common.__doc__ or "", "passed", lighter_common),
    Step(
        "regression-template",
        heavier_status.__doc__ or "",
        "regressed",
        heavier_status,
        load=0.5,
        blame=STATUS_H,
    ),
    Step("improvement-template", lighter_status.__doc__ or "", "passed", lighter_status),
    Step("spread-small", line_tables.__doc__ or "", "passed", line_tables),
    Step("rerun-loaded", "an empty commit, built under background CPU load", "passed", load=0.5),
)

_BUSY = """
import sys, time
duty, period = float(sys.argv[1]), 0.05
while True:
    start = time.perf_counter()
    while time.perf_counter() - start < duty * period:
        pass
    time.sleep((1 - duty) * period)
"""


def _git(src: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="series", GIT_AUTHOR_EMAIL="series@example.invalid")
    env.update(GIT_COMMITTER_NAME="series", GIT_COMMITTER_EMAIL="series@example.invalid")
    proc = subprocess.run(["git", *args], cwd=src, env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise CaptureError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _build(step: Step, tools: dict, src: Path, build: Path, runner: Runner, jobs: int) -> float:
    """Configure and build `src` clean into `build`, under the step's load; return the build's seconds."""
    if build.exists():
        shutil.rmtree(build)
    runner.run(
        [
            str(tools[CMAKE].path),
            *("-S", str(src), "-B", str(build), "-G", "Ninja"),
            f"-DCMAKE_MAKE_PROGRAM={tools[DEBIAN_NINJA_TOOL].path}",
            f"-DCMAKE_CXX_COMPILER={tools[CLANG19].path}",
            "-DCMAKE_CXX_FLAGS=-ftime-trace",
        ],
        cwd=WORK,
        purpose=f"{step.name}: configure",
    )
    busy = None
    if step.load:
        busy = subprocess.Popen([sys.executable, "-c", _BUSY, str(step.load)])
    try:
        start = time.monotonic()
        runner.run(
            [str(tools[DEBIAN_NINJA_TOOL].path), f"-j{jobs}"], cwd=build, purpose=f"{step.name}: build"
        )
        return time.monotonic() - start
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


def _archive(build: Path, dest: Path) -> list[str]:
    """Pack the log, the manifest and every TU trace of `build` into `dest` (tar.xz); return the names."""
    names = [".ninja_log", "build.ninja", "CMakeFiles/rules.ninja"]
    names += sorted(
        str(p.relative_to(build))
        for p in build.rglob("*.json")
        if p.name != "compile_commands.json" and p.relative_to(build).parts[0] != "CMakeFiles"
    )
    with tarfile.open(dest, "w:xz", preset=9) as tar:
        for name in names:
            info = tar.gettarinfo(str(build / name), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with (build / name).open("rb") as f:
                tar.addfile(info, f)
    return names


def _log_numbers(log: Path) -> dict[str, int]:
    """Steps, summed step time and wall time of the (single, clean) build in `log`."""
    steps = {}
    for line in log.read_text().splitlines()[1:]:
        start, end, _mtime, _out, cmdhash = line.split("\t")
        steps[(int(start), int(end), cmdhash)] = int(end) - int(start)
    starts = [k[0] for k in steps]
    ends = [k[1] for k in steps]
    return {"steps": len(steps), "cpu_ms": sum(steps.values()), "wall_ms": max(ends) - min(starts)}


def capture(out: Path, jobs: int) -> dict:
    """Run every step of :data:`STEPS`; write the archives and series.json into `out`."""
    tools = find_tools({CLANG19, DEBIAN_NINJA_TOOL, CMAKE})
    if shutil.which("git") is None:
        raise CaptureError("git: not found")
    if WORK.exists():
        shutil.rmtree(WORK)
    src, build = WORK / "src", WORK / "build"
    shutil.copytree(SAMPLE_PROJECT, src)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.tar.xz"):
        old.unlink()
    _git(src, "init", "-q", "-b", "main")
    runner = Runner(env_overrides={})
    builds = []
    for index, step in enumerate(STEPS):
        if step.edit is not None:
            step.edit(src)
        if step.commit:
            _git(src, "add", "-A")
            _git(src, "commit", "-q", "--allow-empty", "-m", f"{step.name}: {step.change}")
        load_before = _loadavg()
        seconds = _build(step, tools, src, build, runner, jobs)
        archive = out / f"{index:02d}-{step.name}.tar.xz"
        files = _archive(build, archive)
        numbers = _log_numbers(build / ".ninja_log")
        print(f"{archive.name}: {numbers} load {load_before} -> {_loadavg()}", flush=True)
        builds.append(
            {
                "index": index,
                "name": step.name,
                "archive": archive.name,
                "commit": _git(src, "rev-parse", "HEAD"),
                "change": step.change,
                "new_commit": step.commit,
                "background_load": step.load,
                "loadavg_before": load_before,
                "loadavg_after": _loadavg(),
                "expected": step.expected,
                "blame": str(src / step.blame) if step.blame else None,
                "build_s": round(seconds, 3),
                "traces": len(files) - 3,
                "archive_bytes": archive.stat().st_size,
                **numbers,
            }
        )
    series = {
        "project": "fixtures/sample_project, copied to " + str(src),
        "build_dir": str(build),
        "tools": {name: {"path": str(t.path), "version": t.version} for name, t in tools.items()},
        "jobs": jobs,
        "cores": os.cpu_count(),
        "expected_against": "the build before it (the previous commit's build, as CI compares)",
        "builds": builds,
        "commands": runner.log,
    }
    (out / "series.json").write_text(json.dumps(series, indent=2) + "\n")
    return series


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "fixtures" / "series")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        capture(args.out, args.jobs)
    except CaptureError as exc:
        print(f"capture_series: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
