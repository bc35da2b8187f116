"""The last build read from the end of a `.ninja_log` (ninja/log_tail.py) against the whole-log reader.

The whole-log reader and analysis/builds.py's split are the reference: wherever the C scan answers,
its build must be theirs line for line (times, mtimes, hashes, paths, line numbers); where it cannot
prove the answer from the end (damaged lines on the way, too few builds, a recompacted log) it must
say so, and `trace` then reads the whole log. The logs are real captures and scripts/gen_ninja_log.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from buildprof.analysis.builds import split_builds
from buildprof.ninja import log_tail
from buildprof.ninja.log import read_ninja_log

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from gen_ninja_log import generate


@pytest.fixture
def native():
    if log_tail._log_native is None:
        pytest.skip("ninja/_log_native.c is not built here: `trace` reads the whole log")


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / ".ninja_log"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
    return path


def assert_same_as_whole_log(path: Path, last: log_tail.LastBuild) -> None:
    """The tail's build is the reference's last build, every column and path equal."""
    log = read_ninja_log(path)
    span = split_builds(log).builds[-1]
    rows = np.arange(span.first_row, span.end_row)
    assert (last.span.first_line, last.span.last_line) == (span.first_line, span.last_line)
    assert last.span.end_row == span.end_row - span.first_row
    for name in ("start_ms", "end_ms", "mtime", "cmdhash", "line"):
        assert np.array_equal(last.log.columns[name], log.columns[name][rows]), name
    tail_rows = np.arange(last.span.end_row)
    assert last.log.paths.of(tail_rows).tolist() == log.paths.of(rows).tolist()
    assert last.log.version == log.version


@pytest.mark.parametrize(("version", "seed", "builds"), [(5, 0, 5), (6, 1, 4), (7, 2, 8), (5, 3, 3)])
def test_generated_logs_give_the_whole_log_readers_last_build(native, tmp_path, version, seed, builds):
    path = write(tmp_path, generate(30_000, version, seed, builds, 16, 0))
    last = log_tail.read_last_build(str(path), line_numbers=True)
    assert last is not None, "three or more builds of one project: the end must be enough"
    assert_same_as_whole_log(path, last)
    total = path.read_bytes().count(b"\n") - 1
    assert last.lines_read < total  # the point: the earliest builds were never read


def test_without_line_numbers_the_build_is_the_same_and_lines_count_from_zero(native, tmp_path):
    path = write(tmp_path, generate(20_000, 5, 4, 5, 16, 0))
    numbered = log_tail.read_last_build(str(path), line_numbers=True)
    plain = log_tail.read_last_build(str(path))
    assert (plain.span.first_line, plain.span.last_line) == (-1, -1)
    assert plain.log.columns["line"].tolist() == list(range(len(plain.log.columns["line"])))
    for name in ("start_ms", "end_ms", "cmdhash"):
        assert np.array_equal(plain.log.columns[name], numbered.log.columns[name])


def test_crlf_line_ends_are_read_as_the_whole_log_reader_reads_them(native, tmp_path):
    text = generate(8_000, 5, 5, 5, 8, 0).replace("\n", "\r\n")
    path = write(tmp_path, text)
    last = log_tail.read_last_build(str(path), line_numbers=True)
    assert last is not None
    assert_same_as_whole_log(path, last)


def test_five_real_builds_before_recompaction(native, captures, tmp_path):
    """ninja 1.11's log of five builds of the sample project (lines 87-105 are the last)."""
    path = captures / "clang19-ninja1.11" / "ninja_log.before_recompact"
    last = log_tail.read_last_build(str(path), line_numbers=True)
    assert last is not None and (last.span.first_line, last.span.last_line) == (87, 105)
    assert_same_as_whole_log(path, last)


def test_seven_real_builds_with_a_manifest_and_traces(native, captures, run_cli, tmp_path, monkeypatch):
    """clang19-headers: a clean build, then a rebuild after each of six header edits (ninja 1.11,
    build.ninja and the traces beside it): the tail's build is the whole log's, and the trace with
    the traces embedded is the same but for the process name."""
    folder = captures / "clang19-headers"
    last = log_tail.read_last_build(str(folder / ".ninja_log"), line_numbers=True)
    assert last is not None
    assert_same_as_whole_log(folder / ".ninja_log", last)
    docs = []
    for native_tail in (True, False):
        if not native_tail:
            monkeypatch.setattr(log_tail, "_log_native", None)
        out = tmp_path / f"{native_tail}.json"
        result = run_cli("trace", folder, "--embed-time-trace", "-o", out)
        assert result.exit_code == 0, result.output
        docs.append(json.loads(out.read_bytes()))
    assert docs[0]["traceEvents"][0]["args"]["name"].startswith("last ninja build of")
    assert docs[0]["traceEvents"][1:] == docs[1]["traceEvents"][1:]
    assert any(e.get("cat") == "Source" for e in docs[0]["traceEvents"])  # clang events embedded


@pytest.mark.parametrize(
    "capture", ["clang19-ninja1.11", "clang19-ninja1.13", "clang14-ninja1.13", "clang19-one-tu"]
)
def test_logs_of_one_or_two_builds_are_left_to_the_whole_log_reader(native, captures, capture):
    assert log_tail.read_last_build(str(captures / capture / ".ninja_log")) is None


def test_a_recompacted_log_is_left_to_the_whole_log_reader(
    native, captures, recompacted_then_build, tmp_path
):
    """No output repeats in a recompacted block: the end cannot show where the block ends."""
    assert log_tail.read_last_build(str(captures / "clang19-ninja1.11" / "ninja_log.recompacted")) is None
    assert log_tail.read_last_build(str(write(tmp_path, recompacted_then_build()))) is None


@pytest.mark.parametrize(
    "damaged",
    [
        None,  # killed: the last line has no newline
        "12\tnot-a-number\t0\tx.o\tab\n",
        "12\t13\t0\tx\x01.o\tab\n",  # a control byte
        "12\t13\t0\tx.o\tab\textra\n",
        "14\t13\t0\tx.o\tab\n",  # ends before it starts
        "\n",
        "12\t13\t0\t\tab\n",  # no output
        "12\t13\t0\tx.o\t12345678901234567\n",  # 17 hexadecimal digits
    ],
)
def test_a_damaged_line_in_the_last_builds_leaves_it_to_the_whole_log_reader(native, tmp_path, damaged):
    """The reader reports such a line (and leaves it out); the tail would not, so it does not answer."""
    text = generate(8_000, 5, 6, 5, 8, 0)
    if damaged is None:
        text = text[:-3]
    else:
        header, *lines = text.splitlines(keepends=True)
        text = header + "".join([*lines[:-5], damaged, *lines[-5:]])
    path = write(tmp_path, text)
    assert read_ninja_log(path).problems_total >= 1
    assert log_tail.read_last_build(str(path)) is None


def test_a_damaged_line_in_an_early_build_is_not_read(native, tmp_path):
    """Lines before the builds the scan needs are never looked at: their damage cannot change the
    last build, which is still the whole-log reader's."""
    text = generate(20_000, 5, 7, 6, 8, 0)
    header, *lines = text.splitlines(keepends=True)
    lines[10] = "garbage without tabs\n"
    path = write(tmp_path, header + "".join(lines))
    last = log_tail.read_last_build(str(path), line_numbers=True)
    assert last is not None and read_ninja_log(path).problems_total == 1
    assert_same_as_whole_log(path, last)


def test_without_the_c_module_the_whole_log_is_read(native, tmp_path, monkeypatch):
    path = write(tmp_path, generate(8_000, 5, 8, 5, 8, 0))
    monkeypatch.setenv("BUILDPROF_NO_NATIVE", "1")
    assert log_tail.read_last_build(str(path)) is None


def test_the_trace_from_the_end_equals_the_trace_from_the_whole_log(native, run_cli, tmp_path, monkeypatch):
    """Same events, byte for byte, but for the process name (the builds before are not counted)."""
    folder = tmp_path / "build"
    folder.mkdir()
    write(folder, generate(20_000, 5, 9, 5, 16, 0))
    result = run_cli("trace", folder, "-o", tmp_path / "tail.json")
    assert result.exit_code == 0, result.output
    monkeypatch.setattr(log_tail, "_log_native", None)
    result = run_cli("trace", folder, "-o", tmp_path / "whole.json")
    assert result.exit_code == 0, result.output
    tail, whole = (json.loads((tmp_path / name).read_bytes()) for name in ("tail.json", "whole.json"))
    assert tail["traceEvents"][0]["args"]["name"] == f"last ninja build of {folder}"
    assert whole["traceEvents"][0]["args"]["name"].endswith("in the log)")
    assert tail["traceEvents"][1:] == whole["traceEvents"][1:] and len(tail["traceEvents"]) > 500
    assert tail["otherData"] == whole["otherData"]


def test_an_unreadable_log_is_one_error_naming_it(native, run_cli, tmp_path):
    folder = tmp_path / "build"
    folder.mkdir()
    (folder / ".ninja_log").write_bytes(b"not a ninja log\n" + b"1\t2\t3\ta.o\tff\n" * 3)
    result = run_cli("trace", folder, "-o", tmp_path / "t.json")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert ".ninja_log" in result.stderr and not (tmp_path / "t.json").exists()
