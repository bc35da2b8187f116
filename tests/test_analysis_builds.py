"""buildprof.analysis.builds: telling the ninja runs of a log apart, and recompacted logs, on real logs.

The line ranges asserted here are the true ones recorded by scripts/capture_fixtures.py (fixtures/README.md,
capture.json), not what the heuristic happened to find.
"""

from __future__ import annotations

import json

import pytest

from buildprof.analysis.builds import split_builds
from buildprof.ninja.log import parse_ninja_log, read_ninja_log


def spans(found) -> list[tuple[int, int]]:
    """(first_line, last_line) of each build found."""
    return [(b.first_line, b.last_line) for b in found.builds]


def body_lines(path) -> list[bytes]:
    """The lines of a log after its header, without newlines."""
    return path.read_bytes().split(b"\n")[1:-1]


def test_two_builds_of_ninja_1_11(captures):
    folder = captures / "clang19-ninja1.11"
    truth = json.loads((folder / "capture.json").read_text())["builds"]
    found = split_builds(read_ninja_log(folder / ".ninja_log").entries)
    assert spans(found) == [(b["first_line"], b["last_line"]) for b in truth] == [(2, 35), (36, 64)]
    assert found.unordered is None and found.wall_clock


def test_five_builds_before_recompaction(captures):
    log = read_ninja_log(captures / "clang19-ninja1.11" / "ninja_log.before_recompact")
    found = split_builds(log.entries)
    assert spans(found) == [(2, 35), (36, 64), (65, 72), (73, 86), (87, 105)]
    assert found.unordered is None


@pytest.mark.parametrize("capture", ["clang14-ninja1.13", "clang19-ninja1.13"])
def test_one_build_of_ninja_1_13(captures, capture):
    found = split_builds(read_ninja_log(captures / capture / ".ninja_log").entries)
    assert spans(found) == [(2, 35)] and found.unordered is None and found.wall_clock


def test_recompacted_log_is_not_split_into_fake_builds(captures):
    """`ninja -t recompact` output: end times jump back 15 times, but it is no build at all."""
    found = split_builds(read_ninja_log(captures / "clang19-ninja1.11" / "ninja_log.recompacted").entries)
    assert found.builds == []
    u = found.unordered
    assert (u.first_line, u.last_line, u.end_row - u.first_row) == (2, 35, 34)


def test_a_build_after_a_recompacted_block_is_found(recompacted_then_build):
    found = split_builds(parse_ninja_log(recompacted_then_build()).entries)
    assert (found.unordered.first_line, found.unordered.last_line) == (2, 35)
    assert spans(found) == [(36, 69)]


def test_a_build_after_a_recompacted_block_is_found_without_a_backward_jump(captures, recompacted_then_build):
    """The block may end with a line that ended before the new build's first line: no jump back."""
    block = body_lines(captures / "clang19-ninja1.11" / "ninja_log.recompacted")
    earliest = min(block, key=lambda line: int(line.split(b"\t")[1]))  # ends at 16 ms
    data = recompacted_then_build(last_line_of_block=earliest)
    entries = parse_ninja_log(data).entries
    assert entries["end_ms"].iloc[34] >= entries["end_ms"].iloc[33]  # no backward jump at the boundary
    found = split_builds(entries)
    assert (found.unordered.first_line, found.unordered.last_line) == (2, 35)
    assert spans(found) == [(36, 69)]


def test_a_run_whose_only_line_has_a_stale_mtime_is_still_a_build(captures):
    """Ninja 1.11 logs a restat edge that left its output alone with its newest input's mtime.

    A third run of only such an edge has a wall-clock origin before build 2: not a recompacted block,
    since builds 1 and 2 already repeat outputs.
    """
    log = (captures / "clang19-ninja1.11" / ".ninja_log").read_bytes()
    first_mtime = int(log.split(b"\n")[1].split(b"\t")[2])
    output = b"engine/generated/engine/opcodes_gen.h"
    stale = b"2\t13\t%d\t%s\ta632a13f2da50fb7\n" % (first_mtime - 60 * 10**9, output)
    found = split_builds(parse_ninja_log(log + stale).entries)
    assert spans(found) == [(2, 35), (36, 64), (65, 65)] and found.unordered is None


def test_without_wall_clock_mtimes_builds_are_split_by_end_times(captures):
    """Logs from ninja before 1.9 hold mtimes in seconds: the end-time rule alone still works."""
    lines = body_lines(captures / "clang19-ninja1.11" / ".ninja_log")
    seconds = [b"\t".join((*line.split(b"\t")[:2], b"1700000000", *line.split(b"\t")[3:])) for line in lines]
    found = split_builds(parse_ninja_log(b"# ninja log v5\n" + b"\n".join(seconds) + b"\n").entries)
    assert spans(found) == [(2, 35), (36, 64)] and not found.wall_clock


def test_a_late_restart_is_not_a_new_build():
    """End times going back to a line that started long after the clock origin: not a ninja run start."""
    data = b"# ninja log v5\n1\t500\t0\ta\t1\n600\t40000\t0\tb\t2\n25000\t26000\t0\tc\t3\n5\t300\t0\td\t4\n"
    found = split_builds(parse_ninja_log(data).entries)
    assert (found.unordered.first_line, found.unordered.last_line) == (2, 4)
    assert spans(found) == [(5, 5)]


@pytest.mark.parametrize(
    ("name", "builds"),
    [
        ("ninja_log.truncated", [(2, 35), (36, 63)]),  # line 64 cut: build 2 loses its last line
        ("ninja_log.glued", [(2, 34), (36, 63)]),  # line 35 = end of build 1 + start of build 2
        ("ninja_log.invalid_start", [(2, 35), (36, 64)]),
    ],
)
def test_damaged_logs_keep_their_builds(captures, name, builds):
    found = split_builds(read_ninja_log(captures / "damaged" / name).entries)
    assert spans(found) == builds and found.unordered is None


@pytest.mark.shared
def test_six_abseil_builds_in_one_log(shared_data, tmp_path):
    """The six clean abseil builds of shared/data/abseil-history, appended as ninja would."""
    folders = sorted((shared_data / "abseil-history").iterdir())
    bodies = [(folder / "ninja_log").read_bytes().split(b"\n", 1)[1] for folder in folders]
    found = split_builds(parse_ninja_log(b"# ninja log v5\n" + b"".join(bodies)).entries)
    sizes = [body.count(b"\n") for body in bodies]
    assert [b.end_row - b.first_row for b in found.builds] == sizes == [244, 247, 249, 251, 253, 253]
    assert found.unordered is None
