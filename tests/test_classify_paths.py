"""analysis.classify_paths (kinds and targets from the paths' bytes, with numpy) gives classify_steps's
answers: on every build of the captures, abseil's log, a generated CMake-like log and hand-made paths
that take every branch (no dot, build.ninja, `.dir` names, other cases, non-ASCII, long endings)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from buildprof.analysis.builds import split_builds
from buildprof.analysis.classify import classify_steps
from buildprof.analysis.classify_paths import classify_paths
from buildprof.analysis.steps import steps_of_log
from buildprof.model.ninja import NinjaLog
from buildprof.ninja.log import parse_ninja_log, read_ninja_log

REPO = Path(__file__).resolve().parents[1]
PATHS = [
    "a.o",
    "build.ninja",
    "sub/BUILD.NINJA",
    "sub/xbuild.ninja",
    "CMakeFiles/x.dir",
    "p/CMakeFiles/t.dir",
    "p/CMakeFiles/t.dir/x.cc.o",
    "p/cmakefiles/t.dir/x.cc.o",
    "p/CMakeFiles/t.dir/q/CMakeFiles/u.dir/y.o",
    "p/CMakeFiles/notadir/CMakeFiles/u.dir/y.o",
    "p/xCMakeFiles/t.dir/y.o",
    "p/CMakeFiles/.dir/y.o",
    "CMakeFiles/top.dir/z.c.o",
    "lib/libfoo.so.1.2",
    "lib/libfoo.SO",
    "lib/libbar.DLL",
    "bin/tool",
    "bin/tool.exe",
    "cmakefiles/stamp",
    "x/CMakeFiles/foo",
    "x/gen/a.pb.h",
    "x/libbar_baz.a",
    "x/CMakeFiles/baz.dir/b.cc.o",
    "x/libbar_qux.dylib",
    ".hidden",
    "dir/.o",
    "x.tar.gz",
    "noext_stamp",
    "/abs/path/CMakeFiles/t.dir/z.cpp.obj",
    "/top.o",
    "été/CMakeFiles/é.dir/ü.o",
    "K/CMAKEFILES/k.dir/a.o",
    "a/b.a_very_long_ending_of_many_bytes.o",
    "q/libx.A",
    "q/libx.Lib",
    "q/CMakeFiles/x.dir/gen.h",
    "z/lib.a",
    "z/liba.a",
    "z/LIBfoo.a",
    "z/libq.so.3.dylib",
    "z/libw.a.lib.exe",
    "z/lib.so",
    "z/prog.EXE",
    "z/x.dll.a",
    "m/CMakeFiles/a_b.dir/x.o",
    "m/CMakeFiles/b.dir/y.o",
    "m/libz_a_b.a",
    "m/libb.a",
    "m/libq_b.so",
    "m/sub/libz_b.a",
    "libq_top.a",
    "prog_top",
]


def _assert_same(log: NinjaLog) -> None:
    for span in split_builds(log).builds:
        steps, rows, outputs = steps_of_log(log.columns, log.paths, span)
        want = classify_steps(steps, None)
        paths = log.paths
        for factorize in (None, paths.factorize):
            kinds, targets = classify_paths(paths.data, paths.lo[rows], paths.hi[rows], outputs, factorize)
            assert kinds.tolist() == want["kind"].tolist()
            assert targets.tolist() == want["target"].tolist()


def _log_of(paths: list[str]) -> NinjaLog:
    lines = [f"{10 * k}\t{10 * k + 5}\t0\t{p}\t{k:x}\n" for k, p in enumerate(paths)]
    return parse_ninja_log(("# ninja log v5\n" + "".join(lines)).encode())


def test_hand_made_paths():
    _assert_same(_log_of(PATHS))
    _assert_same(_log_of(PATHS[::-1]))
    _assert_same(_log_of(["single/CMakeFiles/t.dir/a.o"]))
    _assert_same(_log_of(["noslash.o", "other"]))


@pytest.mark.parametrize(
    "log",
    [
        "clang19-ninja1.11/.ninja_log",
        "clang19-ninja1.11/ninja_log.before_recompact",
        "clang19-headers/.ninja_log",
        "clang19-one-tu/.ninja_log",
        "clang14-ninja1.13/.ninja_log",
        "clang19-ninja1.13/.ninja_log",
        "damaged/ninja_log.glued",
    ],
)
def test_captures(captures, log):
    _assert_same(read_ninja_log(captures / log))


def test_generated_cmake_layout():
    sys.path.insert(0, str(REPO / "scripts"))
    from gen_ninja_log import generate

    log = parse_ninja_log(generate(30_000, 5, 3, 3, 8, 3).encode())
    _assert_same(log)
    assert len(np.unique(classify_paths(log.paths.data, log.paths.lo, log.paths.hi, log.paths.all())[0])) >= 4


@pytest.mark.shared
def test_abseil(abseil_build):
    _assert_same(read_ninja_log(abseil_build / ".ninja_log"))
