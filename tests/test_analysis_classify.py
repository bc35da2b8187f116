"""buildprof.analysis.classify: kind of step and CMake target, with and without the real build.ninja."""

from __future__ import annotations

import pytest

from buildprof.analysis.builds import split_builds
from buildprof.analysis.classify import NO_TARGET, classify_steps, kind_from_path, kind_from_rule
from buildprof.analysis.steps import group_steps
from buildprof.ninja.log import read_ninja_log
from buildprof.ninja.manifest import read_ninja_manifest


def classified(log_path, manifest):
    """Classified steps of the first build of a log."""
    entries = read_ninja_log(log_path).entries
    first = split_builds(entries).builds[0]
    return classify_steps(group_steps(entries.iloc[first.first_row : first.end_row]), manifest)


@pytest.mark.shared
def test_abseil_kinds_and_targets(abseil_build):
    manifest = read_ninja_manifest(abseil_build)
    steps = classified(abseil_build / ".ninja_log", manifest)
    assert steps["kind"].value_counts().to_dict() == {"compile": 159, "archive": 94}
    by_output = dict(zip(steps["output"], zip(steps["kind"], steps["target"], strict=True), strict=True))
    assert by_output["absl/base/CMakeFiles/hardening.dir/internal/hardening.cc.o"] == ("compile", "hardening")
    assert by_output["absl/base/libabsl_hardening.a"] == ("archive", "hardening")
    assert by_output["absl/strings/libabsl_strings.a"] == ("archive", "strings")
    assert by_output["absl/strings/libabsl_str_format_internal.a"] == ("archive", "str_format_internal")
    counts = steps.groupby("target").size()
    assert (counts["strings"], counts["synchronization"], counts["time_zone"]) == (15, 13, 10)
    assert len(counts) == 94
    # Without build.ninja the file names give the same answer for this CMake build.
    bare = classified(abseil_build / ".ninja_log", None)
    assert bare[["kind", "target"]].equals(steps[["kind", "target"]])


def test_sample_project_with_its_real_manifest(captures, sample_build):
    """Clean build of the sample project: 22 compiles, codegen, 3 archives, 3 links, a symlink step."""
    steps = classified(captures / "clang19-ninja1.11" / ".ninja_log", read_ninja_manifest(sample_build))
    assert steps["kind"].value_counts().to_dict() == {
        "compile": 22,
        "archive": 3,
        "link": 3,
        "codegen": 1,
        "other": 1,
    }
    kind_target = steps.set_index("output")[["kind", "target"]].apply(tuple, axis=1).to_dict()
    assert kind_target["engine/libengine.so.1"] == ("other", "engine")
    assert kind_target["engine/libengine.so.0.3.0"] == ("link", "engine")
    assert kind_target["apps/simtool"] == ("link", "simtool")
    assert kind_target["text/libtext.a"] == ("archive", "text")
    assert kind_target["engine/generated/engine/opcodes_gen.h"] == ("codegen", NO_TARGET)
    assert steps.groupby("target").size().to_dict() == {
        NO_TARGET: 1,
        "core": 5,
        "engine": 8,
        "meta": 5,
        "microbench": 3,
        "simtool": 3,
        "text": 5,
    }


def test_sample_project_without_manifest(captures):
    """From file names alone the symlink step cannot be told from a link (libengine.so.1 is a library)."""
    steps = classified(captures / "clang14-ninja1.13" / ".ninja_log", None)
    assert steps["kind"].value_counts().to_dict() == {"compile": 22, "link": 4, "archive": 3, "codegen": 1}
    assert set(steps["target"]) == {NO_TARGET, "core", "engine", "meta", "microbench", "simtool", "text"}


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        ("CXX_COMPILER__strings_RelWithDebInfo", "compile"),
        ("C_COMPILER__zlib_unscanned_Debug", "compile"),
        ("CXX_STATIC_LIBRARY_LINKER__core_", "archive"),
        ("CXX_SHARED_LIBRARY_LINKER__engine_", "link"),
        ("CXX_EXECUTABLE_LINKER__simtool_", "link"),
        ("CMAKE_SYMLINK_LIBRARY", "other"),
        ("CUSTOM_COMMAND", "codegen"),
        ("RERUN_CMAKE", "configure"),
        ("cxx", "compile"),
        ("alink", "archive"),
        ("solink", "link"),
        ("stamp", "other"),
        ("action", "codegen"),
        ("cpp_COMPILER", "compile"),
        ("STATIC_LINKER", "archive"),
        ("phony", None),
        ("mystery", None),
    ],
)
def test_rule_names(rule, kind):
    assert kind_from_rule(rule) == kind


@pytest.mark.parametrize(
    ("output", "kind"),
    [
        ("a/CMakeFiles/t.dir/x.cc.o", "compile"),
        ("lib/libz.a", "archive"),
        ("lib/libz.so.1.2.3", "link"),
        ("bin/tool", "link"),
        ("gen/x.pb.h", "codegen"),
        ("build.ninja", "configure"),
        ("CMakeFiles/t.dir/stamp", "other"),
    ],
)
def test_file_names(output, kind):
    assert kind_from_path(output) == kind
