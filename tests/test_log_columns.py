"""The report's array path over a parsed log equals the DataFrame path: builds split on NinjaLog's
columns (repeated paths found by their codes) and steps grouped with numpy, paths decoded only for
the analysed build."""

from __future__ import annotations

import mmap
import sys
from pathlib import Path

import pandas as pd
import pytest

from buildprof.analysis.builds import split_builds
from buildprof.analysis.steps import group_steps, steps_of_log
from buildprof.files import read_regular
from buildprof.ninja.log import parse_ninja_log, read_ninja_log

REPO = Path(__file__).resolve().parents[1]


def _assert_same(log) -> None:
    by_columns, by_frame = split_builds(log), split_builds(log.entries)
    assert (by_columns.builds, by_columns.unordered) == (by_frame.builds, by_frame.unordered)
    assert by_columns.wall_clock == by_frame.wall_clock
    for span in by_columns.builds:
        steps, rows, outputs = steps_of_log(log.columns, log.paths, span)
        pd.testing.assert_frame_equal(steps, group_steps(log.entries.iloc[span.first_row : span.end_row]))
        assert list(outputs) == log.entries["output"].iloc[rows].tolist()


@pytest.mark.parametrize(
    "log",
    [
        "clang19-ninja1.11/.ninja_log",
        "clang19-ninja1.11/ninja_log.recompacted",
        "clang19-ninja1.11/ninja_log.before_recompact",
        "clang19-headers/.ninja_log",
        "clang14-ninja1.13/.ninja_log",
        "damaged/ninja_log.glued",
        "damaged/ninja_log.truncated",
    ],
)
def test_captures(captures, log):
    _assert_same(read_ninja_log(captures / log))


def test_generated_logs_and_steps_whose_lines_are_apart():
    sys.path.insert(0, str(REPO / "scripts"))
    from gen_ninja_log import generate

    _assert_same(parse_ninja_log(generate(20_000, 6, 5, 4, 16, 4).encode()))
    # One edge's two outputs logged with another edge's line between them: grouped all the same.
    text = "# ninja log v5\n0\t10\t0\ta.h\tab\n0\t10\t0\tb.o\tcd\n0\t10\t0\ta.cc\tab\n5\t12\t0\tc\tef\n"
    log = parse_ninja_log(text.encode())
    _assert_same(log)
    steps, _, _ = steps_of_log(log.columns, log.paths, split_builds(log).builds[0])
    assert steps["n_outputs"].tolist() == [2, 1, 1]


def test_paths_are_decoded_when_asked():
    log = parse_ninja_log("# ninja log v5\n0\t1\t0\tx/été.o\t1\n1\t2\t0\ty\\xff.o\t2\n".encode())
    assert log.paths.of([1, 0]).tolist() == ["y\\xff.o", "x/été.o"]
    raw = parse_ninja_log(b"# ninja log v5\n0\t1\t0\tbad\xff.o\t1\n")
    assert raw.paths.all().tolist() == ["bad\udcff.o"] == raw.entries["output"].tolist()


def test_a_large_log_is_mapped_and_parsed_as_its_bytes(tmp_path):
    sys.path.insert(0, str(REPO / "scripts"))
    from gen_ninja_log import generate

    text = generate(70_000, 7, 2, 3, 16, 5).encode()
    assert len(text) >= 1 << 23  # ninja.log maps logs from 8 MiB on
    (tmp_path / ".ninja_log").write_bytes(text)
    mapped, copied = (
        read_ninja_log(tmp_path / ".ninja_log"),
        parse_ninja_log(text, str(tmp_path / ".ninja_log")),
    )
    assert isinstance(mapped.paths.data, mmap.mmap) and isinstance(copied.paths.data, bytes)
    pd.testing.assert_frame_equal(mapped.entries, copied.entries)
    assert (mapped.problems, mapped.problems_total, mapped.total_lines) == (
        copied.problems,
        copied.problems_total,
        copied.total_lines,
    )
    _assert_same(mapped)
    assert read_regular(tmp_path / ".ninja_log") == text  # without map_from: the bytes, copied
