"""Batched trace summaries, the worker pool, the worker-to-parent messages and the cache pack.

Summaries computed in batches (many traces in one set of numpy operations) must equal the summaries
of each trace alone; messages and the pack must give back exactly the summaries put in.
"""

from __future__ import annotations

import json
import os
import random
import shutil

import msgspec
import pytest
from trace_helpers import CBA_FIXTURES, FIXTURES

from buildprof.trace_rules import MAX_EVENT_US
from buildprof.traces import _pool as fork_pool
from buildprof.traces import _wire as trace_wire
from buildprof.traces._cache import PACK_NAME, load_pack
from buildprof.traces._cache_dir import default_cache_dir
from buildprof.traces._discover import find_json_files
from buildprof.traces._scan import scan_traces
from buildprof.traces._summary import summarize_many, summarize_trace_bytes
from buildprof.traces._wire import NameReceiver, NameSender, decode_results, encode_results

CAPTURE = FIXTURES / "captures" / "clang19-ninja1.11"


def _items(*folders):
    items = []
    for folder in folders:
        for f in find_json_files(folder):
            with open(f.path, "rb") as handle:
                items.append((handle.read(), f.path, f.size, f.mtime_ns))
    return items


def _random_trace(rng: random.Random) -> bytes:
    """Events of every phase and kind in random order, b/e pairs apart, odd details and durations;
    damaged events too: negative or absurd times, b/e pairs that end before they begin (shuffled),
    "Total" events with bad counts."""
    names = ["Source", "InstantiateClass", "InstantiateFunction", "Frontend", "Backend", "OptModule"]
    names += ["ExecuteCompiler", "OptFunction", "ParseClass", "RunPass", "Total Source"]
    events = []
    for _ in range(rng.randint(0, 30)):
        ph = rng.choice("XXXXbeMi")
        event = {"ph": ph, "name": rng.choice(names), "ts": rng.choice([rng.randint(0, 90), 4.5])}
        if rng.random() < 0.03:
            event["ts"] = rng.choice([-5, MAX_EVENT_US + 1, 2**64, MAX_EVENT_US])  # the last is fine
        if ph == "X":
            event["dur"] = rng.randint(-3, 50)
            if rng.random() < 0.03:
                event["dur"] = rng.choice([MAX_EVENT_US + 1, -(2**62), 1e30, MAX_EVENT_US])
        if ph in "be":
            event["id"] = rng.choice([0, 1, "a"])
        if rng.random() < 0.8:
            event["args"] = {"detail": rng.choice(["a.h", "/x/../y.h", "v<int>", "v<char>", "", 5, None])}
            if event["name"] == "Total Source":
                event["args"]["count"] = rng.choice([3, 0, -1, "x", None, 2.5])
        if ph == "M":
            event |= {"name": "process_name", "args": {"name": "clang-x"}}
        events.append(event)
    rng.shuffle(events)
    return json.dumps({"traceEvents": events}).encode()


def test_batches_give_the_summaries_of_single_traces():
    items = _items(CAPTURE, *sorted(p for p in CBA_FIXTURES.iterdir() if p.is_dir()))
    rng = random.Random(7)
    items += [(_random_trace(rng), f"r{i}.json", 0, 0) for i in range(120)]
    alone = [summarize_trace_bytes(*item) for item in items]
    assert 30 < sum(s.damaged_events > 0 for s in alone) < 100
    for size in (2, 7, len(items)):
        batched = [s for k in range(0, len(items), size) for s in summarize_many(items[k : k + size])]
        assert batched == alone


def test_messages_give_back_the_summaries():
    summaries = [summarize_trace_bytes(*item) for item in _items(CAPTURE)]
    huge = summaries[0].__copy__()
    huge.breakdown = [("Source", (1 << 63) + 5)]  # does not fit in an int64 array: sent as it is
    results = [(s, i % 2 == 0) for i, s in enumerate([*summaries, huge])]
    names = NameReceiver()
    back = decode_results(encode_results(results), names)
    assert all(s.path == "" for s, _ in back)  # the receiver knows the paths (they need not be UTF-8)
    assert back == [(msgspec.structs.replace(s, path=""), cached) for s, cached in results]
    files = [f for s, _ in back for f in s.files]
    assert all(f is names.shared[f] for f in files)  # one string object per name


def test_streams_send_each_name_once_and_must_stay_in_order():
    """A worker's messages carry only names it has not sent before; the parent keeps a table per
    worker, and a message out of its stream's order is an error, never wrong names."""
    summaries = [msgspec.structs.replace(summarize_trace_bytes(*item), path="") for item in _items(CAPTURE)]
    groups = [[(s, False) for s in summaries[k : k + 5]] for k in range(0, len(summaries), 5)]
    first, second = NameSender(), NameSender()
    second.stream += 1  # two workers
    messages = [encode_results(group, (first, second)[k % 2]) for k, group in enumerate(groups)]
    alone = [encode_results(group) for group in groups]
    sent = [len(trace_wire._DECODER.decode(m).names) for m in messages]
    distinct = {n for s in summaries for n in (*s.files, *s.templates, *(n for n, _ in s.breakdown))}
    assert len(distinct) < sum(sent) <= 2 * len(distinct)  # each name once per stream
    assert sum(sent) < sum(len(trace_wire._DECODER.decode(m).names) for m in alone)
    names = NameReceiver()
    assert [decode_results(m, names) for m in messages] == groups
    everything = {f for s in summaries for f in s.files}
    assert len(names.shared) >= len(everything)
    assert all(f is names.shared[f] for s, _ in decode_results(alone[0], names) for f in s.files)
    with pytest.raises(RuntimeError, match="out of order"):
        late = NameReceiver()
        decode_results(messages[0], late)
        decode_results(messages[4], late)  # the first worker's third message before its second


def _square(n: int) -> bytes:
    if n == 13:
        raise ValueError("thirteen")
    return str(n * n).encode()


@pytest.mark.skipif(not fork_pool.available(), reason="forked workers are Linux-only")
def test_fork_pool_keeps_task_order_and_reports_worker_errors():
    tasks = list(range(40))
    assert list(fork_pool.ordered_map(_square, [t for t in tasks if t != 13], 3)) == [
        str(t * t).encode() for t in tasks if t != 13
    ]
    assert list(fork_pool.ordered_map(lambda n: b"x" * (n * 100_000), [1, 30, 2], 2)) == [
        b"x" * 100_000,
        b"x" * 3_000_000,
        b"x" * 200_000,
    ]
    with pytest.raises(ValueError, match="thirteen"):
        list(fork_pool.ordered_map(_square, tasks, 2))


@pytest.mark.skipif(not fork_pool.available(), reason="forked workers are Linux-only")
def test_fork_pool_feeds_more_tasks_than_a_pipe_holds(monkeypatch):
    monkeypatch.setattr(fork_pool, "_grow", lambda fd, size: None)  # 64 KB: 16,384 numbers up front
    count = 40_000
    results = list(fork_pool.ordered_map(lambda n: str(n).encode(), range(count), 2))
    assert results == [str(n).encode() for n in range(count)]
    sizes = [5, 0, 70_000]
    assert list(fork_pool.ordered_map(lambda n: b"y" * n, sizes, 3)) == [b"y" * n for n in sizes]


@pytest.fixture()
def build(capture_copy):
    folder = capture_copy(CAPTURE.name)
    return folder


def _scan(build, jobs=2):
    return scan_traces(find_json_files(build), default_cache_dir(build), jobs=jobs)


def test_warm_scans_read_the_pack_and_a_damaged_pack_is_ignored(build):
    first = _scan(build)
    pack = default_cache_dir(build) / PACK_NAME
    assert pack.exists()
    again = _scan(build)
    assert again.summaries == first.summaries and again.parsed == 0
    changed = sorted(build.rglob("*.cc.json"))[0]
    os.utime(changed, ns=(1, 1))
    assert _scan(build).parsed == 1  # the pack is kept: this trace gets an entry
    entry = next(default_cache_dir(build).glob("*.msgpack"))
    os.utime(entry, ns=(2, 2))  # its entry changed after packing: not taken from the pack...
    assert _scan(build).parsed == 0  # ...but the entry itself is valid for the trace
    pack.write_bytes(pack.read_bytes()[:1000])
    assert load_pack(default_cache_dir(build), NameReceiver()) is None
    damaged = _scan(build, jobs=1)
    assert damaged.parsed == len(find_json_files(build)) - 1  # all read again but the one with an entry
    assert damaged.summaries == scan_traces(find_json_files(build), None).summaries
    assert load_pack(default_cache_dir(build), NameReceiver()) is not None  # and written afresh


def test_pack_follows_added_and_deleted_traces(build):
    before = len(_scan(build).summaries)
    traces = sorted(build.rglob("*.cc.json"))
    traces[0].unlink()
    shutil.copyfile(traces[1], build / "extra.cc.json")
    scan = _scan(build)
    assert scan.parsed == 1 and len(scan.summaries) == before
    pack = load_pack(default_cache_dir(build), NameReceiver())
    assert pack is not None and len(pack.summaries) == len(find_json_files(build))


def test_a_first_scan_packs_the_workers_messages_as_they_came(build, monkeypatch):
    from buildprof.traces import _scan as scan_module

    monkeypatch.setattr(scan_module, "_CHUNK_FILES", 2)  # several messages from each of two workers
    written = []
    save = scan_module.save_pack
    monkeypatch.setattr(scan_module, "save_pack", lambda *a: written.append(a[3]) or save(*a))
    first = _scan(build)
    assert written[0] is not None and len(written[0]) > 2  # the messages, not one encoded again
    again = _scan(build)
    assert again.parsed == 0 and again.summaries == first.summaries
    assert again.summaries == scan_traces(find_json_files(build), None).summaries


def test_native_name_numbers_agree_with_the_python_way():
    """The C module's name_numbers gives _wire._lists' bytes and numbers names in the same order into
    the same dict; the breakdown as lists (not tuples) goes the Python way, and a time beyond int64
    leaves the summary as it is (None) on both ways, its names numbered alike."""
    native = trace_wire.native_name_numbers()
    if native is None:
        pytest.skip("the C module is not built")
    summaries = [summarize_trace_bytes(*item) for item in _items(CAPTURE, CBA_FIXTURES)]
    summaries = [s for s in summaries if s.status == "trace"]
    odd = msgspec.structs.replace(summaries[0], breakdown=[list(pair) for pair in summaries[0].breakdown])
    huge = msgspec.structs.replace(summaries[-1], breakdown=[("Huge", 2**63), *summaries[-1].breakdown])
    python, c = trace_wire._Numbers(), trace_wire._Numbers()
    for summary in [*summaries, odd, huge]:
        assert trace_wire._lists(summary, c, native) == trace_wire._lists(summary, python)
        assert list(c.items()) == list(python.items())
    assert trace_wire._lists(huge, python) is None
    assert len(python) > 100
