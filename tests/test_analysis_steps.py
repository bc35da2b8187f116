"""buildprof.analysis.steps: steps from log lines, weighted time and build summaries, on real builds.

Weighted times are checked against `sweep_weighted`, a plain event sweep written here from the
definition in Chromium's post_build_ninja_summary.py, not against buildprof's own vectorised code.
"""

from __future__ import annotations

import itertools
import json

import pytest

from buildprof.analysis.builds import split_builds
from buildprof.analysis.steps import group_steps, summarize_build
from buildprof.ninja.log import parse_ninja_log, read_ninja_log


def sweep_weighted(intervals: list[tuple[int, int]]) -> list[float]:
    """Weighted time of each [start, end): every instant is shared equally by the steps running then."""
    weighted = [0.0] * len(intervals)
    times = sorted({t for interval in intervals for t in interval})
    for t0, t1 in itertools.pairwise(times):
        running = [i for i, (s, e) in enumerate(intervals) if s <= t0 and t1 <= e]
        for i in running:
            weighted[i] += (t1 - t0) / len(running)
    return weighted


def union_length(intervals: list[tuple[int, int]]) -> int:
    """Total time covered by at least one interval."""
    covered, reach = 0, None
    for s, e in sorted(intervals):
        if reach is None or s > reach:
            covered += e - s
            reach = e
        elif e > reach:
            covered += e - reach
            reach = e
    return covered


def builds_of(path):
    """[(span, steps)] for every build of the log at `path`."""
    log = read_ninja_log(path)
    return [
        (span, group_steps(log.entries.iloc[span.first_row : span.end_row]))
        for span in split_builds(log.entries).builds
    ]


@pytest.mark.shared
def test_abseil_numbers_match_the_raw_log(abseil_build):
    path = abseil_build / ".ninja_log"
    raw = [line.split("\t") for line in path.read_text().splitlines()[1:]]
    start = [int(f[0]) for f in raw]
    end = [int(f[1]) for f in raw]
    [(span, steps)] = builds_of(path)
    summary = summarize_build(steps, span)
    assert max(end) - min(start) == summary.wall_ms == 121730
    assert len(raw) == summary.steps == len(steps) == 253
    assert sum(e - s for s, e in zip(start, end, strict=True)) == summary.cpu_ms == 243237
    assert summary.busy_ms == union_length(list(zip(start, end, strict=True)))
    expected = sweep_weighted(list(zip(steps["start_ms"].tolist(), steps["end_ms"].tolist(), strict=True)))
    assert steps["weighted_ms"].tolist() == pytest.approx(expected, abs=1e-6)
    assert steps["weighted_ms"].sum() == pytest.approx(summary.busy_ms, abs=1e-6)
    assert summary.weighted_ms == pytest.approx(summary.busy_ms, abs=1e-6)


def test_multi_output_edges_are_one_step(captures):
    """Codegen writes 4 lines (lines 17-20) and the symlink step 2 (lines 28-29) in the clean build."""
    folder = captures / "clang19-ninja1.11"
    truth = json.loads((folder / "capture.json").read_text())["builds"]
    builds = builds_of(folder / ".ninja_log")
    assert [len(steps) for _, steps in builds] == [b["steps"] for b in truth] == [30, 28]
    clean = builds[0][1]
    multi = clean[clean["n_outputs"] > 1]
    assert multi[["line", "n_outputs"]].values.tolist() == [[17, 4], [28, 2]]
    assert multi["output"].tolist() == ["engine/generated/engine/opcodes_gen.h", "engine/libengine.so.1"]
    assert clean["n_outputs"].sum() == 34
    assert clean["step"].tolist() == list(range(30))
    assert clean["line"].is_monotonic_increasing


def test_summaries_match_the_capture_records(captures):
    for capture in ("clang19-ninja1.11", "clang14-ninja1.13", "clang19-ninja1.13"):
        folder = captures / capture
        truth = json.loads((folder / "capture.json").read_text())["builds"]
        found = [summarize_build(steps, span) for span, steps in builds_of(folder / ".ninja_log")]
        assert [(s.first_line, s.last_line, s.outputs, s.steps, s.wall_ms, s.cpu_ms) for s in found] == [
            (b["first_line"], b["last_line"], b["lines"], b["steps"], b["wall_ms"], b["sum_step_ms"])
            for b in truth
        ]
        for _span, steps in builds_of(folder / ".ninja_log"):
            intervals = list(zip(steps["start_ms"].tolist(), steps["end_ms"].tolist(), strict=True))
            assert steps["weighted_ms"].tolist() == pytest.approx(sweep_weighted(intervals), abs=1e-6)
            assert steps["weighted_ms"].sum() == pytest.approx(union_length(intervals), abs=1e-6)


def test_identical_commands_for_different_outputs_stay_separate():
    """Same hash, different start/end: two steps. Same hash, start and end: one step, two outputs."""
    data = (
        b"# ninja log v5\n"
        b"0\t100\t0\tgen/a.h\taaaa\n"
        b"0\t100\t0\tgen/a.cc\taaaa\n"
        b"10\t150\t0\tcopy/x\tbbbb\n"
        b"20\t160\t0\tcopy/y\tbbbb\n"
        b"0\t100\t0\tother\tcccc\n"
    )
    steps = group_steps(parse_ninja_log(data).entries)
    assert steps[["output", "n_outputs", "duration_ms", "line"]].values.tolist() == [
        ["gen/a.h", 2, 100, 2],
        ["copy/x", 1, 140, 4],
        ["copy/y", 1, 140, 5],
        ["other", 1, 100, 6],
    ]
    intervals = [(0, 100), (10, 150), (20, 160), (0, 100)]
    assert steps["weighted_ms"].tolist() == pytest.approx(sweep_weighted(intervals), abs=1e-9)


def test_idle_gaps_and_zero_length_steps():
    """A gap with nothing running is not busy time; a step of 0 ms weighs nothing."""
    data = b"# ninja log v5\n5\t5\t0\tb\t2\n0\t10\t0\ta\t1\n30\t50\t0\tc\t3\n"
    log = parse_ninja_log(data)
    [span] = split_builds(log.entries).builds
    steps = group_steps(log.entries)
    summary = summarize_build(steps, span)
    assert steps["weighted_ms"].tolist() == [0.0, 10.0, 20.0]
    assert (summary.wall_ms, summary.busy_ms, summary.cpu_ms, summary.weighted_ms) == (50, 30, 30, 30.0)


def _whole_arrays_weighted(start, end):
    """weighted_and_busy as it was computed before its chunks (every temporary array whole, int64,
    np.unique's boundaries): the chunked version must give the same floats, bit for bit."""
    import numpy as np

    start_sorted, end_sorted = np.sort(start, kind="stable"), np.sort(end, kind="stable")
    times = np.unique(np.concatenate([start_sorted, end_sorted]))
    running = np.searchsorted(start_sorted, times, side="right")
    running = (running - np.searchsorted(end_sorted, times, side="right"))[:-1]
    gaps = np.diff(times)
    busy = int(gaps[running > 0].sum())
    share = gaps / np.maximum(running, 1)
    share[running == 0] = 0.0
    cumulative = np.concatenate(([0.0], np.cumsum(share)))
    return cumulative[np.searchsorted(times, end)] - cumulative[np.searchsorted(times, start)], busy


@pytest.mark.parametrize("chunk", [1, 3, 64, 1 << 16])
def test_chunked_weighted_times_are_the_whole_arrays_ones(chunk, monkeypatch):
    import numpy as np

    from buildprof.analysis import steps as steps_module

    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 300, 5000):
        start = rng.integers(0, 3 * n, n).astype(np.int64)
        end = start + rng.choice([0, 0, 1, 2, 17, 500, 12345], n)
        want = _whole_arrays_weighted(start, end)
        monkeypatch.setattr(steps_module, "_CHUNK", chunk)
        weighted, busy = steps_module.weighted_and_busy(start, end)
        assert busy == want[1] and weighted.tobytes() == want[0].tobytes()


def test_weighted_times_of_times_beyond_int32_are_the_whole_arrays_ones(monkeypatch):
    """Boundaries that do not fit in int32 take the int64 road, with the same floats."""
    import numpy as np

    from buildprof.analysis import steps as steps_module

    rng = np.random.default_rng(6)
    start = rng.integers(0, 900, 400).astype(np.int64) + 2**31 - 500
    end = start + rng.choice([0, 3, 40, 2**33], 400)
    monkeypatch.setattr(steps_module, "_CHUNK", 16)
    want = _whole_arrays_weighted(start, end)
    weighted, busy = steps_module.weighted_and_busy(start, end)
    assert busy == want[1] and weighted.tobytes() == want[0].tobytes()
