"""analysis.classify.classify_all (the per-folder, per-ending fast path) gives `_classify`'s answer."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from buildprof.analysis.classify import _classify, classify_all
from buildprof.ninja.log import read_ninja_log
from buildprof.ninja.manifest import read_ninja_manifest

REPO = Path(__file__).resolve().parents[1]
EDGES = [
    "a.o",
    "build.ninja",
    "sub/BUILD.NINJA",
    "CMakeFiles/x.dir",
    "p/CMakeFiles/t.dir",
    "p/CMakeFiles/t.dir/",
    "p/CMakeFiles/t.dir/x.cc.o",
    "p/cmakefiles/t.dir/x.cc.o",
    "p/CMakeFiles/t.dir/q/CMakeFiles/u.dir/y.o",
    "lib/libfoo.so.1.2",
    "lib/libfoo.SO",
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
]


def _outputs(log: Path) -> list[str]:
    return list(dict.fromkeys(read_ninja_log(log).entries["output"].tolist()))


def _assert_same(outputs: list[str], manifest) -> None:
    assert classify_all(outputs, manifest) == [_classify(o, manifest) for o in outputs]


@pytest.mark.parametrize(
    "capture", ["clang19-ninja1.11", "clang19-headers", "clang19-one-tu", "clang14-ninja1.13"]
)
def test_captures_with_and_without_their_manifest(captures, capture):
    folder = captures / capture
    outputs = _outputs(folder / ".ninja_log") + EDGES
    manifest = read_ninja_manifest(folder) if (folder / "build.ninja").is_file() else None
    _assert_same(outputs, None)
    if manifest is not None:
        _assert_same([*outputs, *manifest.by_output], manifest)


def test_generated_cmake_layout(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    from gen_ninja_log import generate

    (tmp_path / ".ninja_log").write_text(generate(20_000, 5, 3, 2, 8, 0))
    _assert_same(_outputs(tmp_path / ".ninja_log") + EDGES, None)


@pytest.mark.shared
def test_abseil(abseil_build):
    manifest = read_ninja_manifest(abseil_build)
    outputs = _outputs(abseil_build / ".ninja_log") + EDGES
    _assert_same([*outputs, *manifest.by_output], manifest)
    _assert_same(outputs, None)
