"""Reading clang -ftime-trace files: every format clang writes, other JSON, damaged traces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec
from trace_helpers import CBA_FIXTURES, FIXTURES, scan_folder

from buildprof.model.traces import column
from buildprof.trace_rules import nice_path
from buildprof.traces._decode import CORRUPT, NOT_TRACE
from buildprof.traces._summary import summarize_trace_bytes

CLANG19 = FIXTURES / "captures" / "clang19-ninja1.11"
CLANG14 = FIXTURES / "captures" / "clang14-ninja1.13"


def _summary(events: list[dict], path: str = "t.json", **top):
    data = json.dumps({"traceEvents": events, **top}).encode()
    return summarize_trace_bytes(data, path, len(data), 0)


def _x(name: str, ts: int, dur: int, detail: str | None = None) -> dict:
    event = {"pid": 7, "tid": 7, "ph": "X", "ts": ts, "dur": dur, "name": name}
    if detail is not None:
        event["args"] = {"detail": detail}
    return event


# A small hand-made TU: main.cc includes a.h (which includes b.h) and c.h; one template instantiates
# another of the same set (recursion) and one of another set.
HAND_MADE = [
    _x("Source", 200, 100, "/p/b.h"),
    _x("Source", 100, 400, "/p/a.h"),
    _x("Source", 520, 60, "/p/c.h"),
    _x("InstantiateClass", 620, 30, "foo<char>"),
    _x("InstantiateClass", 660, 20, "bar<int>"),
    _x("InstantiateClass", 600, 100, "foo<int>"),
    _x("Frontend", 50, 750),
    _x("OptFunction", 850, 40, "_Z3foov"),
    _x("OptModule", 820, 100, "/p/main.cc"),
    _x("Backend", 800, 150),
    _x("ExecuteCompiler", 0, 1000),
    _x("Total Source", 0, 560) | {"args": {"count": 3, "avg ms": 0}},
    {"ph": "M", "name": "process_name", "pid": 7, "tid": 7, "ts": 0, "args": {"name": "clang-19"}},
    {"ph": "i", "name": "SomethingInstant", "pid": 7, "tid": 7, "ts": 10, "s": "t"},
    _x("BrandNewPassName", 900, 10, "whatever"),
]


def test_hand_made_trace_numbers():
    s = _summary(HAND_MADE, beginningOfTime=1_700_000_000_000_000)
    assert s.status == "trace"
    assert (s.total_us, s.frontend_us, s.backend_us) == (1000, 750, 150)
    assert s.clang == "clang-19" and s.beginning_of_time == 1_700_000_000_000_000
    assert s.source == "/p/main.cc"
    files = dict(zip(s.files, column(s, "file_incl_us").tolist(), strict=True))
    assert files == {"/p/a.h": 400, "/p/b.h": 100, "/p/c.h": 60}
    self_us = dict(zip(s.files, column(s, "file_self_us").tolist(), strict=True))
    assert self_us == {"/p/a.h": 300, "/p/b.h": 100, "/p/c.h": 60}
    direct = dict(zip(s.files, column(s, "file_direct").tolist(), strict=True))
    assert direct == {"/p/a.h": 1, "/p/b.h": 0, "/p/c.h": 1}
    templates = {
        name: (incl, own, n_set, us_set)
        for name, incl, own, n_set, us_set in zip(
            s.templates,
            column(s, "tpl_incl_us").tolist(),
            column(s, "tpl_self_us").tolist(),
            column(s, "tpl_set_count").tolist(),
            column(s, "tpl_set_us").tolist(),
            strict=True,
        )
    }
    # foo<char> runs inside foo<int>: same set foo<$>, so the set counts it once (via foo<int>).
    assert templates == {
        "foo<int>": (100, 50, 1, 100),
        "foo<char>": (30, 30, 0, 0),
        "bar<int>": (20, 20, 1, 20),
    }
    assert [(f.name, f.file, f.count, f.us) for f in s.functions] == [("_Z3foov", "/p/main.cc", 1, 40)]
    # Self times over all events add up to the compiler's wall time, unknown event names included.
    breakdown = dict(s.breakdown)
    assert sum(breakdown.values()) == 1000
    assert breakdown["BrandNewPassName"] == 10 and breakdown["Source"] == 300 + 100 + 60


def test_begin_end_pairs_read_like_complete_events():
    """clang 19 writes Source as b/e pairs; the same events as X events give the same summary."""
    pairs = []
    for event in HAND_MADE:
        if event.get("name") == "Source":
            begin = {k: v for k, v in event.items() if k != "dur"} | {"ph": "b", "id": 0, "cat": "Source"}
            end = {"ph": "e", "name": "Source", "id": 0, "cat": "Source", "pid": 7, "tid": 7}
            pairs += [begin, end | {"ts": event["ts"] + event["dur"]}]
        else:
            pairs.append(event)
    same = {"size": 0, "events": 0}  # raw byte and event counts differ, nothing else may
    assert msgspec.structs.replace(_summary(pairs), **same) == msgspec.structs.replace(
        _summary(HAND_MADE), **same
    )


def test_real_clang19_trace_matches_its_complete_event_twin(tmp_path):
    """The same real clang 19 trace, rewritten with X events instead of b/e pairs: identical numbers."""
    original = next(CLANG19.rglob("*.cc.json"))
    doc = json.loads(original.read_text())
    assert any(e.get("ph") == "b" for e in doc["traceEvents"])
    rewritten, open_begin = [], {}
    for event in doc["traceEvents"]:
        if event.get("ph") == "b":
            open_begin[event["id"]] = len(rewritten)
            rewritten.append(event | {"ph": "X"})
        elif event.get("ph") == "e":
            begin = rewritten[open_begin.pop(event["id"])]
            begin["dur"] = event["ts"] - begin["ts"]
        else:
            rewritten.append(event)
    as_x = json.dumps({"traceEvents": rewritten}).encode()
    data = original.read_bytes()
    a = summarize_trace_bytes(data, "t.json", 0, 0)
    b = summarize_trace_bytes(as_x, "t.json", 0, 0)
    assert a.status == b.status == "trace" and len(a.files) > 20
    assert (a.files, a.columns, a.templates, a.breakdown) == (b.files, b.columns, b.templates, b.breakdown)


def test_a_damaged_event_of_a_real_trace_is_left_out_and_counted():
    """A Source event with a negative duration: the summary is that of the trace without it."""
    original = next(CLANG14.rglob("*.cc.json"))
    doc = json.loads(original.read_text())
    events = doc["traceEvents"]
    k = [i for i, e in enumerate(events) if e.get("name") == "Source"][3]
    damaged = {**doc, "traceEvents": [*events[:k], {**events[k], "dur": -5000}, *events[k + 1 :]]}
    removed = {**doc, "traceEvents": events[:k] + events[k + 1 :]}
    a, b = (summarize_trace_bytes(json.dumps(d).encode(), "t.json", 0, 0) for d in (damaged, removed))
    assert a.status == "trace" and a.damaged_events == 1 and b.damaged_events == 0
    assert a.damaged_note == f'event {k} "Source": duration -5000 us is negative'
    same = {"events": 0, "damaged_events": 0, "damaged_note": ""}
    assert msgspec.structs.replace(a, **same) == msgspec.structs.replace(b, **same)
    assert len(a.files) > 20 and min(column(a, "file_incl_us")) >= 0


def test_other_json_is_skipped_quietly_and_damaged_traces_are_reported_once(tmp_path):
    build = tmp_path / "build"
    shutil.copytree(CLANG14, build, ignore=shutil.ignore_patterns(".ninja_log", ".buildprof"))
    before, _ = scan_folder(build)
    traces = sorted(build.rglob("*.cc.json"))
    truncated = traces[0]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    (build / "CMakePresets.json").write_text('{"version": 3, "configurePresets": []}')
    (build / "list.json").write_text("[1, 2, 3]")
    (build / "broken-other.json").write_text("{ this is not json")
    (build / "bad-events.json").write_text('{"traceEvents": [1, 2]}')
    scan, ts = scan_folder(build)
    damaged = {Path(s.path).name: s.message for s in scan.damaged}
    assert set(damaged) == {truncated.name, "bad-events.json"}
    assert damaged[truncated.name].startswith(f"{CORRUPT}: ")  # buildprof's words; msgspec's follow
    assert damaged["bad-events.json"].startswith(f"{NOT_TRACE}: ")
    assert ts.n_traces == len(before.summaries) - 1
    assert not before.damaged and before.skipped == 2  # compile_commands.json, capture.json
    # CMakePresets.json, list.json, broken-other.json: not traces either, and no noise.
    assert scan.skipped == before.skipped + 3


def test_old_clang_pid1_tid0_and_windows_paths():
    scan, ts = scan_folder(CBA_FIXTURES / "self-win-clang-cl-9.0rc2")
    assert ts.n_traces == 3 and not scan.damaged
    assert all("\\" not in f for f in ts.files)
    assert any(f.startswith("C:/Program Files (x86)/") for f in ts.files)


def test_nice_path_resolves_dots_and_turns_backslashes():
    assert nice_path("/a/./b/../c.h") == "/a/c.h"
    assert nice_path("src\\x\\y.h") == "src/x/y.h"
    assert nice_path("//net/a.h") == "/net/a.h"
    assert nice_path("") == ""
