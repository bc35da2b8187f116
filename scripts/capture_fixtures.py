#!/usr/bin/env python3
"""Capture real builds of ``fixtures/sample_project`` as buildprof test fixtures.

The script builds the sample CMake project with real tools (CMake + Ninja +
clang with ``-ftime-trace``) in a *fixed* temporary location, so that the
absolute paths inside the captured files are stable and a re-capture is
reproducible (up to timings), and copies the interesting build products into
``fixtures/captures/<name>/``:

* ``.ninja_log``            -- exactly as ninja wrote it,
* ``**/*.json`` traces      -- every ``-ftime-trace`` file at its path relative
                              to the build folder, byte for byte (including the
                              trace of CMake's compiler-id check),
* ``ninja_deps.txt``        -- ``ninja -t deps`` of the same ninja binary,
* ``ninja_graph.dot``       -- ``ninja -t graph`` of the same ninja binary,
* ``compile_commands.json`` -- as CMake wrote it,
* ``ninja_output.build<N>.txt`` -- what ninja printed for build N,
* ``capture.json``          -- facts about the capture (tools, versions,
                              commands run, per-build numbers computed from
                              the log).

Captures produced (see ``fixtures/README.md``):

* ``clang19-ninja1.11``  clang++-19 + Debian ``/usr/bin/ninja`` 1.11 (log v5):
  a clean build, then a rebuild after touching ``sample/common.h``, so the log
  holds two builds.  ``ninja_log.clean`` is the log after the first build.
  Afterwards more rebuilds are run in the same folder and the real
  ``ninja -t recompact`` is applied: ``ninja_log.before_recompact`` and
  ``ninja_log.recompacted``.
* ``clang14-ninja1.13``  clang++-14 + PyPI ninja 1.13 (log v7), clean build.
* ``clang19-ninja1.13``  clang++-19 + PyPI ninja 1.13 (log v7), clean build.
* ``clang19-one-tu``     clang++-19 + Debian ``/usr/bin/ninja`` 1.11 (log v5):
  a clean build, then a rebuild after appending a comment line to the single
  source file ``text/src/csv.cc`` (a TU of the static library ``libtext.a``),
  so build 2 is one compile plus the archive and the links that depend on it.
  ``ninja_log.clean`` is the log after the first build.  ``capture.json``
  lists the outputs build 2 rebuilt and the traces it rewrote.  For this
  capture only, ninja's binary ``.ninja_deps``, ``build.ninja`` and
  ``CMakeFiles/rules.ninja`` are copied as well.
* ``damaged/``           logs derived (by this script, not by ninja) from the
  clang19-ninja1.11 log: truncated, glued and invalid-line variants.

Usage::

    python scripts/capture_fixtures.py [--out fixtures/captures] [--only NAME ...]

Only the standard library is used.  Required tools: ``clang++-19``,
``clang++-14``, ``/usr/bin/ninja`` (Debian's ninja-build 1.11), the PyPI
``ninja`` package (1.13) and ``cmake``.  With ``--only`` just the tools of the
named captures are required (``damaged`` needs none).  On Debian::

    apt-get update && apt-get install -y clang-19 clang-14 ninja-build cmake
    pip install ninja
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import itertools
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PROJECT = REPO_ROOT / "fixtures" / "sample_project"
DEFAULT_OUT = REPO_ROOT / "fixtures" / "captures"
DEFAULT_WORK = Path("/tmp/buildprof-capture")
DEBIAN_NINJA = Path("/usr/bin/ninja")

#: Header touched between the two builds of the clang19-ninja1.11 capture.
#: It is included (directly or indirectly) by almost every translation unit.
TOUCHED_HEADER = "common/include/sample/common.h"
TOUCH_LINE = "// touched by capture_fixtures.py to force a rebuild\n"

#: Source file touched between the two builds of the clang19-one-tu capture: a
#: TU of the static library ``text``, so the rebuild is that one compile, the
#: archive ``libtext.a`` and the links that depend on it.
TOUCHED_TU = "text/src/csv.cc"
#: The only compile step build 2 of clang19-one-tu may run.
TOUCHED_TU_OBJECT = "text/CMakeFiles/text.dir/src/csv.cc.o"
#: Extra build-folder files copied (byte for byte, same relative path) by the
#: captures that ask for them: ninja's binary deps log and the manifest.
MANIFEST_AND_DEPS_FILES = (".ninja_deps", "build.ninja", "CMakeFiles/rules.ninja")

#: Object files deleted (plain unlink) before the first extra rebuild that
#: precedes ``ninja -t recompact``.  ``ninja -t clean <output>`` is not used:
#: it also cleans the inputs of the output recursively, order-only ones
#: included, which with CMake's generated build.ninja removes nearly
#: everything (generated sources, static libraries and their objects).
RECOMPACT_DELETE_OUTPUTS = (
    "text/CMakeFiles/text.dir/src/pattern.cc.o",
    "engine/CMakeFiles/engine.dir/src/vm.cc.o",
)
#: Files touched (a comment line appended) for the following extra rebuilds,
#: in this order, as long as the log stays below ninja's automatic
#: recompaction threshold.
RECOMPACT_TOUCHES = (
    "codegen/opcodes.def",
    "core/include/core/strings.h",
    "meta/include/meta/typelist.h",
)


class CaptureError(RuntimeError):
    """A tool is missing or a command failed; the message says which."""


# --------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """An external program with the version it reported."""

    name: str
    path: Path
    version: str
    version_output: str


#: Tools by name, as capture specs refer to them.
Tools = dict[str, Tool]

#: Names of the tools; every build capture also needs ``cmake``.
CLANG19, CLANG14, DEBIAN_NINJA_TOOL, PYPI_NINJA, CMAKE = (
    "clang++-19",
    "clang++-14",
    "debian ninja",
    "pypi ninja",
    "cmake",
)


def _version_output(argv: list[str]) -> str:
    """Run ``argv`` (a ``--version`` query) and return its stripped stdout."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CaptureError(f"'{' '.join(argv)}' failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _pypi_ninja_path() -> Path | None:
    """Return the binary of the PyPI ``ninja`` package, or None if absent.

    The plain ``ninja`` on PATH may be a pyenv shim (pointing at the PyPI
    binary) or Debian's, so the path is taken from the package itself.
    """
    try:
        import ninja  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(ninja.BIN_DIR) / "ninja"
    return path if path.is_file() and os.access(path, os.X_OK) else None


def find_tools(names: set[str]) -> Tools:
    """Locate and version-check the tools in ``names``; raise CaptureError listing problems.

    Only the named tools are looked for, so a partial capture (``--only``)
    does not require the tools of the other captures.
    """
    problems: list[str] = []
    found: Tools = {}

    def check(name: str, path: Path | None, expect: str, pattern: str) -> None:
        if path is None or not path.is_file() or not os.access(path, os.X_OK):
            problems.append(f"{name}: not found")
            return
        out = _version_output([str(path), "--version"])
        m = re.search(pattern, out)
        version = m.group(1) if m else out.splitlines()[0]
        if not version.startswith(expect):
            problems.append(f"{name} at {path}: version {version!r}, need {expect}.x")
            return
        found[name] = Tool(name, path, version, out)

    def which(cmd: str) -> Path | None:
        p = shutil.which(cmd)
        return Path(p) if p else None

    if CLANG19 in names:
        check(CLANG19, which("clang++-19"), "19", r"clang version (\S+)")
    if CLANG14 in names:
        check(CLANG14, which("clang++-14"), "14", r"clang version (\S+)")
    if DEBIAN_NINJA_TOOL in names:
        check(DEBIAN_NINJA_TOOL, DEBIAN_NINJA, "1.11", r"^(\S+)")
    if PYPI_NINJA in names:
        check(PYPI_NINJA, _pypi_ninja_path(), "1.13", r"^(\S+)")
    if CMAKE in names:
        check(CMAKE, which("cmake"), "3.", r"cmake version (\S+)")
    if problems:
        raise CaptureError(
            "missing or unexpected tools:\n  - "
            + "\n  - ".join(problems)
            + "\nOn Debian: apt-get update && apt-get install -y clang-19 clang-14 "
            "ninja-build cmake; and: pip install ninja  (PyPI ninja 1.13)"
        )
    return found


# --------------------------------------------------------------------------
# Running commands
# --------------------------------------------------------------------------


@dataclass
class Runner:
    """Runs commands and records each one (argv, cwd, env overrides, result)."""

    env_overrides: dict[str, str]
    log: list[dict[str, Any]] = field(default_factory=list)

    def run(self, argv: list[str], cwd: Path, purpose: str, stdout_file: Path | None = None) -> str:
        """Run ``argv`` in ``cwd``; return its stdout; raise on failure.

        If ``stdout_file`` is given, stdout is also written there unchanged.
        """
        env = dict(os.environ)
        env.update(self.env_overrides)
        t0 = time.monotonic()
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - t0
        self.log.append(
            {
                "purpose": purpose,
                "argv": argv,
                "cwd": str(cwd),
                "returncode": proc.returncode,
                "wall_s": round(wall, 3),
            }
        )
        if proc.returncode != 0:
            raise CaptureError(
                f"command failed ({proc.returncode}): {' '.join(argv)} in {cwd}\n"
                f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
            )
        if stdout_file is not None:
            stdout_file.write_text(proc.stdout)
        return proc.stdout


# --------------------------------------------------------------------------
# .ninja_log analysis
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LogEntry:
    """One well-formed ``.ninja_log`` line."""

    line_no: int  # 1-based line number in the file (the header is line 1)
    start_ms: int
    end_ms: int
    mtime: int
    output: str
    cmdhash: str


def read_log(path: Path) -> tuple[str, list[LogEntry]]:
    """Parse a well-formed ``.ninja_log``: return (header line, entries)."""
    lines = path.read_text().splitlines()
    header = lines[0]
    entries = []
    for no, line in enumerate(lines[1:], start=2):
        start, end, mtime, output, cmdhash = line.split("\t")
        entries.append(LogEntry(no, int(start), int(end), int(mtime), output, cmdhash))
    return header, entries


def log_version(header: str) -> int:
    """Return N from a ``# ninja log vN`` header line."""
    m = re.fullmatch(r"# ninja log v(\d+)", header)
    if not m:
        raise CaptureError(f"unexpected .ninja_log header {header!r}")
    return int(m.group(1))


def summarize_build(index: int, kind: str, entries: list[LogEntry]) -> dict[str, Any]:
    """Numbers for one build, given the log entries it appended.

    A *step* is one ninja edge: the lines of a multi-output edge share
    start, end and command hash, so steps are the distinct
    (start_ms, end_ms, cmdhash) triples.  ``wall_ms`` is
    ``max(end_ms) - min(start_ms)`` over the build's lines; ``max_end_ms`` is
    the end of the last step relative to ninja's start.
    """
    steps: dict[tuple[int, int, str], list[str]] = {}
    for e in entries:
        steps.setdefault((e.start_ms, e.end_ms, e.cmdhash), []).append(e.output)
    multi = [outs for outs in steps.values() if len(outs) > 1]
    return {
        "index": index,
        "kind": kind,
        "first_line": entries[0].line_no,
        "last_line": entries[-1].line_no,
        "lines": len(entries),
        "steps": len(steps),
        "min_start_ms": min(e.start_ms for e in entries),
        "max_end_ms": max(e.end_ms for e in entries),
        "wall_ms": max(e.end_ms for e in entries) - min(e.start_ms for e in entries),
        "sum_step_ms": sum(end - start for (start, end, _h) in steps),
        "multi_output_steps": multi,
    }


def ninja_reported_steps(output: str) -> int | None:
    """Return N from the last ``[n/N]`` status line ninja printed, if any."""
    totals = re.findall(r"^\[(\d+)/(\d+)\]", output, flags=re.M)
    return int(totals[-1][1]) if totals else None


def count_unique_outputs(path: Path) -> tuple[int, int]:
    """Return (entries, unique outputs) of a log, as ninja's Load() counts them."""
    _header, entries = read_log(path)
    return len(entries), len({e.output for e in entries})


def would_auto_recompact(path: Path) -> bool:
    """True if ninja would recompact this log before the next build.

    Mirrors BuildLog::Load(): more than 100 entries and more than three times
    as many entries as unique outputs.
    """
    total, unique = count_unique_outputs(path)
    return total > 100 and total > 3 * unique


def out_of_order_lines(entries: list[LogEntry]) -> list[int]:
    """Line numbers whose start time is smaller than the previous line's."""
    return [b.line_no for a, b in itertools.pairwise(entries) if b.start_ms < a.start_ms]


# --------------------------------------------------------------------------
# One capture
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CaptureSpec:
    """What to build for one capture.

    ``compiler`` and ``ninja`` are tool names (keys of :data:`Tools`).  If
    ``touch`` is set, a comment line is appended to that file (relative to
    the source folder) after the clean build and a second build is run; when
    ``expect_build2_compiles`` is set too, build 2 must compile exactly those
    outputs.  ``copy_manifest_and_deps`` also copies
    :data:`MANIFEST_AND_DEPS_FILES`.
    """

    name: str
    description: str
    compiler: str
    ninja: str
    touch: str | None = None
    expect_build2_compiles: tuple[str, ...] | None = None
    copy_manifest_and_deps: bool = False
    recompact_experiment: bool = False

    def tool_names(self) -> set[str]:
        """The tools this capture runs."""
        return {self.compiler, self.ninja, CMAKE}


def is_trace(path: Path) -> bool:
    """True if ``path`` is a clang -ftime-trace JSON file."""
    with path.open("rb") as f:
        return f.read(16).startswith(b'{"traceEvents"')


def collect_traces(build: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy every trace under ``build`` to the same relative path under ``dest``."""
    traces = []
    for path in sorted(build.rglob("*.json")):
        if not path.is_file() or not is_trace(path):
            continue
        rel = path.relative_to(build)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        traces.append({"path": rel.as_posix(), "bytes": path.stat().st_size})
    return traces


def collect_tmpdir_traces(tmpdir: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy traces that clang wrote into TMPDIR (older clang puts the trace of
    a compile-and-link invocation, such as CMake's compiler-id check, next to
    its temporary object file) to ``dest/TMPDIR/``."""
    traces = []
    for path in sorted(tmpdir.glob("*.json")):
        if not is_trace(path):
            continue
        target = dest / "TMPDIR" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        traces.append({"path": f"TMPDIR/{path.name}", "bytes": path.stat().st_size})
    return traces


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trace_snapshot(build: Path) -> dict[str, tuple[int, int, str]]:
    """(mtime_ns, bytes, sha256) of every trace under ``build``, by relative path."""
    snap = {}
    for path in sorted(build.rglob("*.json")):
        if path.is_file() and is_trace(path):
            st = path.stat()
            snap[path.relative_to(build).as_posix()] = (st.st_mtime_ns, st.st_size, file_sha256(path))
    return snap


def execute_compiler_ms(trace: bytes) -> float | None:
    """``dur`` of the trace's ``Total ExecuteCompiler`` event, in ms (None if absent)."""
    for event in json.loads(trace)["traceEvents"]:
        if event.get("name") == "Total ExecuteCompiler":
            return event["dur"] / 1000
    return None


def rewritten_traces(
    before: dict[str, tuple[int, int, str]],
    before_bytes: dict[str, bytes],
    after: dict[str, tuple[int, int, str]],
    build: Path,
) -> list[dict[str, Any]]:
    """The traces a build created or changed (new mtime or new content).

    ``before_bytes`` holds the content of every trace before the build, so
    the ``Total ExecuteCompiler`` time of both versions can be reported.
    """
    changed = []
    for rel, (mtime, size, digest) in after.items():
        old = before.get(rel)
        if old == (mtime, size, digest):
            continue
        changed.append(
            {
                "path": rel,
                "mtime_changed": old is None or old[0] != mtime,
                "content_changed": old is None or old[2] != digest,
                "bytes_before": None if old is None else old[1],
                "bytes_after": size,
                "execute_compiler_ms_before": (
                    None if old is None else execute_compiler_ms(before_bytes[rel])
                ),
                "execute_compiler_ms_after": execute_compiler_ms((build / rel).read_bytes()),
            }
        )
    return changed


def run_capture(
    spec: CaptureSpec, tools: Tools, out_root: Path, work_root: Path, jobs: int
) -> dict[str, Any]:
    """Build the sample project for ``spec`` and write ``out_root/<name>/``."""
    compiler, ninja_tool, cmake = tools[spec.compiler], tools[spec.ninja], tools[CMAKE]
    work = work_root / spec.name
    src, build, tmp = work / "src", work / "build", work / "tmp"
    out = out_root / spec.name
    print(f"== {spec.name}: {spec.description}", flush=True)
    if work.exists():
        shutil.rmtree(work)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(SAMPLE_PROJECT, src)
    build.mkdir(parents=True)
    tmp.mkdir()
    out.mkdir(parents=True)

    # TMPDIR is pinned so that traces clang writes to the temp dir (clang 14's
    # compiler-id trace) are found, and nothing else lands in /tmp.
    runner = Runner(env_overrides={"TMPDIR": str(tmp)})
    runner.log.append(
        {
            "purpose": f"copy {SAMPLE_PROJECT.relative_to(REPO_ROOT)} to {src}; create {build} and {tmp}",
            "argv": [],
            "cwd": str(work),
            "returncode": 0,
            "wall_s": 0,
        }
    )
    ninja = str(ninja_tool.path)
    runner.run(
        [
            str(cmake.path),
            "-S",
            str(src),
            "-B",
            str(build),
            "-G",
            "Ninja",
            f"-DCMAKE_MAKE_PROGRAM={ninja}",
            f"-DCMAKE_CXX_COMPILER={compiler.path}",
            "-DCMAKE_CXX_FLAGS=-ftime-trace",
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        ],
        cwd=work,
        purpose="configure",
    )

    build_kinds = ["clean"]
    outputs = [
        runner.run(
            [ninja, f"-j{jobs}"],
            cwd=build,
            purpose="build 1 (clean)",
            stdout_file=out / "ninja_output.build1.txt",
        )
    ]
    log_path = build / ".ninja_log"
    shutil.copyfile(log_path, out / "ninja_log.clean")
    lines_after = [len(log_path.read_text().splitlines())]

    traces_rewritten: list[dict[str, Any]] | None = None
    if spec.touch:
        snap_before = trace_snapshot(build)
        bytes_before = {rel: (build / rel).read_bytes() for rel in snap_before}
        time.sleep(1.1)  # make the new mtime unambiguous on any file system
        with (src / spec.touch).open("a") as f:
            f.write(TOUCH_LINE)
        runner.log.append(
            {
                "purpose": f"append a comment line to src/{spec.touch}",
                "argv": [],
                "cwd": str(src),
                "returncode": 0,
                "wall_s": 0,
            }
        )
        build_kinds.append(f"incremental: src/{spec.touch} touched")
        outputs.append(
            runner.run(
                [ninja, f"-j{jobs}"],
                cwd=build,
                purpose=f"build 2 (after touching {Path(spec.touch).name})",
                stdout_file=out / "ninja_output.build2.txt",
            )
        )
        lines_after.append(len(log_path.read_text().splitlines()))
        traces_rewritten = rewritten_traces(snap_before, bytes_before, trace_snapshot(build), build)
    else:
        (out / "ninja_log.clean").unlink()  # identical to .ninja_log

    extra_files: list[dict[str, Any]] = []
    if spec.copy_manifest_and_deps:
        # Copied right after the last build; checked again after the
        # ``ninja -t`` tools below, which must not change them.
        for rel in MANIFEST_AND_DEPS_FILES:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(build / rel, target)
            extra_files.append({"path": rel, "bytes": target.stat().st_size, "sha256": file_sha256(target)})

    runner.run([ninja, "-t", "deps"], cwd=build, purpose="ninja -t deps", stdout_file=out / "ninja_deps.txt")
    runner.run(
        [ninja, "-t", "graph"], cwd=build, purpose="ninja -t graph", stdout_file=out / "ninja_graph.dot"
    )
    for extra in extra_files:
        if file_sha256(build / extra["path"]) != extra["sha256"]:
            raise CaptureError(f"{extra['path']} changed while running ninja -t deps/graph")
    shutil.copyfile(log_path, out / ".ninja_log")
    shutil.copyfile(build / "compile_commands.json", out / "compile_commands.json")
    traces = collect_traces(build, out) + collect_tmpdir_traces(tmp, out)

    header, entries = read_log(log_path)
    builds = []
    first = 2
    for i, (kind, end_line) in enumerate(zip(build_kinds, lines_after, strict=True), start=1):
        chunk = [e for e in entries if first <= e.line_no <= end_line]
        summary = summarize_build(i, kind, chunk)
        summary["ninja_reported_steps"] = ninja_reported_steps(outputs[i - 1])
        if i > 1:
            rebuilt = list(dict.fromkeys(e.output for e in chunk))
            summary["outputs_rebuilt"] = rebuilt
            summary["compile_outputs_rebuilt"] = [o for o in rebuilt if o.endswith(".o")]
            summary["traces_rewritten"] = traces_rewritten
        builds.append(summary)
        first = end_line + 1
    if spec.expect_build2_compiles is not None:
        got = builds[1]["compile_outputs_rebuilt"]
        if got != list(spec.expect_build2_compiles):
            raise CaptureError(f"build 2 compiled {got}, expected {list(spec.expect_build2_compiles)}")

    facts: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "captured_at_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "compiler": {
            "path": str(compiler.path),
            "version": compiler.version,
            "version_output": compiler.version_output,
        },
        "ninja": {"path": ninja, "version": ninja_tool.version},
        "cmake": {"path": str(cmake.path), "version": cmake.version},
        "source_dir": str(src),
        "build_dir": str(build),
        "env_overrides": runner.env_overrides,
        "jobs": jobs,
        "log_header": header,
        "log_version": log_version(header),
        "log_lines": len(entries) + 1,
        "log_entries": len(entries),
        "log_unique_outputs": len({e.output for e in entries}),
        "builds": builds,
        "steps_total": sum(b["steps"] for b in builds),
        "traces": {"count": len(traces), "total_bytes": sum(t["bytes"] for t in traces), "files": traces},
    }
    if extra_files:
        facts["manifest_and_deps_files"] = {
            "note": "copied for this capture only, byte for byte, right after the last build: "
            "ninja's binary deps log and the manifest (build.ninja includes CMakeFiles/rules.ninja)",
            "files": extra_files,
        }
    if spec.recompact_experiment:
        facts["recompact"] = recompact_experiment(ninja, runner, src, build, out, jobs)
    facts["commands"] = runner.log
    (out / "capture.json").write_text(json.dumps(facts, indent=2) + "\n")
    print(
        f"   log v{facts['log_version']}: {facts['log_lines']} lines, "
        + ", ".join(
            f"build {b['index']}: {b['lines']} lines / {b['steps']} steps / {b['wall_ms']} ms" for b in builds
        )
        + f"; {len(traces)} traces, {facts['traces']['total_bytes']} bytes",
        flush=True,
    )
    return facts


def recompact_experiment(
    ninja: str, runner: Runner, src: Path, build: Path, out: Path, jobs: int
) -> dict[str, Any]:
    """Run more rebuilds in ``build``, then the real ``ninja -t recompact``.

    Each extra rebuild is only started while the log is still below ninja's
    automatic recompaction threshold, so ``ninja_log.before_recompact`` is a
    plain append-only log of several builds.  ``ninja -t recompact`` rewrites
    the log unconditionally (the threshold only governs the automatic
    recompaction at the start of a build) with one line per live output, in
    the iteration order of ninja's hash map.  ``ninja`` is the binary's path.
    """
    log_path = build / ".ninja_log"
    actions: list[tuple[str, list[str]]] = [("delete " + " ".join(RECOMPACT_DELETE_OUTPUTS), [])]
    for rel in RECOMPACT_TOUCHES:
        actions.append((f"touch src/{rel}", [rel]))
    done: list[dict[str, Any]] = []
    for what, touch in actions:
        if would_auto_recompact(log_path):
            break
        lines_before = len(log_path.read_text().splitlines())
        time.sleep(1.1)
        if touch:
            for rel in touch:
                p = src / rel
                with p.open("a") as f:
                    f.write("# touched\n" if p.suffix == ".def" else TOUCH_LINE)
            runner.log.append(
                {
                    "purpose": f"append a comment line to src/{touch[0]}",
                    "argv": [],
                    "cwd": str(src),
                    "returncode": 0,
                    "wall_s": 0,
                }
            )
        else:
            for rel in RECOMPACT_DELETE_OUTPUTS:
                (build / rel).unlink()
            runner.log.append(
                {
                    "purpose": "delete build/" + " build/".join(RECOMPACT_DELETE_OUTPUTS),
                    "argv": [],
                    "cwd": str(build),
                    "returncode": 0,
                    "wall_s": 0,
                }
            )
        runner.run([ninja, f"-j{jobs}"], cwd=build, purpose=f"extra build: {what}")
        lines_after = len(log_path.read_text().splitlines())
        if lines_after < lines_before:
            raise CaptureError("ninja recompacted the log on its own during an extra build")
        done.append({"action": what, "first_line": lines_before + 1, "last_line": lines_after})
    shutil.copyfile(log_path, out / "ninja_log.before_recompact")
    before_total, before_unique = count_unique_outputs(log_path)
    runner.run([ninja, "-t", "recompact"], cwd=build, purpose="ninja -t recompact")
    shutil.copyfile(log_path, out / "ninja_log.recompacted")
    header, entries = read_log(log_path)
    disorder = out_of_order_lines(entries)
    return {
        "extra_builds": done,
        "before_recompact": {
            "lines": before_total + 1,
            "entries": before_total,
            "unique_outputs": before_unique,
        },
        "recompacted": {
            "header": header,
            "lines": len(entries) + 1,
            "entries": len(entries),
            "unique_outputs": len({e.output for e in entries}),
            "start_time_decreases_at_lines": disorder,
        },
    }


# --------------------------------------------------------------------------
# Derived (damaged) logs
# --------------------------------------------------------------------------


def write_damaged_logs(source_dir: Path, dest: Path) -> dict[str, Any]:
    """Write hand-damaged copies of ``source_dir/.ninja_log`` into ``dest``.

    ``source_dir`` must hold a two-build ``.ninja_log`` and ``ninja_log.clean``
    (the log after the first build).  Line numbers are 1-based and count the
    ``# ninja log vN`` header as line 1.
    """
    raw = (source_dir / ".ninja_log").read_text()
    lines = raw.splitlines(keepends=True)
    n_clean = len((source_dir / "ninja_log.clean").read_text().splitlines())
    n_total = len(lines)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    facts: dict[str, Any] = {
        "derived_from": f"{source_dir.name}/.ninja_log",
        "source_lines": n_total,
        "source_build1_last_line": n_clean,
    }

    def cut_in_output_field(line: str) -> str:
        """Keep the first three fields and half of the output path."""
        fields = line.rstrip("\n").split("\t")
        return "\t".join(fields[:3]) + "\t" + fields[3][: len(fields[3]) // 2]

    # 1. truncated: the last line stops in the middle of its output field and
    #    has no newline, as a build killed while writing the log leaves it.
    truncated = "".join(lines[:-1]) + cut_in_output_field(lines[-1])
    (dest / "ninja_log.truncated").write_text(truncated)
    facts["ninja_log.truncated"] = {
        "lines": n_total,
        "damaged_lines": [n_total],
        "what": f"line {n_total} (the last) is cut inside its 4th field (output path), "
        "no trailing newline; lines 1..%d are intact" % (n_total - 1),
    }

    # 2. glued: build 1 is killed while writing its last line; build 2 then
    #    appends its first line directly after the partial one.
    glued = "".join(lines[: n_clean - 1]) + cut_in_output_field(lines[n_clean - 1]) + "".join(lines[n_clean:])
    (dest / "ninja_log.glued").write_text(glued)
    facts["ninja_log.glued"] = {
        "lines": n_total - 1,
        "damaged_lines": [n_clean],
        "what": f"line {n_clean} = first half of original line {n_clean} (last entry of "
        f"build 1, cut inside the output field) immediately followed by original "
        f"line {n_clean + 1} (first entry of build 2); lines after it are original "
        f"lines {n_clean + 2}..{n_total} shifted up by one",
    }

    # 3. invalid: one object-file line in the middle of build 1 (not part of
    #    a multi-output edge) gets a non-numeric start time.
    bad = 2 + (n_clean - 2) // 2
    while not lines[bad - 1].split("\t")[3].endswith(".o"):
        bad += 1
    fields = lines[bad - 1].split("\t")
    fields[0] = "bad"
    invalid = lines[:]
    invalid[bad - 1] = "\t".join(fields)
    (dest / "ninja_log.invalid_start").write_text("".join(invalid))
    facts["ninja_log.invalid_start"] = {
        "lines": n_total,
        "damaged_lines": [bad],
        "what": f"line {bad}: start field replaced by the text 'bad'; all other lines intact",
    }

    readme = [
        "# Damaged ninja logs (derived, not written by ninja)",
        "",
        f"Written by `scripts/capture_fixtures.py` from `{facts['derived_from']}` "
        f"({n_total} lines: header, build 1 = lines 2..{n_clean}, "
        f"build 2 = lines {n_clean + 1}..{n_total}).",
        "Line numbers are 1-based; the `# ninja log v5` header is line 1.",
        "",
    ]
    for name in ("ninja_log.truncated", "ninja_log.glued", "ninja_log.invalid_start"):
        readme.append(f"- `{name}` ({facts[name]['lines']} lines): {facts[name]['what']}.")
    (dest / "README.md").write_text("\n".join(readme) + "\n")
    (dest / "damage.json").write_text(json.dumps(facts, indent=2) + "\n")
    return facts


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def capture_specs() -> list[CaptureSpec]:
    """The captures this script produces, in order."""
    return [
        CaptureSpec(
            "clang19-ninja1.11",
            "clang++-19 + Debian ninja 1.11 (log v5): clean build, then a "
            "rebuild after touching sample/common.h",
            CLANG19,
            DEBIAN_NINJA_TOOL,
            touch=TOUCHED_HEADER,
            recompact_experiment=True,
        ),
        CaptureSpec(
            "clang14-ninja1.13",
            "clang++-14 + PyPI ninja 1.13 (log v7): clean build",
            CLANG14,
            PYPI_NINJA,
        ),
        CaptureSpec(
            "clang19-ninja1.13",
            "clang++-19 + PyPI ninja 1.13 (log v7): clean build",
            CLANG19,
            PYPI_NINJA,
        ),
        CaptureSpec(
            "clang19-one-tu",
            "clang++-19 + Debian ninja 1.11 (log v5): clean build, then a "
            f"rebuild after touching the one translation unit {TOUCHED_TU}",
            CLANG19,
            DEBIAN_NINJA_TOOL,
            touch=TOUCHED_TU,
            expect_build2_compiles=(TOUCHED_TU_OBJECT,),
            copy_manifest_and_deps=True,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="where the capture folders go (default: %(default)s)"
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=DEFAULT_WORK,
        help="fixed scratch folder for sources and builds; keep the "
        "default so paths inside the captures stay the same",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help="capture only these and require only their tools (names: clang19-ninja1.11, "
        "clang14-ninja1.13, clang19-ninja1.13, clang19-one-tu, damaged)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="ninja -j (default 2)")
    args = parser.parse_args(argv)

    try:
        out_root = args.out.resolve()
        specs = capture_specs()
        wanted = set(args.only or [s.name for s in specs] + ["damaged"])
        unknown = wanted - {s.name for s in specs} - {"damaged"}
        if unknown:
            raise CaptureError(f"unknown capture name(s): {', '.join(sorted(unknown))}")
        tools = find_tools(set().union(*(s.tool_names() for s in specs if s.name in wanted)))
        for spec in specs:
            if spec.name in wanted:
                run_capture(spec, tools, out_root, args.work, args.jobs)
        if "damaged" in wanted:
            src = out_root / "clang19-ninja1.11"
            if not (src / ".ninja_log").is_file():
                raise CaptureError(f"{src}/.ninja_log missing: capture clang19-ninja1.11 first")
            write_damaged_logs(src, out_root / "damaged")
            print("== damaged: derived logs written", flush=True)
    except CaptureError as exc:
        print(f"capture_fixtures: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
