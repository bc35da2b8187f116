"""The C fast path (buildprof.traces._native) against the Python reference path: the same summaries.

For every real trace, and for hand-made traces of every shape clang writes (and some it does not),
both paths must give equal TraceSummary objects. On anything unusual or damaged the C module must
decline (None: the reference path then decides, with its status and message) or give exactly what
the reference gives; random nestings and a fuzz test of real traces with bytes cut, changed or inserted
check that over thousands of traces, in batches as the workers summarise them.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from native_cases import BASIC, FUZZ_SOURCES, HAND_MADE, PRETTY, _trace, mutate, random_trace
from trace_helpers import CBA_FIXTURES, FIXTURES, SHARED_CBA

from buildprof import trace_rules
from buildprof.model.traces import TraceSummary, column
from buildprof.traces import _known, _summary
from buildprof.traces._decode import NO_TIMED, NOT_UTF8, TOO_DEEP, looks_like_trace
from buildprof.traces._discover import find_json_files
from buildprof.traces._summary import summarize_many

Item = tuple[bytes, str, int, int]  # what summarize_many takes: data, path, size, mtime_ns


@pytest.fixture(scope="module")
def native():
    """The compiled module, or a skip when this install has none (no C compiler when installed)."""
    if _summary._native is None:
        pytest.skip("buildprof.traces._native is not built here: only the reference path exists")
    return _summary._native


def both_paths(items: list[Item], monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """Summaries of `items` by the reference path alone, then as by default (the C module first)."""
    monkeypatch.setenv(_summary.NATIVE_ENV, "1")
    reference = summarize_many(items)
    monkeypatch.delenv(_summary.NATIVE_ENV)
    assert _summary.native_summarize() is not None
    return reference, summarize_many(items)


def trace_items(folder: Path) -> list[Item]:
    """The JSON files under `folder` that look like traces, read."""
    items = []
    for file in find_json_files(folder):
        data = Path(file.path).read_bytes()
        if looks_like_trace(data[:4096]):
            items.append((data, file.path, file.size, file.mtime_ns))
    return items


def test_a_compiler_here_means_the_module_is_built():
    """CI must not quietly test only the reference: with a C compiler, the extension must exist."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler here: buildprof installs without its C module")
    assert _summary._native is not None, (
        f"{compiler} exists but buildprof.traces._native is not importable: reinstall (pip install -e .) "
        "and look for the compiler's error in pip's output"
    )


def test_the_environment_variable_turns_the_module_off(native, monkeypatch):
    monkeypatch.setenv(_summary.NATIVE_ENV, "1")
    assert _summary.native_summarize() is None
    monkeypatch.setenv(_summary.NATIVE_ENV, "0")
    assert _summary.native_summarize() is native.summarize


@pytest.mark.parametrize("folder", ["captures", "clangbuildanalyzer"])
def test_committed_real_traces_give_the_same_summaries(native, monkeypatch, folder):
    items = trace_items(FIXTURES / folder if folder == "captures" else CBA_FIXTURES)
    assert len(items) >= 10
    assert all(native.summarize(data) is not None for data, *_ in items)  # real traces take the C path
    reference, fast = both_paths(items, monkeypatch)
    assert fast == reference
    assert {s.status for s in fast} == {"trace"} and {s.damaged_events for s in fast} == {0}


@pytest.mark.shared
def test_abseil_traces_give_the_same_summaries(native, monkeypatch, abseil_build):
    items = trace_items(abseil_build)
    assert len(items) >= 159  # the 159 compiled files and CMake's compiler check
    assert all(native.summarize(data) is not None for data, *_ in items)
    reference, fast = both_paths(items, monkeypatch)
    assert fast == reference


@pytest.mark.shared
def test_clangbuildanalyzer_test_traces_give_the_same_summaries(native, monkeypatch):
    items = trace_items(SHARED_CBA)
    assert len(items) >= 19
    reference, fast = both_paths(items, monkeypatch)
    assert fast == reference


@pytest.mark.parametrize(("data", "summarized"), [c[1:] for c in HAND_MADE], ids=[c[0] for c in HAND_MADE])
def test_hand_made_traces_give_the_same_summaries(native, monkeypatch, data, summarized):
    assert (native.summarize(data) is not None) == summarized
    reference, fast = both_paths([(data, "t.json", len(data), 0)], monkeypatch)
    assert fast == reference


def test_invalid_utf8_is_a_damaged_trace_on_both_paths(monkeypatch):
    """buildprof's own message, whatever msgspec raises for it (0.19: UnicodeDecodeError, 0.23:
    DecodeError), with where the first invalid byte is."""
    data = _trace(BASIC).replace(b"Frontend", b"Front\xffnd")
    reference, fast = both_paths([(data, "t.json", len(data), 0)], monkeypatch)
    assert fast == reference
    at = data.index(b"\xff")
    assert reference[0].status == "damaged" and reference[0].message == f"{NOT_UTF8} (byte {at})"


def test_deep_nesting_is_a_damaged_trace_and_the_rest_of_the_batch_is_summarised(monkeypatch):
    """msgspec gives up on deep JSON with a RecursionError: a damaged trace, never a traceback."""
    deep = [case[1] for case in HAND_MADE if case[0].startswith("deep nesting in")]
    items = [(data, f"{i}.json", len(data), 0) for i, data in enumerate([_trace(BASIC), *deep, PRETTY])]
    reference, fast = both_paths(items, monkeypatch)
    assert fast == reference
    assert [s.status for s in fast] == ["trace", "damaged", "damaged", "trace"]
    assert all(s.message.startswith(TOO_DEEP) for s in fast[1:3])
    assert fast[0] == summarize_many(items[:1])[0] and fast[3] == summarize_many(items[3:])[0]


def test_fuzzed_real_traces_give_the_same_summaries(native, monkeypatch):
    """4,000 damaged variants of real traces: never a crash; what the C module accepts it summarises
    as the reference does (in batches, as workers do), and it declines the rest."""
    rng = random.Random(20261127)
    sources = [path.read_bytes() for path in FUZZ_SOURCES]
    variants: list[Item] = []
    accepted = 0
    for case in range(4000):
        data = mutate(rng.choice(sources), rng)
        if case % 3 == 0:
            data = mutate(data, rng)  # sometimes two changes
        accepted += native.summarize(data) is not None
        variants.append((data, f"f{case}.json", len(data), 0))
    assert 300 < accepted < 3000  # both outcomes are exercised
    for start in range(0, len(variants), 64):
        reference, fast = both_paths(variants[start : start + 64], monkeypatch)
        assert fast == reference


def test_summaries_compare_by_value():
    """The parity tests rely on TraceSummary equality comparing every field."""
    a = TraceSummary("p", 1, 2, "trace", files=["x"])
    assert a == TraceSummary("p", 1, 2, "trace", files=["x"]) and a != TraceSummary("p", 1, 2, "trace")


def test_random_nestings_give_the_same_summaries(native, monkeypatch):
    """600 random traces (in batches, as workers do): the C module agrees with the reference path.

    Damaged events are left out and counted alike, and no time in a summary is ever negative (self
    times aside: siblings may overlap).
    """
    rng = random.Random(1127)
    items = [(random_trace(rng), f"r{i}.json", 0, 0) for i in range(600)]
    handled = sum(native.summarize(data) is not None for data, *_ in items)
    assert 250 < handled < 500  # mostly summarised in C; shuffled b/e pairs, damaged events declined
    summaries = []
    for start in range(0, len(items), 16):
        reference, fast = both_paths(items[start : start + 16], monkeypatch)
        assert fast == reference
        summaries += fast
    assert all(s.status == "trace" or s.message == NO_TIMED for s in summaries)
    with_damage = [s for s in summaries if s.damaged_events]
    assert 150 < len(with_damage) < 350 and all(s.damaged_note.startswith("event ") for s in with_damage)
    for s in summaries:
        phases = [us for us, _ in (*s.cba_frontends, *s.cba_backends)]
        assert min(s.total_us, s.frontend_us, s.backend_us, *phases, *(f.us for f in s.functions)) >= 0
        for name in ("file_incl_us", "src_us", "tpl_incl_us", "tpl_set_us"):
            assert (column(s, name) >= 0).all()


def test_template_recursion_found_without_a_step_per_level_agrees(native, monkeypatch):
    """The reference path walks nested instantiations level by level up to _known.LEVELS deep, then
    finds recursion by subtree spans (no step per level): with LEVELS = 0 the spans decide alone, and
    must agree with the C module's walk on random nestings."""
    monkeypatch.setattr(_known, "LEVELS", 0)
    rng = random.Random(2029)
    items = [(random_trace(rng), f"s{i}.json", 0, 0) for i in range(200)]
    for start in range(0, len(items), 16):
        reference, fast = both_paths(items[start : start + 16], monkeypatch)
        assert fast == reference
    assert any(column(s, "tpl_set_count").sum() < column(s, "tpl_count").sum() for s in reference)


def test_both_paths_take_their_rules_from_trace_rules(native):
    """The event names and the time limit are given to the C module by trace_rules (on import), and
    errors of the configured functions come through."""
    rules = (trace_rules.nice_path, trace_rules.collapse_template_args, trace_rules.is_header)
    settings = (trace_rules.KINDS, trace_rules.MAX_EVENT_US)
    with pytest.raises(TypeError):
        native.summarize("not bytes")
    with pytest.raises(TypeError):
        native.configure(1, 2, 3, *settings)
    with pytest.raises(ValueError):
        native.configure(*rules, trace_rules.KINDS[:-1], trace_rules.MAX_EVENT_US)

    def broken(name: str) -> str:
        raise ValueError(f"cannot collapse {name}")

    long_source = _trace([{**BASIC[0], "dur": 200}, *BASIC[1:]])
    try:
        native.configure(rules[0], broken, rules[2], *settings)
        with pytest.raises(ValueError, match="cannot collapse f<int>"):
            native.summarize(_trace(BASIC))
        native.configure(rules[0], lambda name: 5, rules[2], *settings)
        with pytest.raises(TypeError):
            native.summarize(_trace(BASIC))
        renamed = tuple("Parsing" if name == "Source" else name for name in trace_rules.KINDS)
        native.configure(*rules, renamed, 150)  # other names and limit: other kinds, a damaged event
        assert native.summarize(long_source) is None  # a Source of 200 us > 150: declined
        assert native.summarize(_trace(BASIC))[8:][3] == []  # "Source" is no kind now: no files
    finally:
        native.configure(*rules, *settings)
    assert native.summarize(_trace(BASIC)) is not None and native.summarize(long_source) is not None


def test_details_of_every_length_escaped_or_not_interleaved_give_the_same_summaries(native, monkeypatch):
    """The C module hashes a string's last bytes with loads of a fixed size (lengths 0 to 40 cover each
    case) and looks details up a few events after scanning them, except escaped ones (decoded into a
    reused buffer: looked up at once, after those waiting); null details and args names in between;
    strings are scanned 16 bytes at a time (an escape or a non-ASCII byte at every position).
    Numbering them in another order than the scan's, or mixing two up, would show in the summaries."""
    rng = random.Random(12)
    events, ts = [], 1
    for k in range(400):
        length = k % 41
        text = "".join(rng.choice("ab/<>.,:h") for _ in range(length))
        if k % 7 == 3:  # escaped in the JSON (with ensure_ascii: \\u00e9 too), here or there
            at = k % (length + 1)
            text = f'{text[:at]}"\\é{text[at:]}'
        elif k % 7 == 5:
            text = f"{text}é" if k % 2 else f"é{text}"  # with ascii=False below: bytes above 0x7F
        detail: str | None = None if k % 11 == 5 else text
        name = ("Source", "InstantiateFunction", "InstantiateClass", "ParseClass")[k % 4]
        if name == "Source" and detail is not None:
            detail = "/p/" + detail + ".h"
        args: dict = {"detail": detail}
        if k % 13 == 4:
            args["name"] = text[:5]
        events.append({"ph": "X", "pid": 1, "tid": 0, "name": name, "ts": ts, "dur": 2, "args": args})
        ts += 3
    events.append({"ph": "X", "pid": 1, "tid": 0, "name": "ExecuteCompiler", "ts": 0, "dur": ts + 5})
    for data in (_trace(events), _trace(events, ascii=False)):
        assert native.summarize(data) is not None
        reference, fast = both_paths([(data, "t.json", len(data), 0)] * 2, monkeypatch)
        assert fast == reference
