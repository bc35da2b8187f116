"""A build as a Chrome / Perfetto trace (Trace Event Format, JSON), written piece by piece.

    {"traceEvents": [
      {"name":"process_name","ph":"M","pid":1,"tid":0,"args":{"name":"ninja build 0 of build/"}},
      {"name":"thread_name","ph":"M","pid":1,"tid":1,"args":{"name":"lane 0"}}, ...
      {"name":"core/CMakeFiles/core.dir/src/a.cc.o","cat":"compile","ph":"X","ts":1000,"dur":2000,
       "pid":1,"tid":1,"args":{"kind":"compile","target":"core","duration_ms":2,"weighted_ms":1.5,
       "outputs":1}},
      {"name":"Frontend","cat":"clang","ph":"X","ts":1053.0,"dur":900.5,"pid":1,"tid":1,"args":{...}},
      {"name":"Source","cat":"Source","ph":"b","id":7,"ts":...,"pid":1,"tid":1,"args":{"detail":...}},
      {"name":"Source","cat":"Source","ph":"e","id":7,"ts":...,"pid":1,"tid":1}, ...
    ],
    "displayTimeUnit":"ms","otherData":{...}}

Every step is a complete ("X") event on its lane (tid = lane + 1; times in microseconds). With
embedding, each compile step's clang events follow it on the same lane, rebased: the trace's first
event starts with the step, and a trace longer than its step (ninja's times are whole milliseconds)
is scaled into it, so every clang event lies inside its step. Each trace's b/e pairs get an id of
their own (clang 19 gives all of a trace's pairs id 0).

Names are data: every string is JSON-escaped (buildprof.jsonio's rules: names that were not UTF-8
keep their bytes as \\udcNN escapes, terminal-steering characters become \\u escapes); the clang
events' args are copied as the trace wrote them (but those characters, escaped).

The steps' events are the bulk of a big build's file (a million steps: 270 MB). The C module
`_trace_native` (built by setup.py when a C compiler is there) writes them from the log's bytes and
the numpy columns, without a Python object per step and without the GIL, so each piece is made in
a thread while the one before is written; `_steps` here writes the same bytes in Python, and is what
runs without the module or with BUILDPROF_NO_NATIVE=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from buildprof.jsonio import encode_json, inert_json
from buildprof.model.trace_export import TraceExport, TraceExportCounts

if TYPE_CHECKING:
    import numpy as np

try:
    from buildprof.render import _trace_native
except ImportError:  # built without a C compiler: _steps writes them
    _trace_native = None

NATIVE_ENV = "BUILDPROF_NO_NATIVE"  # set (to anything but "" or "0"): the Python writer only

PID = 1
STEPS_PER_PIECE = 20_000
_PLAIN = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII but '"' and '\': JSON as it is
_NOT_PLAIN = re.compile(r"[^ !#-\[\]-~]")


def json_string(text: str) -> str:
    """`text` as a JSON string literal (see the module docstring)."""
    if _PLAIN.fullmatch(text):
        return f'"{text}"'
    return encode_json(text).decode("utf-8")


def chrome_trace(export: TraceExport, counts: TraceExportCounts | None = None) -> Iterator[bytes]:
    """The trace file of `export`, in pieces of a few MB; `counts` is filled in as they are made."""
    counts = counts if counts is not None else TraceExportCounts()
    yield b'{"traceEvents":[\n'
    yield _metadata(export).encode("utf-8")
    steps, releases_gil = _step_writer(export)
    n = len(export.start_ms)
    if not export.traces and releases_gil:
        yield from _ahead(steps, n, counts)
    else:
        yield from _pieces(export, steps, n, counts)
    other = encode_json(
        {"generator": export.generator, "build_dir": export.build_dir, "ninja_log": export.log_path}
    )
    yield b'\n],"displayTimeUnit":"ms","otherData":' + other + b"}\n"


def _ahead(steps, n: int, counts: TraceExportCounts) -> Iterator[bytes]:
    """The steps' pieces in order, each made in a thread while the one before is written: the C
    writer lets go of the GIL, and so does writing a file."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for first in range(0, n, STEPS_PER_PIECE):
            rows = range(first, min(first + STEPS_PER_PIECE, n))
            made = pool.submit(steps, rows)
            if pending is not None:
                yield pending[0].result()
                counts.steps += len(pending[1])
            pending = made, rows
        if pending is not None:
            yield pending[0].result()
            counts.steps += len(pending[1])


def _pieces(export: TraceExport, steps, n: int, counts: TraceExportCounts) -> Iterator[bytes]:
    """The steps' pieces in order, each compile step's clang events after it."""
    for first in range(0, n, STEPS_PER_PIECE):
        rows = range(first, min(first + STEPS_PER_PIECE, n))
        if not export.traces:
            yield steps(rows)
            counts.steps += len(rows)
            continue
        done = first
        for row in rows:  # a step with a trace is written, then its events
            if row in export.traces:
                yield steps(range(done, row + 1))
                done = row + 1
                yield from _embedded(export, row, counts)
        yield steps(range(done, rows.stop))
        counts.steps += len(rows)


def _step_writer(export: TraceExport) -> tuple[Callable[[range], bytes], bool]:
    """A function writing the X events of the steps in a range of rows (the C module's, or _steps),
    and whether it lets go of the GIL (the C module's does)."""
    import numpy as np

    heads, args = _group_texts(export)
    if _trace_native is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        texts = np.array(heads, dtype=object), np.array(args, dtype=object)
        return (lambda rows: _steps(export, rows, *texts).encode("utf-8")), False
    ints = (export.name_lo, export.name_hi, export.start_ms, export.end_ms, export.lane, export.group)
    columns = [np.ascontiguousarray(column, dtype=np.int64) for column in (*ints, export.n_outputs)]
    columns.append(np.ascontiguousarray(export.weighted_ms, dtype=np.float64))
    heads_bytes = tuple(text.encode("utf-8") for text in heads)
    args_bytes = tuple(text.encode("utf-8") for text in args)
    write = _trace_native.write_steps
    return (lambda rows: write(export.names, *columns, heads_bytes, args_bytes, rows.start, rows.stop)), True


def _metadata(export: TraceExport) -> str:
    if export.builds_found is None:  # read from the end of the log: the builds before it not counted
        name = f"last ninja build of {export.build_dir}"
    else:
        name = f"ninja build {export.build_index} of {export.build_dir} ({export.builds_found} in the log)"
    events = [{"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": name}}]
    for lane in range(export.lanes):
        events.append(
            {"name": "thread_name", "ph": "M", "pid": PID, "tid": lane + 1, "args": {"name": f"lane {lane}"}}
        )
        events.append(
            {
                "name": "thread_sort_index",
                "ph": "M",
                "pid": PID,
                "tid": lane + 1,
                "args": {"sort_index": lane},
            }
        )
    return ",\n".join(encode_json(event).decode("utf-8") for event in events)


def _json_contents(texts: list[str]) -> list[str]:
    """Each text as the inside of a JSON string literal: the plain ones (printable ASCII but '"' and
    '\\', found with one search over them all) as they are, the others escaped by json_string."""
    joined = " ".join(texts)  # a space is plain: every other character found belongs to a text
    if _PLAIN.fullmatch(joined) is not None:
        return texts
    import numpy as np

    contents = list(texts)
    ends = np.cumsum([len(text) + 1 for text in texts])
    found = [m.start() for m in _NOT_PLAIN.finditer(joined)]
    for row in set(np.searchsorted(ends, found, "right").tolist()):
        contents[row] = json_string(texts[row])[1:-1]
    return contents


def _group_texts(export: TraceExport) -> tuple[list[str], list[str]]:
    """Per (kind, target) pair: the text between a step's start time and its output, and between its
    lane and its duration."""
    kinds = _json_contents([kind for kind, _ in export.groups])
    targets = _json_contents([target for _, target in export.groups])
    heads = [f'","cat":"{kind}","ph":"X","ts":' for kind in kinds]
    args = [
        f',"args":{{"kind":"{kind}","target":"{target}","duration_ms":'
        for kind, target in zip(kinds, targets, strict=True)
    ]
    return heads, args


def _steps(export: TraceExport, rows: range, heads: np.ndarray, args: np.ndarray) -> str:
    """The X events of the steps at `rows`, each line starting with the comma that separates it:
    every field is a column of strings, interleaved with the constant text between them."""
    a, b = rows.start, rows.stop
    n = b - a
    if n <= 0:
        return ""
    group = export.group[a:b]
    start = export.start_ms[a:b]
    duration = export.end_ms[a:b] - start
    parts: list = [None] * (14 * n)
    parts[0::14] = _json_contents(export.outputs(a, b))
    parts[1::14] = heads[group].tolist()
    parts[2::14] = map(str, (start * 1000).tolist())
    parts[3::14] = [',"dur":'] * n
    parts[4::14] = map(str, (duration * 1000).tolist())
    parts[5::14] = [',"pid":1,"tid":'] * n
    parts[6::14] = map(str, (export.lane[a:b] + 1).tolist())
    parts[7::14] = args[group].tolist()
    parts[8::14] = map(str, duration.tolist())
    parts[9::14] = [',"weighted_ms":'] * n
    parts[10::14] = map(repr, export.weighted_ms[a:b].round(3).tolist())
    parts[11::14] = [',"outputs":'] * n
    parts[12::14] = map(str, export.n_outputs[a:b].tolist())
    parts[13::14] = ['}},\n{"name":"'] * n
    parts[-1] = "}}"
    return ',\n{"name":"' + "".join(parts)


def _embedded(export: TraceExport, row: int, counts: TraceExportCounts) -> Iterator[bytes]:
    """The clang events of step `row`'s trace, rebased into the step, each after a comma."""
    found = export.read_events(export.traces[row], export.granularity_us)
    if found.message:
        counts.unreadable.append(f"{found.path}: {found.message}")
        return
    counts.traces += 1
    counts.left_out += found.left_out
    if not found.events:
        return
    step_start = int(export.start_ms[row]) * 1000
    step_us = (int(export.end_ms[row]) - int(export.start_ms[row])) * 1000
    span = found.end_us - found.start_us
    scale = step_us / span if span > step_us else 1.0
    if span > step_us + 1000:
        counts.longer.append(
            f"{found.path}: {span / 1000:.1f} ms of events in a step of {step_us // 1000} ms"
        )
    origin = found.start_us
    tid = int(export.lane[row]) + 1
    pair_id = row + 1
    pieces = []
    for ev in found.events:
        begin = ev.ts - origin
        finish = begin + ev.dur
        if scale != 1.0:
            begin, finish = round(begin * scale, 3), round(finish * scale, 3)
        ts, te = step_start + begin, step_start + finish
        name = json_string(ev.name)
        cat = json_string(ev.cat or "clang")
        args = ',"args":' + inert_json(ev.args).decode("utf-8") if ev.args else ""
        if ev.pair:
            pieces.append(
                f'{{"name":{name},"cat":{cat},"ph":"b","id":{pair_id},"ts":{ts},"pid":1,"tid":{tid}{args}}},\n'
                f'{{"name":{name},"cat":{cat},"ph":"e","id":{pair_id},"ts":{te},"pid":1,"tid":{tid}}}'
            )
        else:
            pieces.append(
                f'{{"name":{name},"cat":{cat},"ph":"X","ts":{ts},"dur":{te - ts},"pid":1,"tid":{tid}{args}}}'
            )
    counts.clang_events += len(pieces)
    yield (",\n" + ",\n".join(pieces)).encode("utf-8", "surrogatepass")
