"""`buildprof trace`: the analysed build as Chrome / Perfetto trace JSON, checked against the inputs.

Every expectation is computed here from the files themselves: the steps from the log's lines of the
build the report analyses (its first and last line), the clang events from each trace's JSON.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import random
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from buildprof.analysis.lanes import assign_lanes

STEP_KINDS = {"compile", "link", "archive", "codegen", "configure", "other"}
CAPTURES = ("clang19-ninja1.11", "clang19-ninja1.13", "clang14-ninja1.13", "clang19-one-tu")


def export(run_cli, folder: Path, out: Path, *args: str) -> dict:
    result = run_cli("trace", folder, "-o", out, *args)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(out.read_bytes())  # strict: no NaN, valid UTF-8, every string closed


def last_build_lines(run_cli, folder: Path) -> list[list[str]]:
    """The log lines of the build `report` analyses, split in fields."""
    result = run_cli("report", folder, "--format", "json", "--no-cache")
    summary = json.loads(result.stdout)["builds"][-1]["summary"]
    lines = (folder / ".ninja_log").read_bytes().decode("utf-8", "surrogateescape").split("\n")
    return [line.split("\t") for line in lines[summary["first_line"] - 1 : summary["last_line"]]]


def expected_steps(lines: list[list[str]]) -> Counter:
    """(first output, start ms, end ms) of each step: lines sharing hash, start and end are one."""
    first: dict[tuple, str] = {}
    for start, end, _, output, cmdhash in lines:
        first.setdefault((cmdhash, int(start), int(end)), output)
    return Counter((output, start, end) for (_, start, end), output in first.items())


def check_structure(doc: dict) -> tuple[list[dict], list[dict]]:
    """Every event has the keys its phase needs; returns (step events, clang events)."""
    assert doc["displayTimeUnit"] == "ms"
    steps, clang = [], []
    names = {(e["tid"], e["name"]) for e in doc["traceEvents"] if e["ph"] == "M"}
    for event in doc["traceEvents"]:
        assert {"name", "ph", "pid", "tid"} <= event.keys(), event
        assert isinstance(event["name"], str) and event["pid"] == 1
        if event["ph"] == "M":
            assert isinstance(event["args"], dict)
            continue
        assert event["ph"] in ("X", "b", "e") and isinstance(event["ts"], (int, float))
        assert (event["tid"], "thread_name") in names  # every lane is named
        if event["ph"] == "X":
            assert event["dur"] >= 0
        else:
            assert "id" in event and event["cat"] == "Source"
        is_step = event["ph"] == "X" and event.get("cat") in STEP_KINDS and "target" in event.get("args", {})
        (steps if is_step else clang).append(event)
    return steps, clang


def assert_lanes_do_not_overlap(steps: list[dict]) -> None:
    by_lane = defaultdict(list)
    for event in steps:
        by_lane[event["tid"]].append((event["ts"], event["ts"] + event["dur"]))
    for spans in by_lane.values():
        spans.sort()
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start


def most_at_once(spans: list[tuple[int, int]]) -> int:
    """The most [start, end) intervals that run at one instant; a zero-length one runs at its instant,
    after the intervals that end there and before those that start there and last."""
    points = [(e, 0, 0, 0, -1) for s, e in spans if e > s]
    for k, (s, e) in enumerate(spans):
        points += [(s, 1, e, k, 1)] + ([(s, 1, e, k, -1)] if e == s else [])
    running = best = 0
    for *_, delta in sorted(points, key=lambda p: (*p[:4], -p[4])):
        running += delta
        best = max(best, running)
    return best


@pytest.mark.parametrize("capture", CAPTURES)
def test_steps_of_the_last_build_on_lanes(run_cli, captures, capture, tmp_path):
    folder = captures / capture
    doc = export(run_cli, folder, tmp_path / "trace.json")
    steps, clang = check_structure(doc)
    assert clang == []
    expected = expected_steps(last_build_lines(run_cli, folder))
    got = Counter((e["name"], e["ts"] // 1000, (e["ts"] + e["dur"]) // 1000) for e in steps)
    assert got == expected  # the same steps, durations and times as the log's
    assert all(e["ts"] % 1000 == 0 and e["dur"] == e["args"]["duration_ms"] * 1000 for e in steps)
    assert_lanes_do_not_overlap(steps)
    lanes = {e["tid"] for e in steps}
    assert len(lanes) == most_at_once([(s, e) for _, s, e in expected.elements()])
    assert sum(e["args"]["weighted_ms"] for e in steps) == pytest.approx(
        most_at_once_busy([(e["ts"], e["ts"] + e["dur"]) for e in steps]) / 1000, abs=0.01 * len(steps)
    )


def most_at_once_busy(spans: list[tuple[int, int]]) -> int:
    """Time during which at least one interval runs (weighted times add up to it)."""
    busy, reach = 0, None
    for start, end in sorted(spans):
        if reach is None or start > reach:
            busy += end - start
            reach = end
        elif end > reach:
            busy += end - reach
            reach = end
    return busy


def clang_events_of(trace: Path, granularity_us: int) -> Counter:
    """What the trace holds to embed: X events but "Total" ones, and b/e pairs, at least this long."""
    events = json.loads(trace.read_bytes())["traceEvents"]
    found = Counter()
    for k, event in enumerate(events):
        if event["ph"] == "X" and not event["name"].startswith("Total ") and event["dur"] >= granularity_us:
            found["X"] += 1
        if event["ph"] == "b":
            end = events[k + 1]
            assert end["ph"] == "e" and end["id"] == event["id"]  # clang writes a pair back to back
            found["b"] += end["ts"] - event["ts"] >= granularity_us
    return found


@pytest.mark.parametrize(
    ("capture", "granularity_ms"), [("clang19-ninja1.11", 0), ("clang19-ninja1.13", 2.5)]
)
def test_embedded_clang_events_sit_inside_their_steps(run_cli, captures, capture, granularity_ms, tmp_path):
    folder = captures / capture
    args = ["--embed-time-trace", "--granularity", str(granularity_ms)]
    doc = export(run_cli, folder, tmp_path / "trace.json", *args)
    steps, clang = check_structure(doc)
    windows = {}
    expected = Counter()
    for step in steps:
        trace = folder / (step["name"][: -len(".o")] + ".json")
        if step["name"].endswith(".o") and trace.is_file():
            windows[step["tid"], step["ts"]] = (step["ts"], step["ts"] + step["dur"])
            expected += clang_events_of(trace, round(granularity_ms * 1000))
    assert len(windows) >= 1 and expected["b"] > 0  # clang 19: Source pairs
    got = Counter(e["ph"] for e in clang)
    assert got == Counter({"X": expected["X"], "b": expected["b"], "e": expected["b"]})
    lanes = defaultdict(list)
    for (tid, _), window in windows.items():
        lanes[tid].append(window)
    for event in clang:  # each event lies inside a step of its lane that has a trace
        end = event["ts"] + event.get("dur", 0)
        assert any(start <= event["ts"] and end <= stop + 1e-6 for start, stop in lanes[event["tid"]]), event
    pairs = Counter((e["id"], e["ph"]) for e in clang if e["ph"] in "be")
    assert all(pairs[ident, "b"] == pairs[ident, "e"] for ident, _ in pairs)
    assert len({ident for ident, _ in pairs}) == len(windows)  # one id per trace


def test_clang14_traces_have_no_pairs_and_the_output_streams_to_stdout(run_cli, captures):
    result = run_cli("trace", captures / "clang14-ninja1.13", "--embed-time-trace", "--granularity", "1")
    assert result.exit_code == 0, result.stderr
    _, clang = check_structure(json.loads(result.stdout))
    assert clang and all(e["ph"] == "X" and e["dur"] >= 1000 for e in clang)


def test_hostile_names_stay_valid_json_and_exact(run_cli, write_log, tmp_path):
    names = [
        'quote"and\\backslash.o',
        "ctrl\x1b[31m\x0e\x7fbell.o",
        "</script><script>alert(1)</script>.o",
        "bidi\u202etxt.o",
        "caf\xe9 \U0001f600.o",
        "line\u2028sep.o",
    ]
    lines = [f"{10 * k}\t{10 * k + 5}\t0\t{name}\t{k:x}" for k, name in enumerate(names)]
    body = "".join(f"{line}\n" for line in lines).encode() + b"70\t90\t0\tbad\xff\xfeutf8.o\tff\n"
    folder = write_log(b"# ninja log v5\n" + body, header="")
    doc = export(run_cli, folder, tmp_path / "trace.json")
    steps, _ = check_structure(doc)
    got = {e["name"] for e in steps}
    assert got == {*names, "bad\udcff\udcfeutf8.o"}  # \udcNN: the bytes that were not UTF-8
    assert os.fsencode("bad\udcff\udcfeutf8.o") == b"bad\xff\xfeutf8.o"
    raw = (tmp_path / "trace.json").read_bytes()
    assert b"\x1b" not in raw and "\u202e".encode() not in raw and b"\xff" not in raw


def test_output_over_an_input_is_refused(run_cli, capture_copy):
    folder = capture_copy("clang19-ninja1.11")
    before = (folder / ".ninja_log").read_bytes()
    result = run_cli("trace", folder, "-o", folder / ".ninja_log")
    assert result.exit_code == 2
    assert ".ninja_log" in result.stderr and result.stderr.count("\n") == 1
    assert (folder / ".ninja_log").read_bytes() == before


def test_a_folder_without_a_log_is_one_line_and_exit_2(run_cli, tmp_path):
    result = run_cli("trace", tmp_path, "-o", tmp_path / "t.json")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert str(tmp_path) in result.stderr and not (tmp_path / "t.json").exists()


def test_damaged_lines_are_reported_and_the_rest_exported(run_cli, write_log, tmp_path):
    folder = write_log(["0\t10\t0\ta.o\t1", "5\tnot-a-number\t0\tb.o\t2", "8\t20\t0\tc.o\t3"])
    doc = export(run_cli, folder, tmp_path / "trace.json")
    steps, _ = check_structure(doc)
    assert sorted(e["name"] for e in steps) == ["a.o", "c.o"]
    assert {e["tid"] for e in steps} == {1, 2}  # they overlap: two lanes
    result = run_cli("trace", folder, "-o", tmp_path / "again.json")
    assert ".ninja_log:3:" in result.stderr


def _reference_lanes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The rule written plainly: by (start, end), the lowest lane whose last step ended by then."""
    order = np.lexsort((end, start))
    lanes = np.zeros(len(start), dtype=np.int64)
    busy: list[tuple[int, int]] = []
    free: list[int] = []
    used = 0
    for i in order.tolist():
        while busy and busy[0][0] <= start[i]:
            heapq.heappush(free, heapq.heappop(busy)[1])
        lane = heapq.heappop(free) if free else used
        used = max(used, lane + 1)
        lanes[i] = lane
        heapq.heappush(busy, (int(end[i]), lane))
    return lanes


def test_assign_lanes_follows_the_rule():
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randrange(0, 80)
        start = np.array([rng.randrange(0, 30) for _ in range(n)], dtype=np.int64)
        end = start + np.array([rng.choice((0, 0, 1, 2, 5, 9)) for _ in range(n)], dtype=np.int64)
        lanes = assign_lanes(start, end)
        assert lanes.tolist() == _reference_lanes(start, end).tolist()
        spans = list(zip(start.tolist(), end.tolist(), strict=True))
        assert (lanes.max() + 1 if n else 0) == most_at_once(spans)


@pytest.mark.shared
def test_abseil_build_trace(run_cli, abseil_build, tmp_path):
    doc = export(run_cli, abseil_build, tmp_path / "trace.json", "--embed-time-trace", "--granularity", "1")
    steps, clang = check_structure(doc)
    expected = expected_steps(last_build_lines(run_cli, abseil_build))
    got = Counter((e["name"], e["ts"] // 1000, (e["ts"] + e["dur"]) // 1000) for e in steps)
    assert got == expected
    assert_lanes_do_not_overlap(steps)
    want = Counter()
    for step in steps:
        trace = abseil_build / (step["name"][: -len(".o")] + ".json")
        if step["name"].endswith(".o") and trace.is_file():
            want += clang_events_of(trace, 1000)
    got = Counter(e["ph"] for e in clang)
    assert want["b"] > 1000 and got == Counter({"X": want["X"], "b": want["b"], "e": want["b"]})


def test_hostile_clang_events_stay_valid_json(run_cli, write_log, tmp_path):
    folder = write_log(["10\t20\t0\tobj/b.cc.o\t2", "0\t50\t0\tobj/a.cc.o\t1"])
    (folder / "obj").mkdir()
    hostile = 'Parse"Class\\\x1b\u202e</script>'
    events = [
        {
            "ph": "X",
            "name": hostile,
            "ts": 100,
            "dur": 5000,
            "pid": 1,
            "tid": 1,
            "args": {"detail": "\x01\n\u202e"},
        },
        {"ph": "b", "name": "Source", "cat": "Source", "id": 0, "ts": 200, "pid": 1, "tid": 1},
        {"ph": "e", "name": "Source", "cat": "Source", "id": 0, "ts": 900, "pid": 1, "tid": 1},
        {"ph": "X", "name": "ExecuteCompiler", "ts": 0, "dur": 60_000, "pid": 1, "tid": 1},
        {
            "ph": "X",
            "name": "Total Frontend",
            "ts": 0,
            "dur": 60_000,
            "pid": 1,
            "tid": 2,
            "args": {"count": 1},
        },
        {"ph": "X", "name": "negative", "ts": 5, "dur": -3, "pid": 1, "tid": 1},
    ]
    trace = json.dumps({"traceEvents": events, "beginningOfTime": 1}, ensure_ascii=False)
    (folder / "obj" / "a.cc.json").write_bytes(trace.encode())  # raw ESC and U+202E bytes
    (folder / "obj" / "b.cc.json").write_text('{"traceEvents": [')  # damaged: reported, skipped
    out = tmp_path / "trace.json"
    result = run_cli("trace", folder, "--embed-time-trace", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "b.cc.json" in result.stderr  # the damaged trace is named
    steps, clang = check_structure(json.loads(out.read_bytes()))
    assert sorted(e["name"] for e in steps) == ["obj/a.cc.o", "obj/b.cc.o"]
    assert Counter(e["name"] for e in clang) == Counter({hostile: 1, "Source": 2, "ExecuteCompiler": 1})
    assert b"\x1b" not in out.read_bytes() and "\u202e".encode() not in out.read_bytes()
    detail = next(e for e in clang if e["name"] == hostile)["args"]["detail"]
    assert detail == "\x01\n\u202e"
    # The 60 ms trace is scaled into its 50 ms step: ExecuteCompiler fills it exactly.
    compiler = next(e for e in clang if e["name"] == "ExecuteCompiler")
    assert (compiler["ts"], compiler["dur"]) == (0, 50_000)
    assert "a.cc.json: 60.0 ms of events in a step of 50 ms" in result.stderr
