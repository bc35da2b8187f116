"""The optional C scanner `buildprof._tracescan` against the msgspec path it accelerates.

For every real trace, and for hand-made traces of every shape clang writes (and some it does not),
both paths must give the same summaries. On anything unusual or damaged the scanner must either
decline (None: msgspec then decides, with its status and message) or give exactly what msgspec
decodes; a fuzz test checks that on thousands of real traces with bytes cut, changed or inserted.
Damaged events (negative or absurd times, reversed b/e pairs) are declined by summarize() and counted
by the numpy path: random traces and hand-made cases have them too.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
from trace_helpers import CBA_FIXTURES, FIXTURES, SHARED_CBA

from buildprof.model.traces import TraceSummary, column
from buildprof.trace_rules import collapse_template_args, is_header
from buildprof.traces import _known as trace_known
from buildprof.traces import _reference as trace_batch
from buildprof.traces import _summary as time_trace
from buildprof.traces._discover import find_json_files
from buildprof.traces._events import DECODER, KNOWN_KINDS, MAX_EVENT_US, PHASES, nice_path
from buildprof.traces._summary import NOT_UTF8, TOO_DEEP, looks_like_trace, summarize_many

Item = tuple[bytes, str, int, int]  # what summarize_many takes: data, path, size, mtime_ns


@pytest.fixture(scope="module")
def scanner():
    """The compiled module, or a skip when this install has none (no C compiler when installed)."""
    if trace_batch._tracescan is None:
        pytest.skip("buildprof._tracescan is not built here: only the msgspec path exists")
    return trace_batch._tracescan


def both_paths(items: list[Item], monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """Summaries of `items` by the msgspec path alone, then with the C module.

    The C module has two ways: `summarize` (everything in C, what runs by default) and `flatten`
    (columns for the numpy summary, used when summarize declines); the second must agree too.
    """
    monkeypatch.setenv(trace_batch.NATIVE_ENV, "1")
    reference = summarize_many(items)
    monkeypatch.delenv(trace_batch.NATIVE_ENV)
    flatten = trace_batch.native_flatten()
    assert flatten is not None and trace_batch.native_summarize() is not None
    flattened = []
    with monkeypatch.context() as patch:  # summarize() declining everything: flatten() for all
        patch.setattr(time_trace, "native_summarize", lambda: lambda data: None)
        patch.setattr(time_trace, "native_flatten", lambda: lambda data: flattened.append(1) or flatten(data))
        assert summarize_many(items) == reference
    assert len(flattened) == sum(looks_like_trace(data[:4096]) for data, *_ in items)
    return reference, summarize_many(items)


def trace_items(folder: Path) -> list[Item]:
    """The JSON files under `folder` that look like traces, read."""
    items = []
    for file in find_json_files(folder):
        data = Path(file.path).read_bytes()
        if looks_like_trace(data[:4096]):
            items.append((data, file.path, file.size, file.mtime_ns))
    return items


def assert_same_as_msgspec(columns: tuple, data: bytes) -> None:
    """The scanner's columns hold exactly what msgspec decodes from `data` (which it must accept)."""
    names, name_index, phase, ts, dur, ids, strings, detail, arg_name, count, beginning = columns
    assert len(set(names)) == len(names) and len(set(strings)) == len(strings)  # distinct strings
    doc = DECODER.decode(data)
    events = doc.traceEvents
    n = len(events)
    as_ints = [memoryview(buffer).cast(kind) for buffer, kind in ((ts, "q"), (dur, "q"), (ids, "q"))]
    got_ts, got_dur, got_id = (list(values) for values in as_ints)
    got_count = list(memoryview(count).cast("q"))
    got_name = [names[i] for i in memoryview(name_index).cast("i")]
    got_detail = [strings[i] for i in memoryview(detail).cast("i")]
    got_arg = [None if i == trace_batch.NO_ARGS else strings[i] for i in memoryview(arg_name).cast("i")]
    assert len(got_name) == len(phase) == len(got_ts) == len(got_detail) == n
    assert got_name == [ev.name for ev in events]
    assert list(phase) == [PHASES.get(ev.ph, 0) for ev in events]
    assert [type(v) for ev in events for v in (ev.ts, ev.dur)] == [int] * 2 * n
    assert got_ts == [ev.ts for ev in events] and got_dur == [ev.dur for ev in events]
    no_id = trace_batch._tracescan.NO_ID
    assert [None if i == no_id else i for i in got_id] == [ev.id for ev in events]
    args = [ev.args for ev in events]
    assert got_detail == ["" if a is None or a.detail is None else a.detail for a in args]
    assert got_arg == [None if a is None else "" if a.name is None else a.name for a in args]
    assert got_count == [0 if a is None or a.count is None else a.count for a in args]
    assert {type(a.count) for a in args if a is not None and a.count is not None} <= {int}
    assert beginning == doc.beginningOfTime and type(beginning) in (int, type(None))


def test_a_compiler_here_means_the_scanner_is_built():
    """CI must not quietly test only the fallback: with a C compiler, the extension must exist."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler here: buildprof installs without its C scanner")
    assert trace_batch._tracescan is not None, (
        f"{compiler} exists but buildprof._tracescan is not importable: reinstall (pip install -e .) "
        "and look for the compiler's error in pip's output"
    )


def test_the_environment_variable_turns_the_scanner_off(scanner, monkeypatch):
    monkeypatch.setenv(trace_batch.NATIVE_ENV, "1")
    assert trace_batch.native_flatten() is None
    monkeypatch.setenv(trace_batch.NATIVE_ENV, "0")
    assert trace_batch.native_flatten() is scanner.flatten
    assert scanner.NO_ARGS == trace_batch.NO_ARGS


@pytest.mark.parametrize("folder", ["captures", "clangbuildanalyzer"])
def test_committed_real_traces_give_the_same_summaries(scanner, monkeypatch, folder):
    items = trace_items(FIXTURES / folder if folder == "captures" else CBA_FIXTURES)
    assert len(items) >= 10
    for data, *_ in items:
        columns = scanner.flatten(data)
        assert columns is not None  # every real clang trace takes the fast path...
        assert scanner.summarize(data) is not None  # ...both of them (no damaged event declined)...
        assert_same_as_msgspec(columns, data)
    reference, native = both_paths(items, monkeypatch)
    assert native == reference  # ...and gives the same summaries
    assert {s.status for s in native} == {"trace"} and {s.damaged_events for s in native} == {0}


@pytest.mark.shared
def test_abseil_traces_give_the_same_summaries(scanner, monkeypatch, abseil_build):
    items = trace_items(abseil_build)
    assert len(items) >= 159  # the 159 compiled files and CMake's compiler check
    assert all(scanner.flatten(data) is not None for data, *_ in items)
    assert all(scanner.summarize(data) is not None for data, *_ in items)
    reference, native = both_paths(items, monkeypatch)
    assert native == reference


@pytest.mark.shared
def test_clangbuildanalyzer_test_traces_give_the_same_summaries(scanner, monkeypatch):
    items = trace_items(SHARED_CBA)
    assert len(items) >= 19
    assert all(scanner.flatten(data) is not None for data, *_ in items)
    reference, native = both_paths(items, monkeypatch)
    assert native == reference


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

# (id, trace, whether the scanner handles it itself)
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
        True,
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
        True,
    ),
    (
        "empty strings",
        _trace([{**SOURCE, "name": "", "ph": "", "args": {"detail": "", "name": ""}}, COMPILER]),
        True,
    ),
    ("windows paths", _trace([{**SOURCE, "args": {"detail": "C:\\src\\..\\a.h"}}, COMPILER]), True),
    ("beginningOfTime null", _trace(BASIC, beginningOfTime=None), True),
    # Damaged events: read by flatten, declined by summarize (SUMMARY_DECLINES), counted by numpy.
    ("a negative duration", _trace([{**SOURCE, "dur": -5000}, *BASIC]), True),
    ("a negative start", _trace([{**INST, "ts": -1}, *BASIC]), True),
    ("a duration beyond a week", _trace([*BASIC[:3], {**INST, "dur": MAX_EVENT_US + 1}, COMPILER]), True),
    ("a start beyond a week", _trace([{**FRONTEND, "ts": MAX_EVENT_US + 1}, *BASIC]), True),
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
        True,
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
        True,
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
        True,
    ),
    ("only damaged events", _trace([{**SOURCE, "dur": -1}, {**COMPILER, "ts": -1}]), True),
    # Declined: msgspec decides (same summary, its status and message).
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


@pytest.mark.parametrize(("data", "handled"), [case[1:] for case in HAND_MADE], ids=[c[0] for c in HAND_MADE])
def test_hand_made_traces_give_the_same_summaries(scanner, monkeypatch, data, handled):
    columns = scanner.flatten(data)
    assert (columns is not None) == handled
    if handled:
        assert_same_as_msgspec(columns, data)
    item = (data, "t.json", len(data), 0)
    reference, native = both_paths([item], monkeypatch)
    assert native == reference


def test_columns_of_a_small_trace(scanner):
    data = (
        b' {"traceEvents" : [ {"name":"Source","ph":"b","ts":3,"id":2,"args":{"detail":"caf\\u00e9\\n"}},\n'
        b'{"ph":"e","name":"Source","ts":9,"id":2},{"name":"Total Source","ph":"X","dur":6,'
        b'"args":{"count":4,"avg ms":0.5}},{"ph":"M","name":"process_name","args":{"name":"clang"}},'
        b'{"name":"Source","ph":"i"}], "beginningOfTime": 12 }\n'
    )
    names, name_index, phase, ts, dur, ids, strings, detail, arg_name, count, beginning = scanner.flatten(
        data
    )
    assert names == ["Source", "Total Source", "process_name"]
    assert list(memoryview(name_index).cast("i")) == [0, 0, 1, 2, 0]
    assert list(phase) == [2, 3, 1, 4, 0]
    assert list(memoryview(ts).cast("q")) == [3, 9, 0, 0, 0]
    assert list(memoryview(dur).cast("q")) == [0, 0, 6, 0, 0]
    assert list(memoryview(ids).cast("q")) == [2, 2, scanner.NO_ID, scanner.NO_ID, scanner.NO_ID]
    assert strings == ["café\n", "", "clang"]
    assert list(memoryview(detail).cast("i")) == [0, 1, 1, 1, 1]
    assert list(memoryview(arg_name).cast("i")) == [1, scanner.NO_ARGS, 1, 2, scanner.NO_ARGS]
    assert list(memoryview(count).cast("q")) == [0, 0, 4, 0, 0]
    assert beginning == 12


def test_strings_come_back_as_the_same_objects_and_input_must_be_bytes(scanner):
    data = _trace(BASIC)
    first, again = scanner.flatten(data), scanner.flatten(data)
    assert all(a is b for a, b in zip(first[6], again[6], strict=True))  # hashes computed once
    with pytest.raises(TypeError):
        scanner.flatten(bytearray(data))


def test_invalid_utf8_is_a_damaged_trace_on_both_paths(monkeypatch):
    """buildprof's own message, whatever msgspec raises for it (0.19: UnicodeDecodeError, 0.23:
    DecodeError), with where the first invalid byte is."""
    data = _trace(BASIC).replace(b"Frontend", b"Front\xffnd")
    reference, native = both_paths([(data, "t.json", len(data), 0)], monkeypatch)
    assert native == reference
    at = data.index(b"\xff")
    assert reference[0].status == "damaged" and reference[0].message == f"{NOT_UTF8} (byte {at})"


def test_deep_nesting_is_a_damaged_trace_and_the_rest_of_the_batch_is_summarised(monkeypatch):
    """msgspec gives up on deep JSON with a RecursionError: a damaged trace, never a traceback."""
    deep = [case[1] for case in HAND_MADE if case[0].startswith("deep nesting in")]
    good = [_trace(BASIC), PRETTY]
    items = [(data, f"{i}.json", len(data), 0) for i, data in enumerate([good[0], *deep, good[1]])]
    reference, native = both_paths(items, monkeypatch)
    assert native == reference
    assert [s.status for s in native] == ["trace", "damaged", "damaged", "trace"]
    assert all(s.message.startswith(TOO_DEEP) for s in native[1:3])
    assert native[0] == summarize_many(items[:1])[0] and native[3] == summarize_many(items[3:])[0]


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


def test_fuzzed_real_traces_give_none_or_what_msgspec_gives(scanner, monkeypatch):
    """4,000 damaged variants of real traces: never a crash, and None or the exact columns.

    Variants the scanner accepts are also summarised on both paths (in batches, as workers do).
    """
    rng = random.Random(20261127)
    sources = [path.read_bytes() for path in FUZZ_SOURCES]
    accepted: list[Item] = []
    for case in range(4000):
        data = mutate(rng.choice(sources), rng)
        if case % 3 == 0:
            data = mutate(data, rng)  # sometimes two changes
        columns = scanner.flatten(data)
        if columns is None:
            continue
        try:
            assert_same_as_msgspec(columns, data)
        except Exception as exc:  # whatever msgspec raises: the scanner must not have accepted it
            raise AssertionError(
                f"case {case}: the scanner accepted what msgspec reads otherwise: {data!r}"
            ) from exc
        accepted.append((data, f"f{case}.json", len(data), 0))
    assert 300 < len(accepted) < 3000  # both outcomes are exercised
    for start in range(0, len(accepted), 16):
        reference, native = both_paths(accepted[start : start + 16], monkeypatch)
        assert native == reference


def test_summaries_compare_by_value():
    """The parity tests rely on TraceSummary equality comparing every field."""
    a = TraceSummary("p", 1, 2, "trace", files=["x"])
    assert a == TraceSummary("p", 1, 2, "trace", files=["x"]) and a != TraceSummary("p", 1, 2, "trace")


# ---- summarize(): the whole summary in C, against the msgspec + numpy path

SUMMARY_DECLINES = {  # handled by flatten (then summarised by numpy), declined by summarize
    "b/e pairs, nested and apart, with ids": "a b/e pair that is not back to back",
    "negative and large integers": "damaged events: times outside 0 .. MAX_EVENT_US",
    "a negative duration": "a damaged event",
    "a negative start": "a damaged event",
    "a duration beyond a week": "a damaged event",
    "a start beyond a week": "a damaged event",
    "a b/e pair that ends before it begins": "a damaged event",
    "b/e pairs apart, one reversed, one beyond a week": "damaged events, and pairs apart",
    "Total events with a negative duration, count or start": "damaged events",
    "only damaged events": "damaged events",
}
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


def test_random_nestings_give_the_same_summaries(scanner, monkeypatch):
    """600 random traces (in batches, as workers do): summarize() agrees with the numpy path.

    Damaged events are left out and counted alike on every path, and no time in a summary is ever
    negative (self times aside: siblings may overlap).
    """
    rng = random.Random(1127)
    items = [(random_trace(rng), f"r{i}.json", 0, 0) for i in range(600)]
    handled = sum(scanner.summarize(data) is not None for data, *_ in items)
    assert 250 < handled < 500  # mostly summarised in C; shuffled b/e pairs, damaged events declined
    summaries = []
    for start in range(0, len(items), 16):
        reference, native = both_paths(items[start : start + 16], monkeypatch)
        assert native == reference
        summaries += native
    assert all(s.status == "trace" or s.message == trace_batch.NO_TIMED for s in summaries)
    with_damage = [s for s in summaries if s.damaged_events]
    assert 150 < len(with_damage) < 350 and all(s.damaged_note.startswith("event ") for s in with_damage)
    for s in summaries:
        phases = [us for us, _ in (*s.cba_frontends, *s.cba_backends)]
        assert min(s.total_us, s.frontend_us, s.backend_us, *phases, *(f.us for f in s.functions)) >= 0
        assert all(n >= 0 and us >= 0 for _, n, us in s.totals)
        for name in ("file_incl_us", "src_us", "tpl_incl_us", "tpl_set_us"):
            assert (column(s, name) >= 0).all()


def test_template_recursion_found_without_a_step_per_level_agrees(scanner, monkeypatch):
    """The numpy path walks nested instantiations level by level up to trace_known.LEVELS deep, then
    finds recursion by subtree spans (no step per level): with LEVELS = 0 the spans decide alone, and
    must agree with the C module's walk on random nestings."""
    monkeypatch.setattr(trace_known, "LEVELS", 0)
    rng = random.Random(2029)
    items = [(random_trace(rng), f"s{i}.json", 0, 0) for i in range(200)]
    for start in range(0, len(items), 16):
        reference, native = both_paths(items[start : start + 16], monkeypatch)
        assert native == reference
    assert any(column(s, "tpl_set_count").sum() < column(s, "tpl_count").sum() for s in reference)


@pytest.mark.parametrize(("data", "handled"), [case[1:] for case in HAND_MADE], ids=[c[0] for c in HAND_MADE])
def test_summarize_declines_only_what_it_must(scanner, request, data, handled):
    case = request.node.callspec.id
    assert (scanner.summarize(data) is not None) == (handled and case not in SUMMARY_DECLINES)


def test_summarize_kinds_and_errors(scanner):
    """The C module's event kinds and limit are buildprof's; errors of the configured functions come
    through."""
    assert scanner.KINDS == KNOWN_KINDS and scanner.MAX_EVENT_US == MAX_EVENT_US
    with pytest.raises(TypeError):
        scanner.summarize("not bytes")
    with pytest.raises(TypeError):
        scanner.configure(1, 2, 3)

    def broken(name: str) -> str:
        raise ValueError(f"cannot collapse {name}")

    try:
        scanner.configure(nice_path, broken, is_header)
        with pytest.raises(ValueError, match="cannot collapse f<int>"):
            scanner.summarize(_trace(BASIC))
        scanner.configure(nice_path, lambda name: 5, is_header)
        with pytest.raises(TypeError):
            scanner.summarize(_trace(BASIC))
    finally:
        scanner.configure(nice_path, collapse_template_args, is_header)
    assert scanner.summarize(_trace(BASIC)) is not None
