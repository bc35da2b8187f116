"""buildprof.ninja.manifest on real CMake manifests (abseil, the sample project) and ninja syntax."""

from __future__ import annotations

import os

import pytest

from buildprof.ninja.log import read_ninja_log
from buildprof.ninja.manifest import MAX_VALUE, expand, read_ninja_manifest, split_build_line


@pytest.mark.shared
def test_abseil_manifest_knows_every_logged_output(abseil_build):
    manifest = read_ninja_manifest(abseil_build)
    log = read_ninja_log(abseil_build / ".ninja_log")
    assert set(log.entries["output"]) <= set(manifest.by_output)
    archive = manifest.by_output["absl/base/libabsl_hardening.a"]
    assert archive.rule == "CXX_STATIC_LIBRARY_LINKER__hardening_RelWithDebInfo"
    assert archive.object_dir == "absl/base/CMakeFiles/hardening.dir"
    compile_rule = manifest.by_output["absl/strings/CMakeFiles/strings.dir/str_cat.cc.o"].rule
    assert compile_rule == "CXX_COMPILER__strings_RelWithDebInfo"
    assert manifest.skipped_files == []


def test_sample_project_manifest_matches_the_captured_log(sample_build, captures):
    """CMake's build.ninja for the sample project names every output ninja logged for it."""
    manifest = read_ninja_manifest(sample_build)
    captured = read_ninja_log(captures / "clang19-ninja1.11" / ".ninja_log").entries["output"]
    capture_dir = "/tmp/buildprof-capture/clang19-ninja1.11/build/"
    here = f"{sample_build}/"
    assert {o.replace(capture_dir, here) for o in captured} <= set(manifest.by_output)
    assert not [o for o in manifest.by_output if "$" in o]
    # CMake adds the generated files again as absolute implicit outputs through a variable.
    codegen = manifest.by_output[f"{here}engine/generated/engine/opcodes_gen.h"]
    assert codegen is manifest.by_output["engine/generated/engine/opcodes_gen.cc"]
    assert codegen.rule == "CUSTOM_COMMAND"
    symlink = manifest.by_output["engine/libengine.so"]
    assert symlink is manifest.by_output["engine/libengine.so.1"] and symlink.rule == "CMAKE_SYMLINK_LIBRARY"
    link = manifest.by_output["engine/libengine.so.0.3.0"]
    assert link.rule == "CXX_SHARED_LIBRARY_LINKER__engine_"
    assert link.object_dir == "engine/CMakeFiles/engine.dir"


def test_no_manifest_is_not_an_error(tmp_path):
    assert read_ninja_manifest(tmp_path) is None


@pytest.mark.parametrize(
    ("line", "outputs", "rule"),
    [
        ("a.o: cxx a.cc", ["a.o"], "cxx"),
        ("a.o b.h | c.d: gen in", ["a.o", "b.h", "c.d"], "gen"),
        ("with$ space.o C$:/x.o dollar$$.o: cc src", ["with space.o", "C:/x.o", "dollar$.o"], "cc"),
        ("${dir}x.o $dir/y.o $undefined.o: cc", ["/b/x.o", "/b//y.o", ".o"], "cc"),
        ("out:phony", ["out"], "phony"),
    ],
)
def test_build_lines(line, outputs, rule):
    assert split_build_line(line, {"dir": "/b/"}) == (outputs, rule)


def test_variables_includes_and_continuations(tmp_path):
    (tmp_path / "rules.ninja").write_text("rule cc\n  command = cc $in\nsub = from_include\n")
    (tmp_path / "sub.ninja").write_text("local = only_here\nbuild $root$local.o: cc x\n")
    (tmp_path / "build.ninja").write_text(
        "# comment\r\n"
        "root = /w/\r\n"
        "include rules.ninja\n"
        "subninja sub.ninja\n"
        "include missing.ninja\n"
        "build $root$sub.o $\n"
        "    second.o: cc a\n"
        "  OBJECT_DIR = t/CMakeFiles/t.dir\n"
        "build $local.o: cc b\n"
    )
    manifest = read_ninja_manifest(tmp_path)
    assert set(manifest.by_output) == {"/w/only_here.o", "/w/from_include.o", "second.o", ".o"}
    assert manifest.by_output["second.o"].object_dir == "t/CMakeFiles/t.dir"
    assert manifest.skipped_files == [(str(tmp_path / "missing.ninja"), "no such file or folder: skipped")]
    assert expand("a$$b${root}c", {"root": "/r"}) == "a$b/rc"


def test_an_included_fifo_is_skipped_never_opened(tmp_path, hang_guard):
    """`include` of a FIFO would block forever if it were opened: it is skipped with the reason."""
    os.mkfifo(tmp_path / "pipe.ninja")
    (tmp_path / "build.ninja").write_text("include pipe.ninja\nbuild a.o: cc a.c\n")
    manifest = read_ninja_manifest(tmp_path)
    assert set(manifest.by_output) == {"a.o"}
    assert manifest.skipped_files == [
        (str(tmp_path / "pipe.ninja"), "is a FIFO (named pipe), not a regular file: skipped")
    ]


def test_include_cycles_and_runaway_variables_are_bounded(tmp_path, hang_guard):
    """A manifest that includes itself (ninja would recurse forever) or doubles a variable 60 times
    (2**60 characters) is read in bounded time: the cycle is skipped with a note, the value cut."""
    (tmp_path / "build.ninja").write_text(
        "include build.ninja\nsubninja sub.ninja\nx = 1\n" + "x = $x$x\n" * 60 + "build $x.o: cc a\n"
    )
    (tmp_path / "sub.ninja").write_text("subninja sub.ninja\nbuild s.o: cc s\n")
    manifest = read_ninja_manifest(tmp_path)
    assert [(os.path.basename(p), why) for p, why in manifest.skipped_files] == [
        ("build.ninja", "includes itself (an include cycle): skipped"),
        ("sub.ninja", "includes itself (an include cycle): skipped"),
    ]
    [long_output] = [o for o in manifest.by_output if o != "s.o"]
    assert long_output == "1" * MAX_VALUE + ".o"
