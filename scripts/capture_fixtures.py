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
* ``clang19-headers``    clang++-19 + Debian ``/usr/bin/ninja`` 1.11 (log v5):
  a clean build; then every header of the project touched in turn (its
  mtime set to now), each followed by ``ninja -n`` (what a build would run)
  and the real rebuild (what ninja did run, from the lines it logged):
  ``header_probes.json``; then a rebuild after appending a comment line to
  ``text/include/text/format.h``, the log's last build.  ``.ninja_deps``,
  ``build.ninja`` and ``CMakeFiles/rules.ninja`` are copied too: the
  reference for header rebuild impact and the build graph.
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
import sys
from pathlib import Path

from capture_build import REPO_ROOT, CaptureSpec, run_capture
from capture_logs import write_damaged_logs
from capture_tools import CLANG14, CLANG19, DEBIAN_NINJA_TOOL, PYPI_NINJA, CaptureError, find_tools

DEFAULT_OUT = REPO_ROOT / "fixtures" / "captures"
DEFAULT_WORK = Path("/tmp/buildprof-capture")

#: Header touched between the two builds of the clang19-ninja1.11 capture.
#: It is included (directly or indirectly) by almost every translation unit.
TOUCHED_HEADER = "common/include/sample/common.h"

#: Source file touched between the two builds of the clang19-one-tu capture: a
#: TU of the static library ``text``, so the rebuild is that one compile, the
#: archive ``libtext.a`` and the links that depend on it.
TOUCHED_TU = "text/src/csv.cc"
#: The only compile step build 2 of clang19-one-tu may run.
TOUCHED_TU_OBJECT = "text/CMakeFiles/text.dir/src/csv.cc.o"

#: Header touched (a comment line appended) for the last build of the clang19-headers capture:
#: included by the text library's TUs and, through them, by the apps that link it.
PROBE_TOUCHED_HEADER = "text/include/text/format.h"


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
        CaptureSpec(
            "clang19-headers",
            "clang++-19 + Debian ninja 1.11 (log v5): clean build; every header touched in turn "
            f"(ninja -n, then the rebuild); then a rebuild after touching {PROBE_TOUCHED_HEADER}",
            CLANG19,
            DEBIAN_NINJA_TOOL,
            touch=PROBE_TOUCHED_HEADER,
            copy_manifest_and_deps=True,
            probe_headers=True,
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
        "clang14-ninja1.13, clang19-ninja1.13, clang19-one-tu, clang19-headers, damaged)",
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
