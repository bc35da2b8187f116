"""Traces for the equivalence tests of the two summary paths (tests/test_native_summary.py): hand-made
ones of every shape clang writes (and some it does not), random nestings, and byte-level damage.

Each hand-made case says whether the C module summarises it itself (True) or declines it (False: the
Python reference path decides, with its summary, status and message).
"""

from __future__ import annotations

import json
import random

from trace_helpers import CBA_FIXTURES, FIXTURES

from buildprof.trace_rules import MAX_EVENT_US


def _trace(events: list[dict], *, ascii: bool = True, **top) -> bytes:
    """A trace document; non-ASCII characters as \\u escapes unless `ascii` is false."""
    return json.dumps({"traceEvents": events, **top}, ensure_ascii=ascii).encode()


X = {"ph": "X", "pid": 1, "tid": 0}
COMPILER = {**X, "name": "ExecuteCompiler", "ts": 0, "dur": 100, "args": {"detail": ""}}
FRONTEND = {**X, "name": "Frontend", "ts": 1, "dur": 60}
SOURCE = {**X, "name": "Source", "ts": 2, "dur": 20, "args": {"detail": "/p/a.h"}}
INST = {**X, "name": "InstantiateFunction", "ts": 30, "dur": 10, "args": {"detail": "f<int>"}}
BASIC = [SOURCE, INST, FRONTEND, COMPILER]
PRETTY = json.dumps({"beginningOfTime": 5, "traceEvents": BASIC}, indent=2).encode()
ESCAPED = ["é", "😀", "中", 'q"uote\\back/slash', "\b\f\n\r\t\x7f", "\x00nul", "/p/../a.h", "C:\\a\\..\\b.h"]

# (id, trace, whether the C module summarises it itself)
HAND_MADE = [
    ("basic", _trace(BASIC, beginningOfTime=1700000000000000), True),
    ("pretty-printed, keys in another order", PRETTY, True),
    ("keys reversed in every event", _trace([dict(reversed(e.items())) for e in BASIC]), True),
    ("escaped details", _trace([{**SOURCE, "args": {"detail": d}} for d in ESCAPED] + [COMPILER]), True),
    (
        "details and names in UTF-8",
        _trace([{**INST, "name": d, "args": {"detail": d}} for d in ESCAPED] + [COMPILER], ascii=False),
        True,
    ),
    ("escaped keys", _trace(BASIC).replace(b'"name"', b'"n\\u0061me"').replace(b'"ts"', b'"\\u0074s"'), True),
    (
        "unknown keys with nested values",
        _trace(
            [
                {**e, "cat": "x", "z": {"a": [1, -2.5e-3, {"b": None}], "c": [True, False, 's\\"']}}
                for e in BASIC
            ],
            other={"deep": [[[[]]]], "e": 1e300},
        ),
        True,
    ),
    ("missing fields: no name, no ph, no ts, no args", _trace([{}, {"name": "Source"}, *BASIC]), True),
    ("null args, detail, name, count and id", _trace([{**SOURCE, "id": None, "args": None}, COMPILER]), True),
    (
        "args with nulls",
        _trace([{**SOURCE, "args": {"detail": None, "name": None, "count": None}}, COMPILER]),
        True,
    ),
    (
        "b/e pairs, nested and apart, with ids",
        _trace(
            [
                {"ph": "b", "name": "Source", "ts": 2, "id": 7, "args": {"detail": "a.h"}},
                {"ph": "b", "name": "Source", "ts": 3, "id": 8, "args": {"detail": "b.h"}},
                {"ph": "e", "name": "Source", "ts": 9, "id": 8},
                {"ph": "e", "name": "Source", "ts": 12, "id": 7},
                {"ph": "b", "name": "Source", "ts": 13, "id": 0, "args": {"detail": "c.h"}},
                {"ph": "e", "name": "Source", "ts": 14, "id": 0},
                {"ph": "b", "name": "Source", "ts": 15, "args": {"detail": "never closed.h"}},
                COMPILER,
            ]
        ),
        False,
    ),
    (
        "metadata, instant and Total events",
        _trace(
            [
                *BASIC,
                {"ph": "i", "name": "Marker", "ts": 5, "s": "p"},
                {**X, "name": "Total Frontend", "ts": 0, "dur": 60, "args": {"count": 2, "avg ms": 0.03}},
                {**X, "name": "Total Source", "ts": 0, "dur": 20, "args": {"count": None}},
                {"ph": "M", "name": "process_name", "args": {"name": "clang-19"}},
                {"ph": "M", "name": "thread_name", "args": {"name": "clang++"}},
                {"ph": "M", "name": "process_name", "args": {}},
            ]
        ),
        True,
    ),
    ("a process name, then none", _trace([*BASIC, {"ph": "M", "name": "process_name", "args": None}]), True),
    (
        "negative and large integers",
        _trace([{**SOURCE, "ts": -5, "dur": 2**62, "id": -(2**63) + 1}, COMPILER]),
        False,
    ),
    (
        "empty strings",
        _trace([{**SOURCE, "name": "", "ph": "", "args": {"detail": "", "name": ""}}, COMPILER]),
        True,
    ),
    ("windows paths", _trace([{**SOURCE, "args": {"detail": "C:\\src\\..\\a.h"}}, COMPILER]), True),
    ("beginningOfTime null", _trace(BASIC, beginningOfTime=None), True),
    # Damaged events: declined by the C module, left out and counted by the reference path.
    ("a negative duration", _trace([{**SOURCE, "dur": -5000}, *BASIC]), False),
    ("a negative start", _trace([{**INST, "ts": -1}, *BASIC]), False),
    ("a duration beyond a week", _trace([*BASIC[:3], {**INST, "dur": MAX_EVENT_US + 1}, COMPILER]), False),
    ("a start beyond a week", _trace([{**FRONTEND, "ts": MAX_EVENT_US + 1}, *BASIC]), False),
    ("times of exactly a week", _trace([{**SOURCE, "ts": MAX_EVENT_US, "dur": MAX_EVENT_US}, *BASIC]), True),
    (
        "a b/e pair that ends before it begins",
        _trace(
            [
                {"ph": "b", "name": "Source", "ts": 9, "id": 1, "args": {"detail": "r.h"}},
                {"ph": "e", "name": "Source", "ts": 4, "id": 1},
                *BASIC,
            ]
        ),
        False,
    ),
    (
        "b/e pairs apart, one reversed, one beyond a week",
        _trace(
            [
                {"ph": "b", "name": "Source", "ts": 9, "id": 1, "args": {"detail": "r.h"}},
                {"ph": "b", "name": "Source", "ts": 10, "id": 2, "args": {"detail": "w.h"}},
                {"ph": "e", "name": "Source", "ts": 4, "id": 1},
                {"ph": "e", "name": "Source", "ts": MAX_EVENT_US + 11, "id": 2},
                *BASIC,
            ]
        ),
        False,
    ),
    (
        "Total events with a negative duration, count or start",
        _trace(
            [
                *BASIC,
                {**X, "name": "Total Source", "ts": 0, "dur": -3, "args": {"count": 2}},
                {**X, "name": "Total Frontend", "ts": 0, "dur": 3, "args": {"count": -2}},
                {**X, "name": "Total Backend", "ts": -1, "dur": 3, "args": {"count": 1}},
                {**X, "name": "Total Parse", "ts": 0, "dur": 3, "args": {"count": 1}},
            ]
        ),
        False,
    ),
    ("only damaged events", _trace([{**SOURCE, "dur": -1}, {**COMPILER, "ts": -1}]), False),
    # Not the plain shape: declined, the reference path decides (its summary, status and message).
    ("a float time", _trace([{**SOURCE, "ts": 2.5}, COMPILER]), False),
    ("a float beginningOfTime", _trace(BASIC, beginningOfTime=1.5), False),
    ("a detail that is not a string", _trace([{**SOURCE, "args": {"detail": 5}}, COMPILER]), False),
    ("an id that is a string", _trace([{**SOURCE, "id": "a"}, COMPILER]), False),
    ("a count that is a float", _trace([{**X, "name": "Total X", "args": {"count": 1.5}}, COMPILER]), False),
    ("a time beyond 64 bits", _trace([{**SOURCE, "ts": 2**64}, COMPILER]), False),
    ("a duration of 1e30", _trace([{**SOURCE, "dur": 1e30}, COMPILER]), False),
    ("a beginningOfTime beyond 64 bits", _trace(BASIC, beginningOfTime=2**70), False),
    (
        "counts that are not numbers",
        _trace([*BASIC, *({**X, "name": "Total X", "args": {"count": c}} for c in ("7", [1], True, 1e300))]),
        False,
    ),
    (
        "ids that are arrays and objects, pairs apart",
        _trace(
            [
                {"ph": "b", "name": "Source", "ts": 2, "id": [1], "args": {"detail": "a.h"}},
                {"ph": "b", "name": "Source", "ts": 3, "id": {"a": 1}, "args": {"detail": "b.h"}},
                {"ph": "e", "name": "Source", "ts": 9, "id": {"a": 1}},
                {"ph": "e", "name": "Source", "ts": 12, "id": [1]},
                {"ph": "b", "name": "Source", "ts": 13, "id": 1.0, "args": {"detail": "c.h"}},
                COMPILER,
                {"ph": "e", "name": "Source", "ts": 14, "id": 1},
            ]
        ),
        False,
    ),
    (
        "a process name that is not a string",
        _trace([*BASIC, {"ph": "M", "name": "process_name", "args": {"name": [[[["clang"]]]]}}]),
        False,
    ),
    ("a repeated key", b'{"traceEvents": [{"name": "Source", "name": "Frontend", "ph": "X"}]}', False),
    ("no events", _trace([]), False),
    ("events that are not objects", b'{"traceEvents": [1, 2]}', False),
    ("trailing garbage", _trace(BASIC) + b" x", False),
    ("truncated", _trace(BASIC)[:-3], False),
    ("a lone surrogate", _trace([{**SOURCE, "args": {"detail": "\ud800"}}, COMPILER]), False),
    ("invalid UTF-8 in a name", _trace(BASIC).replace(b"Frontend", b"Front\xffnd"), False),
    ("a control byte in a string", _trace(BASIC).replace(b"a.h", b"a\x01h"), False),
    (
        "deep nesting",
        _trace(BASIC).replace(b'"ph"', b'"x": ' + b"[" * 100 + b"]" * 100 + b', "ph"', 1),
        False,
    ),
    (
        "deep nesting in args, 100,000 levels",
        _trace(BASIC).replace(b'"detail"', b'"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b', "detail"', 1),
        False,
    ),
    (
        "deep nesting in another top-level key, 100,000 levels",
        _trace(BASIC)[:-1] + b', "other": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}",
        False,
    ),
]


FUZZ_SOURCES = [  # small real traces: clang 11, 19 (b/e pairs), 14, and clang-cl 9 (escaped paths)
    CBA_FIXTURES / "clang11-pid-45" / "test.json",
    CBA_FIXTURES / "self-win-clang-cl-9.0rc2" / "Colors.json",
    FIXTURES
    / "captures"
    / "clang19-ninja1.13"
    / "CMakeFiles"
    / "3.25.1"
    / "CompilerIdCXX"
    / "a-CMakeCXXCompilerId.json",
    FIXTURES / "captures" / "clang14-ninja1.13" / "TMPDIR" / "CMakeCXXCompilerId-b664e2.json",
]
INSERTS = [
    b'"',
    b"\\",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b" ",
    b"1.5",
    b"-",
    b"null",
    b'"x":1,',
    b"\\u00e9",
]
INSERTS += [b"\\ud800", b"\\udc00", b"\xff", b"\xc3", b"\xe2\x82", b"\x00", b"\n", b"e5", b"0"]
INSERTS += [b"-9", b"99999999999", b"7"]  # negative and absurd times: damaged events


def mutate(data: bytes, rng: random.Random) -> bytes:
    """A truncation, a changed byte, an inserted token or a deleted span at a random place."""
    at = rng.randrange(len(data) + 1)
    kind = rng.randrange(4)
    if kind == 0:
        return data[:at]
    if kind == 1:
        return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    if kind == 2:
        return data[:at] + rng.choice(INSERTS) + data[at:]
    return data[:at] + data[at + rng.randrange(1, 8) :]


SOURCES = ["/p/a.h", "/p/./b.h", "/p/x/../a.h", "vector", "/p/main.cc", "C:\\w\\..\\c.hpp", "", "/p/d.inc"]
TEMPLATES = ["f<int>", "f<long>", "v<int>", "v<v<int>>", "g", "operator<", "h<", "a<b>::c<d>", ""]
KINDS_POOL = [
    ("Frontend", ["", "x"]),
    ("Backend", ["", "y"]),
    ("Source", SOURCES),
    ("ParseClass", ["C"]),
    ("ParseTemplate", ["T"]),
    ("InstantiateClass", TEMPLATES),
    ("InstantiateFunction", TEMPLATES),
    ("OptModule", ["/p/main.cc", "", "/p/./main.cc"]),
    ("OptFunction", ["_Z1fv", "main", ""]),
    ("ExecuteCompiler", ["", "z"]),
    ("CodeGen Function", ["k"]),
    ("PerformPendingInstantiations", [""]),
]


def random_trace(rng: random.Random) -> bytes:
    """A trace of randomly nested events of every kind: ties, zero lengths, events that stick out of
    their parent, b/e pairs, shuffled order, Total and metadata events; in some traces, damaged
    events (negative or absurd times, b/e pairs that end before they begin, bad Total events)."""
    events: list[dict] = []
    damage = 0.04 if rng.random() < 0.3 else 0.0  # per event, in 30% of the traces

    def damaged(event: dict) -> dict:
        field = rng.choice(["ts", "dur", "dur"])
        value = rng.choice([-1, -5000, -(2**62), MAX_EVENT_US + 1, 2**50, MAX_EVENT_US])  # the last is fine
        return {**event, field: value}

    def grow(start: int, end: int, depth: int) -> None:
        t = start
        while t < end and len(events) < 250:
            length = rng.randrange(0, end - t + 1)
            if rng.random() < 0.05:
                length += rng.randrange(1, 10)  # ends after its parent (llvm issue 113699)
            name, details = rng.choice(KINDS_POOL)
            if depth < 6 and rng.random() < 0.6:
                grow(t, t + length, depth + 1)
            event = {"name": name, "ts": t, "args": {"detail": rng.choice(details)}}
            if name == "Source" and rng.random() < 0.4:
                pair_id = rng.choice([None, 0, 7])
                end = t + length
                if rng.random() < damage:
                    end = rng.choice([t - 1, t - 5000, -1, t + MAX_EVENT_US + 1])  # reversed or too long
                begin = damaged(event) if rng.random() < damage / 4 else event
                events.append({**begin, "ph": "b", "id": pair_id})
                events.append({"name": name, "ph": "e", "ts": end, "id": pair_id})
            else:
                complete = {**event, "ph": "X", "dur": length}
                events.append(damaged(complete) if rng.random() < damage else complete)
                if rng.random() < 0.08:
                    events.append({**event, "ph": "X", "dur": length, "name": rng.choice(KINDS_POOL)[0]})
            t += length + rng.choice([0, 0, 1, 3])

    grow(0, rng.randrange(50, 5000), 0)
    if rng.random() < 0.3:
        rng.shuffle(events)  # b/e pairs come apart (declined: numpy decides), may pair reversed
    if rng.random() < 0.5:
        events.append({"name": "ExecuteCompiler", "ph": "X", "ts": 0, "dur": 6000})
    events.append({"name": "Total Source", "ph": "X", "ts": 0, "dur": 5, "args": {"count": 3}})
    if damage:
        total = {
            "name": "Total Frontend",
            "ph": "X",
            "ts": 0,
            "dur": 5,
            "args": {"count": rng.choice([-1, 2])},
        }
        events.insert(rng.randrange(len(events) + 1), damaged(total))
    events.append({"name": "process_name", "ph": "M", "args": {"name": rng.choice(["clang", "x"])}})
    return _trace(events, beginningOfTime=rng.choice([None, 17]))
