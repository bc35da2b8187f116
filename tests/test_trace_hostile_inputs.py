"""Hostile and damaged trace files, on both paths: the C module (the default) and the Python reference
path (msgspec and the numpy batch, BUILDPROF_NO_NATIVE=1).

A trace that cannot be decoded is "damaged" with buildprof's own message, whichever msgspec version
and exception; events with impossible times are left out and counted, the rest of the trace is
analysed; nothing recurses as deep as the input nests. Messages are asserted on buildprof's own text
only, never on what msgspec says after it.
"""

from __future__ import annotations

import json

import msgspec
import pytest

from buildprof.model.traces import TraceSummary, column
from buildprof.trace_rules import MAX_EVENT_US
from buildprof.traces import _decode, _summary
from buildprof.traces._decode import CORRUPT, NO_TIMED, NOT_TRACE, NOT_UTF8, TOO_DEEP, json_depth
from buildprof.traces._events import MAX_JSON_DEPTH
from buildprof.traces._summary import summarize_many

X = {"ph": "X", "pid": 1, "tid": 0}
SOURCE = {**X, "name": "Source", "ts": 2, "dur": 20, "args": {"detail": "/p/a.h"}}
INST = {**X, "name": "InstantiateFunction", "ts": 30, "dur": 10, "args": {"detail": "f<int>"}}
FRONTEND = {**X, "name": "Frontend", "ts": 1, "dur": 60}
COMPILER = {**X, "name": "ExecuteCompiler", "ts": 0, "dur": 100}
TOTAL = {**X, "name": "Total Source", "ts": 0, "dur": 20, "args": {"count": 1}}
PROCESS = {"ph": "M", "name": "process_name", "args": {"name": "clang-19"}}
GOOD = [SOURCE, INST, FRONTEND, COMPILER, TOTAL, PROCESS]
WEEK = MAX_EVENT_US + 1  # the first duration or start beyond the limit


def _trace(events: list, **top) -> bytes:
    return json.dumps({"traceEvents": events, **top}).encode()


def _summaries(*traces: bytes) -> list[TraceSummary]:
    return summarize_many([(data, f"t{i}.json", len(data), 0) for i, data in enumerate(traces)])


@pytest.fixture(params=["native", "reference"])
def path(request, monkeypatch) -> str:
    """Summarise as by default (the C module first) or with the Python reference path alone."""
    if request.param == "reference":
        monkeypatch.setenv(_summary.NATIVE_ENV, "1")
        return request.param
    if _summary._native is None:
        pytest.skip("buildprof.traces._native is not built here: only the reference path exists")
    monkeypatch.delenv(_summary.NATIVE_ENV, raising=False)
    return request.param


# ---- damaged events: left out of the analysis, counted, the first one described

DAMAGED_EVENTS = [  # (id, events inserted before GOOD[2], how many are damaged, the note)
    ("negative duration", [{**SOURCE, "dur": -5000}], 1, 'event 2 "Source": duration -5000 us is negative'),
    ("negative start", [{**INST, "ts": -1}], 1, 'event 2 "InstantiateFunction": start -1 us is negative'),
    ("duration beyond a week", [{**INST, "dur": WEEK}], 1, f"duration {WEEK} us is beyond 7 days"),
    ("start beyond a week", [{**FRONTEND, "ts": WEEK}], 1, f"start {WEEK} us is beyond 7 days"),
    (
        "very negative times",
        [{**SOURCE, "ts": 1 - 2**63, "dur": -(2**62)}],
        1,
        f"start {1 - 2**63} us is negative",
    ),
    ("a duration of 1e30", [{**SOURCE, "dur": 1e30}], 1, "duration does not fit in 64 bits"),
    ("a start of 2**64", [{**SOURCE, "ts": 2**64}], 1, "start does not fit in 64 bits"),
    (
        "a b/e pair that ends before it begins",
        [
            {"ph": "b", "name": "Source", "ts": 9, "args": {"detail": "r.h"}},
            {"ph": "e", "name": "Source", "ts": 4},
        ],
        1,
        'event 2 "Source": ends 5 us before it begins',
    ),
    (
        "b/e pairs apart that end before they begin",
        [
            {"ph": "b", "name": "Source", "ts": 9, "id": 1, "args": {"detail": "r.h"}},
            {"ph": "b", "name": "Source", "ts": 10, "id": 2, "args": {"detail": "s.h"}},
            {"ph": "e", "name": "Source", "ts": 3, "id": 2},
            {"ph": "e", "name": "Source", "ts": 4, "id": 1},
        ],
        2,
        "ends 5 us before it begins",
    ),
    (
        "a b/e pair longer than a week",
        [
            {"ph": "b", "name": "Source", "ts": 1, "args": {"detail": "r.h"}},
            {"ph": "e", "name": "Source", "ts": WEEK + 1},
        ],
        1,
        f"duration {WEEK} us is beyond 7 days",
    ),
    (
        "a Total event's negative duration",
        [{**TOTAL, "dur": -3}],
        1,
        '"Total Source": duration -3 us is negative',
    ),
    ("a Total event's absurd start", [{**TOTAL, "ts": WEEK}], 1, f"start {WEEK} us is beyond 7 days"),
    ("a Total event's negative count", [{**TOTAL, "args": {"count": -2}}], 1, "count -2 is negative"),
    ("a count that is a string", [{**TOTAL, "args": {"count": "7"}}], 1, 'count "7" is not a number'),
    ("a count that is an array", [{**TOTAL, "args": {"count": [[1]]}}], 1, "count [...] is not a number"),
    ("a count that is true", [{**TOTAL, "args": {"count": True}}], 1, "count true is not a number"),
    (
        "a count beyond 64 bits",
        [{**TOTAL, "args": {"count": 2**64}}],
        1,
        f"count {2**64} does not fit in 64 bits",
    ),
    (
        "several: the note is on the first",
        [
            {**TOTAL, "args": {"count": -1}},
            {**SOURCE, "dur": -1},
            {**INST, "ts": -2},
            {**COMPILER, "dur": WEEK},
        ],
        4,
        'event 2 "Total Source": count -1 is negative',
    ),
    (
        "a long name with a quote and a newline, cut",
        [{**X, "name": 'q"\n' + "n" * 100, "ts": 5, "dur": -1}],
        1,
        'event 2 "q\\"\\n' + "n" * 54 + '...": duration -1 us is negative',
    ),
]


@pytest.mark.parametrize(
    ("inserted", "count", "note"), [c[1:] for c in DAMAGED_EVENTS], ids=[c[0] for c in DAMAGED_EVENTS]
)
def test_damaged_events_are_left_out_and_counted(path, inserted, count, note):
    damaged, clean = _summaries(_trace([*GOOD[:2], *inserted, *GOOD[2:]]), _trace(GOOD))
    assert damaged.status == "trace" and damaged.damaged_events == count
    assert damaged.damaged_note.endswith(note) and damaged.damaged_note.startswith("event 2 ")
    assert "\n" not in damaged.damaged_note and len(damaged.damaged_note) < 140
    assert clean.damaged_events == 0 and clean.damaged_note == ""
    # Everything else is the summary of the trace without them.
    same = {"path": "", "size": 0, "events": 0, "damaged_events": 0, "damaged_note": ""}
    assert msgspec.structs.replace(damaged, **same) == msgspec.structs.replace(clean, **same)
    assert damaged.events == clean.events + len(inserted)


def test_times_of_exactly_a_week_are_not_damaged(path):
    (summary,) = _summaries(_trace([{**SOURCE, "ts": MAX_EVENT_US, "dur": MAX_EVENT_US}, *GOOD]))
    assert summary.status == "trace" and summary.damaged_events == 0
    assert column(summary, "file_incl_us").tolist() == [MAX_EVENT_US + 20]


def test_a_trace_of_damaged_events_only_has_no_timed_events(path):
    (summary,) = _summaries(_trace([{**SOURCE, "dur": -1}, {**COMPILER, "ts": -1}, PROCESS]))
    assert summary.status == "damaged" and summary.message == NO_TIMED
    assert (
        summary.damaged_events == 2 and summary.damaged_note == 'event 0 "Source": duration -1 us is negative'
    )


# ---- deep nesting: a damaged trace, and the rest of the batch is summarised

DEEP = 100_000
DEEP_TRACES = {
    "in args": _trace(GOOD).replace(b'"detail"', b'"deep": ' + b"[" * DEEP + b"]" * DEEP + b', "detail"', 1),
    "in a detail": _trace(GOOD).replace(b'"/p/a.h"', b"[" * DEEP + b"]" * DEEP, 1),
    "in an id": _trace(GOOD).replace(b'"ph"', b'"id": ' + b"[" * DEEP + b"]" * DEEP + b', "ph"', 1),
    "in another top-level key": _trace(GOOD)[:-1]
    + b', "other": '
    + b'{"a": ' * DEEP
    + b"1"
    + b"}" * DEEP
    + b"}",
    "as an event": _trace(GOOD).replace(b"[", b"[" + b"[" * DEEP + b"]" * DEEP + b", ", 1),
    "by one level, and cut": b'{"traceEvents": [{"x": ' + b"[" * (MAX_JSON_DEPTH - 2),
}


@pytest.mark.parametrize("deep", list(DEEP_TRACES.values()), ids=list(DEEP_TRACES))
def test_deep_nesting_is_a_damaged_trace_and_the_batch_goes_on(path, deep):
    good = _trace(GOOD)
    summaries = _summaries(good, deep, good)
    assert summaries[1].status == "damaged"
    assert summaries[1].message == f"{TOO_DEEP} (over {MAX_JSON_DEPTH} levels)"
    assert [s.status for s in summaries] == ["trace", "damaged", "trace"]
    alone = _summaries(good)[0]
    assert summaries[0] == alone and msgspec.structs.replace(summaries[2], path="t0.json") == alone


def test_truncated_json_nested_up_to_the_limit_is_corrupt_not_too_deep(path):
    data = b'{"traceEvents": [{"x": ' + b"[" * (MAX_JSON_DEPTH - 3)  # exactly MAX_JSON_DEPTH, and cut
    (summary,) = _summaries(data)
    assert summary.status == "damaged" and summary.message.startswith(f"{CORRUPT}: ")


def test_deep_values_that_decode_are_never_compared_hashed_or_printed(path):
    """Values msgspec decodes as any JSON (ids, args.name, args.count) may be deep arrays: b/e pairs
    apart (matched through a dict), the process name and the Total counts must cope."""
    deep = [[[[[[[[[[1]]]]]]]]]]
    events = [
        {"ph": "b", "name": "Source", "ts": 2, "id": deep, "args": {"detail": "a.h"}},
        {"ph": "b", "name": "Source", "ts": 3, "id": {"k": deep}, "args": {"detail": "b.h"}},
        {"ph": "e", "name": "Source", "ts": 9, "id": {"k": deep}},
        {"ph": "e", "name": "Source", "ts": 12, "id": deep},
        {**TOTAL, "args": {"count": deep}},
        {**PROCESS, "args": {"name": deep}},
        COMPILER,
    ]
    (summary,) = _summaries(_trace(events))
    assert summary.status == "trace" and summary.files == [] and summary.clang == ""  # never paired
    assert (
        summary.damaged_events == 1
        and summary.damaged_note == 'event 4 "Total Source": count [...] is not a number'
    )


def test_events_nested_50000_deep_need_no_step_per_level(path):
    """Events inside one another 50,000 levels deep (flat JSON): summarised alike on every path, with
    no loop per nesting level (that took minutes), and template recursion counted once per set."""
    depth = 50_000
    events = [
        {**X, "name": "InstantiateClass", "ts": i, "dur": 2 * (depth - i), "args": {"detail": f"f<{i % 3}>"}}
        for i in range(depth)
    ]
    events += [{**SOURCE, "ts": 2 * depth, "dur": 1}, {**COMPILER, "dur": 2 * depth + 1}]
    (summary,) = _summaries(_trace(events))
    assert summary.status == "trace" and summary.templates == ["f<0>", "f<1>", "f<2>"]
    assert column(summary, "tpl_count").tolist() == [16667, 16667, 16666]
    assert column(summary, "tpl_set_count").tolist() == [1, 0, 0]  # f<$> counted at the outermost only
    assert column(summary, "tpl_set_us").tolist() == [2 * depth, 0, 0]
    assert column(summary, "tpl_self_us").sum() == 2 * depth and summary.breakdown[0] == (
        "InstantiateClass",
        2 * depth,
    )


def test_json_depth_skips_strings_and_needs_no_recursion():
    assert json_depth(b"") == 0 and json_depth(b"1") == 0 and json_depth(b"{}") == 1
    assert json_depth(b'[[1, [2]], {"a": {"b": []}}]') == 4
    assert json_depth(b'{"a": "[[[[\\"[[[", "b": "]]]]", "c": [[]]}') == 3
    assert json_depth(b"[" * 3_000_000) == 3_000_000  # cut: as far as the brackets go


# ---- undecodable traces: buildprof's own checks say why, whatever msgspec raises

UNDECODABLE = {  # id: (data, buildprof's message or the start of it)
    "invalid UTF-8": (_trace(GOOD).replace(b"Frontend", b"Front\xffnd"), f"{NOT_UTF8} (byte "),
    "nested too deeply": (DEEP_TRACES["in args"], f"{TOO_DEEP} (over {MAX_JSON_DEPTH} levels)"),
    "truncated": (_trace(GOOD)[:-3], f"{CORRUPT}: "),
    "not JSON": (b'{"traceEvents": [nope]}', f"{CORRUPT}: "),
    "JSON, not a trace": (b'{"traceEvents": [1, 2]}', f"{NOT_TRACE}: "),
}
RAISED = [  # what msgspec versions raise (0.19: UnicodeDecodeError for invalid UTF-8, 0.23 DecodeError)
    msgspec.DecodeError("Invalid UTF-8 encoded string"),
    msgspec.ValidationError("Expected `object`, got `int`"),
    UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
    RecursionError("maximum recursion depth exceeded while deserializing an object"),
    ValueError("something new"),
]


@pytest.mark.parametrize("raised", RAISED, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(("data", "message"), list(UNDECODABLE.values()), ids=list(UNDECODABLE))
def test_undecodable_traces_are_classified_by_buildprof_not_by_the_exception(
    monkeypatch, raised, data, message
):
    class Failing:
        def decode(self, data: bytes):
            raise raised

    monkeypatch.setenv(_summary.NATIVE_ENV, "1")
    monkeypatch.setattr(_decode, "DECODER", Failing())
    (summary,) = _summaries(data)
    assert summary.status == "damaged" and summary.message.startswith(message)


@pytest.mark.parametrize(("data", "message"), list(UNDECODABLE.values()), ids=list(UNDECODABLE))
def test_undecodable_traces_with_the_installed_msgspec(path, data, message):
    (summary,) = _summaries(data)
    assert summary.status == "damaged" and summary.message.startswith(message)
    if message.startswith(NOT_UTF8):
        at = data.index(b"\xff")
        assert summary.message == f"{NOT_UTF8} (byte {at})"
