"""buildprof.ninja.graph against ninja 1.11's own tools (-t query for every node, -t graph) on real
CMake manifests and on hand-written ones covering ninja's syntax; damaged manifests read what can be."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from ninja_tools import needs_ninja, ninja_graph_edges, ninja_query, our_graph_edges, our_query

from buildprof.errors import InputError
from buildprof.ninja.graph import read_build_graph
from buildprof.ninja.syntax import MAX_VALUE, canonicalize


def assert_same_as_ninja(folder: Path, unlike: tuple[str, ...] = ()) -> dict:
    """Every node's `ninja -t query` and the edges of `ninja -t graph` equal ours; returns the graph's
    counts for the caller to check. `unlike`: nodes where ninja keeps a quirk we do not (a phony
    edge's dropped self-reference stays among the node's readers in ninja)."""
    graph = read_build_graph(folder)
    assert graph is not None and graph.problems == [] and graph.skipped_files == []
    paths = [p for p in graph.paths if not p.startswith("-") and p not in unlike]
    theirs = ninja_query(folder, paths)
    consumers = graph.consumers()
    assert {p: our_query(graph, p, consumers) for p in paths} == theirs
    assert our_graph_edges(graph) == ninja_graph_edges(folder)
    return {
        "edges": graph.edges,
        "nodes": len(graph.paths),
        "phony": sum(map(graph.is_phony, range(graph.edges))),
    }


@needs_ninja
@pytest.mark.parametrize("name", ["clang19-one-tu", "clang19-headers"])
def test_captured_cmake_manifest_equals_ninja(capture_copy, name):
    counts = assert_same_as_ninja(capture_copy(name))
    assert counts == {"edges": 80, "nodes": 188, "phony": 35}


@needs_ninja
@pytest.mark.shared
def test_abseil_manifest_equals_ninja(abseil_build, tmp_path):
    for name in ("build.ninja", "CMakeFiles/rules.ninja", ".ninja_deps"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(abseil_build / name, tmp_path / name)
    counts = assert_same_as_ninja(tmp_path)
    assert counts == {"edges": 917, "nodes": 1236, "phony": 495}  # as many as `grep -c "^build "`
    graph = read_build_graph(tmp_path)
    assert int(graph.edge_deps.sum()) == 159  # one compile edge per traced object
    assert graph.pools == [("console", 1)]


@needs_ninja
def test_sample_project_manifest_equals_ninja(sample_build, tmp_path):
    folder = tmp_path / "build"
    shutil.copytree(sample_build, folder)
    counts = assert_same_as_ninja(folder)
    assert counts["edges"] > 50 and counts["phony"] > 20


RULES = """\
shared = from_rules
rule copy
  command = cp $in $out
"""
SUB = """\
root = sub_out
rule cc
  command = sub-cc $in
build $root/s.o: cc s.c
build $shared/in_sub.o: copy s.c
"""
MANIFEST = """\
# every statement ninja knows
ninja_required_version = 1.5
root = out
dir = src
pool link_pool
  depth = 2
pool heavy
  depth = 3
rule cc
  command = cc $in -o $out
  deps = gcc
  depfile = $out.d
rule link
  command = ld $in -o $out
  pool = link_pool
rule gen
  command = gen $out
  pool = $which
include rules.ninja
build $root/a.o: cc $dir/a.c | $dir/a.h || gen_headers
build $root/./b.o: cc ./src//b.c | src/x/../a.h
  # an indented comment does not end the bindings

build $root/c.o: cc $cdir/c.c
  cdir = lib
build with$ space.o out$:colon.o: cc dollar$$.c
build gen/x.h gen/y.h | gen/x.stamp: gen tool.py |@ check
  which = heavy
build check: gen
  which =
build gen_headers: phony gen/x.h gen/y.h
build $root/app: link $root/a.o $
    $root/b.o $root/c.o | lib$
dep.a || gen_headers
  pool = console
build libdep.a: copy ../outside/file.h out/sub/../../out/z.o
build $shared/copied: copy $root/app
subninja sub/build.ninja
build $root/after.o: cc after.c
build loop: phony loop other
build all: phony $root/app $root/after.o sub_out/s.o
default all $root/app
"""


def write_manifest(folder: Path) -> Path:
    """The hand-written manifest above, its included rules and its subninja."""
    (folder / "sub").mkdir(parents=True)
    (folder / "rules.ninja").write_text(RULES)
    (folder / "sub" / "build.ninja").write_text(SUB)
    (folder / "build.ninja").write_text(MANIFEST)
    return folder


@needs_ninja
def test_hand_written_manifest_equals_ninja(tmp_path):
    assert_same_as_ninja(write_manifest(tmp_path), unlike=("loop",))


def test_hand_written_manifest_statements(tmp_path):
    graph = read_build_graph(write_manifest(tmp_path))
    edge_of = {graph.outputs_of(e)[0]: e for e in range(graph.edges)}
    # Paths: escapes, canonical forms, edge bindings seen by the build line, continuations.
    assert graph.outputs_of(edge_of["with space.o"]) == ["with space.o", "out:colon.o"]
    assert graph.inputs_of(edge_of["with space.o"]) == ["dollar$.c"]
    assert graph.inputs_of(edge_of["out/b.o"]) == ["src/b.c", "src/a.h"]
    assert graph.inputs_of(edge_of["out/c.o"]) == ["lib/c.c"]
    assert graph.inputs_of(edge_of["libdep.a"]) == ["../outside/file.h", "out/z.o"]
    app = edge_of["out/app"]
    assert graph.inputs_of(app) == ["out/a.o", "out/b.o", "out/c.o", "libdep.a", "gen_headers"]
    assert (graph.in_explicit[app], graph.in_implicit[app]) == (3, 1)
    # Implicit outputs and validations.
    gen = edge_of["gen/x.h"]
    assert graph.outputs_of(gen) == ["gen/x.h", "gen/y.h", "gen/x.stamp"] and graph.out_explicit[gen] == 2
    assert graph.explicit_outputs_of(gen) == ["gen/x.h", "gen/y.h"]
    assert [graph.paths[n] for n in graph.validations[gen]] == ["check"] and graph.inputs_of(gen) == [
        "tool.py"
    ]
    # include shares the scope, subninja has its own (its `root` and `rule cc` stay in it).
    assert "from_rules/copied" in edge_of and "from_rules/in_sub.o" in edge_of
    assert "sub_out/s.o" in edge_of and "out/after.o" in edge_of
    assert graph.rules.count("cc") == 1 and graph.rules[graph.edge_rule[edge_of["sub_out/s.o"]]] == "cc"
    # Pools: edge binding over the rule's; a rule's pool expanded with the edge's bindings.
    pools = {graph.outputs_of(e)[0]: graph.pools[p][0] for e, p in enumerate(graph.edge_pool) if p >= 0}
    assert pools == {"out/app": "console", "gen/x.h": "heavy"}
    assert graph.pools == [("link_pool", 2), ("heavy", 3), ("console", 1)]
    assert [graph.outputs_of(e)[0] for e in range(graph.edges) if graph.edge_deps[e]] == [
        "out/a.o", "out/b.o", "out/c.o", "with space.o", "out/after.o"
    ]  # fmt: skip
    # The phony cycle loses its self-reference; defaults are nodes; the producer of each output.
    assert graph.inputs_of(edge_of["loop"]) == ["other"] and graph.is_phony(edge_of["loop"])
    assert [graph.paths[n] for n in graph.defaults] == ["all", "out/app"]
    assert graph.producer[graph.node_of["src/a.h"]] == -1
    assert all(graph.producer[graph.node_of[p]] == e for p, e in edge_of.items())


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("./a/./b//c/", "a/b/c"),
        ("a/../../b", "../b"),
        ("../a/x/../b", "../a/b"),
        ("/abs//x/./../y", "/abs/y"),
        ("a/..", "."),
        ("./", "."),
        ("..", ".."),
        ("plain/file.o", "plain/file.o"),
    ],
)
def test_canonical_paths_as_ninja(path, canonical):
    assert canonicalize(path) == canonical


def test_damaged_manifest_reads_the_rest(tmp_path):
    """Statements ninja refuses are noted with file and line and skipped; the others are read."""
    (tmp_path / "build.ninja").write_text(
        "rule cc\n  command = cc\n"
        "build a.o: cc a.c\n"
        "build b.o: nosuchrule b.c\n"
        "build bad$!.o: cc c.c\n"
        "  indented = without statement\n"
        "build a.o d.o: cc d.c\n"
        "build e.o: cc e.c\n"
        "  pool = nosuchpool\n"
        "default nosuchtarget\n"
        "build f.o: cc f.c\n"
        "build f.o: cc again.c |@ e.o\n"
        "build g.o: cc g.c |@ f.o\n"
    )
    graph = read_build_graph(tmp_path)
    where = str(tmp_path / "build.ninja")
    assert graph.problems == [
        f"{where}:4: unknown build rule 'nosuchrule'",
        f"{where}:5: bad $-escape (literal $ must be written as $$)",
        f"{where}:6: unexpected indent",
        f"{where}:7: multiple rules generate a.o",
        f"{where}:8: unknown pool name 'nosuchpool'",
        f"{where}:10: unknown target 'nosuchtarget'",
        f"{where}:12: multiple rules generate f.o",
    ]
    # The second writer of f.o has no output left: it leaves the graph with its validation.
    assert [graph.outputs_of(e) for e in range(graph.edges)] == [["a.o"], ["d.o"], ["e.o"], ["f.o"], ["g.o"]]
    assert graph.producer[graph.node_of["a.o"]] == 0 and list(graph.edge_pool) == [-1] * 5
    assert graph.validations == {4: [graph.node_of["f.o"]]} and graph.inputs_of(4) == ["g.c"]


def test_include_cycle_missing_subninja_and_runaway_variables(tmp_path, hang_guard):
    (tmp_path / "build.ninja").write_text(
        "rule cc\n  command = cc\ninclude other.ninja\nsubninja missing/build.ninja\n"
        "x = 1\n" + "x = $x$x\n" * 60 + "build $x.o: cc a\nbuild last.o: cc b\n"
    )
    (tmp_path / "other.ninja").write_text("include build.ninja\nbuild other.o: cc o\n")
    graph = read_build_graph(tmp_path)
    assert [(os.path.relpath(p, tmp_path), why) for p, why in graph.skipped_files] == [
        ("build.ninja", "includes itself (an include cycle): skipped"),
        ("missing/build.ninja", "no such file or folder: skipped"),
    ]
    assert [len(graph.outputs_of(e)[0]) for e in range(graph.edges)] == [7, MAX_VALUE, 6]
    assert graph.problems == []


def test_no_manifest_and_an_unreadable_one(tmp_path):
    assert read_build_graph(tmp_path) is None
    (tmp_path / "build.ninja").mkdir()
    with pytest.raises(InputError) as error:
        read_build_graph(tmp_path)
    assert error.value.path == str(tmp_path / "build.ninja")


@needs_ninja
def test_crlf_and_continuations_equal_ninja(tmp_path):
    (tmp_path / "build.ninja").write_bytes(
        b"rule cc\r\n  command = cc $$in\r\n"
        b"v = x$\r\n   y\r\n"
        b"build $v.o two$\r\n  .o: cc in$$$\r\n put.c\r\n"
        b"build last: phony $v.o\r\n"
    )
    graph = read_build_graph(tmp_path)
    assert graph.outputs_of(0) == ["xy.o", "two.o"] and graph.inputs_of(0) == ["in$put.c"]
    assert graph.problems == []
    assert_same_as_ninja(tmp_path)


@needs_ninja
def test_unusual_whitespace_is_part_of_a_path_as_for_ninja(tmp_path):
    """Only the space separates paths: a no-break space, a tab or a vertical tab is a path character."""
    (tmp_path / "build.ninja").write_bytes(
        "rule cc\n  command = cc\nbuild caf\u00e9\u00a0x.o: cc a\u00a0b.c\n".encode()
        + b"build t\tab.o v\x0bt.o: cc c.c\n"
    )
    graph = read_build_graph(tmp_path)
    assert [graph.outputs_of(e) for e in range(graph.edges)] == [
        ["caf\u00e9\u00a0x.o"],
        ["t\tab.o", "v\x0bt.o"],
    ]
    assert graph.inputs_of(0) == ["a\u00a0b.c"]
    assert_same_as_ninja(tmp_path)


def test_fifos_are_never_opened(tmp_path, hang_guard):
    """An included FIFO would block forever if opened: skipped with the reason; a FIFO named
    build.ninja is an error naming it, not a wait."""
    os.mkfifo(tmp_path / "pipe.ninja")
    (tmp_path / "build.ninja").write_text("rule cc\n  command = cc\ninclude pipe.ninja\nbuild a.o: cc a.c\n")
    graph = read_build_graph(tmp_path)
    assert graph.outputs_of(0) == ["a.o"]
    assert graph.skipped_files == [
        (str(tmp_path / "pipe.ninja"), "is a FIFO (named pipe), not a regular file: skipped")
    ]
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError) as error:
        read_build_graph(tmp_path, "fifo")
    assert error.value.path == str(tmp_path / "fifo")
