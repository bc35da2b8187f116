"""Run one capture: build the sample project with real tools and collect its files.

:func:`run_capture` copies ``fixtures/sample_project`` to a fixed scratch
folder (so absolute paths in the captured files are stable), configures it
with CMake for the capture's compiler and ninja, runs the clean build and,
if the :class:`CaptureSpec` asks for it, a rebuild after touching one file,
then copies the log, traces, ``ninja -t deps``/``graph`` output and
compile commands into ``<out>/<name>/`` and writes ``capture.json``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from capture_logs import (
    TOUCH_LINE,
    entry_key,
    log_version,
    ninja_reported_steps,
    read_log,
    recompact_experiment,
    summarize_build,
)
from capture_probes import probe_headers
from capture_tools import CMAKE, CaptureError, Runner, Tools
from capture_traces import (
    collect_tmpdir_traces,
    collect_traces,
    file_sha256,
    rewritten_traces,
    trace_snapshot,
)

#: The repository (this module lives in its ``scripts/`` folder).
REPO_ROOT = Path(__file__).resolve().parent.parent
#: The CMake project every capture builds, copied to the scratch folder first.
SAMPLE_PROJECT = REPO_ROOT / "fixtures" / "sample_project"

#: Extra build-folder files copied (byte for byte, same relative path) by the
#: captures that ask for them: ninja's binary deps log and the manifest.
MANIFEST_AND_DEPS_FILES = (".ninja_deps", "build.ninja", "CMakeFiles/rules.ninja")


@dataclass(frozen=True)
class CaptureSpec:
    """What to build for one capture.

    ``compiler`` and ``ninja`` are tool names (keys of :data:`Tools`).  If
    ``touch`` is set, a comment line is appended to that file (relative to
    the source folder) after the clean build and a second build is run; when
    ``expect_build2_compiles`` is set too, build 2 must compile exactly those
    outputs.  ``copy_manifest_and_deps`` also copies
    :data:`MANIFEST_AND_DEPS_FILES`.  ``probe_headers`` touches every header
    between the clean build and the touch, recording what ninja rebuilds for
    each (``header_probes.json``, see capture_probes.py).
    """

    name: str
    description: str
    compiler: str
    ninja: str
    touch: str | None = None
    expect_build2_compiles: tuple[str, ...] | None = None
    copy_manifest_and_deps: bool = False
    recompact_experiment: bool = False
    probe_headers: bool = False

    def tool_names(self) -> set[str]:
        """The tools this capture runs."""
        return {self.compiler, self.ninja, CMAKE}


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
    if spec.probe_headers:
        probes = probe_headers(ninja, runner, src, build, jobs)
        (out / "header_probes.json").write_text(json.dumps(probes, indent=1) + "\n")
    # The lines each build added: build 1's from the clean log; a later build's are the entries that
    # were not in the log before it (ninja may recompact the log between builds, renumbering lines).
    before_build2 = set(map(entry_key, read_log(log_path)[1]))

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
    chunks = [read_log(out / "ninja_log.clean")[1] if spec.touch else entries]
    chunks.append([e for e in entries if entry_key(e) not in before_build2])
    for i, (kind, chunk) in enumerate(zip(build_kinds, chunks[: len(build_kinds)], strict=True), start=1):
        summary = summarize_build(i, kind, chunk)
        summary["ninja_reported_steps"] = ninja_reported_steps(outputs[i - 1])
        if i > 1:
            rebuilt = list(dict.fromkeys(e.output for e in chunk))
            summary["outputs_rebuilt"] = rebuilt
            summary["compile_outputs_rebuilt"] = [o for o in rebuilt if o.endswith(".o")]
            summary["traces_rewritten"] = traces_rewritten
        builds.append(summary)
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
