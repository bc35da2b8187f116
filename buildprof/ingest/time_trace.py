"""Read one clang `-ftime-trace` JSON file and reduce it to a TraceSummary.

Handles what clang 9 to 19+ write: complete `X` events, `b`/`e` Source pairs (clang 19), instant and
metadata events, `Total ...` events, `beginningOfTime`, pid 1/tid 0 traces and Windows paths. Only the
fields used are decoded (msgspec with typed structs). Events are nested by time containment twice: over
the event kinds ClangBuildAnalyzer knows (its numbers are reproduced exactly) and over all events (for
the self-time breakdown of the whole compilation, which adds up to the compiler's wall time).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from typing import Any

import msgspec
import numpy as np

from buildprof.ingest.event_tree import nearest_marked_ancestor, parents_by_containment
from buildprof.model import SUMMARY_COLUMNS, FunctionStat, TraceSummary
from buildprof.names import collapse_template_args, is_header

# Event kinds ClangBuildAnalyzer recognises (others are left out of its nesting).
COMPILER, FRONTEND, BACKEND, SOURCE, PARSE_TEMPLATE, PARSE_CLASS = 1, 2, 3, 4, 5, 6
INST_CLASS, INST_FUNCTION, OPT_MODULE, OPT_FUNCTION = 7, 8, 9, 10
KNOWN_KINDS = {
    "ExecuteCompiler": COMPILER,
    "Frontend": FRONTEND,
    "Backend": BACKEND,
    "Source": SOURCE,
    "ParseTemplate": PARSE_TEMPLATE,
    "ParseClass": PARSE_CLASS,
    "InstantiateClass": INST_CLASS,
    "InstantiateFunction": INST_FUNCTION,
    "OptModule": OPT_MODULE,
    "OptFunction": OPT_FUNCTION,
}
_PATH_KINDS = (SOURCE, OPT_MODULE)  # details that are file paths, normalised
_NAMED_KINDS = (COMPILER, FRONTEND, BACKEND, OPT_MODULE)  # ClangBuildAnalyzer's FindPath stops here
_SNIFF_BYTES = 4096


class _Args(msgspec.Struct):
    detail: Any = None
    name: Any = None  # metadata events: process and thread names
    count: Any = None  # "Total" events


class _Event(msgspec.Struct):
    name: str = ""
    ph: str = ""
    ts: int | float = 0
    dur: int | float = 0
    id: Any = None
    args: _Args | None = None


class _Trace(msgspec.Struct):
    traceEvents: list[_Event]
    beginningOfTime: int | float | None = None


_DECODER = msgspec.json.Decoder(_Trace)


def looks_like_trace(head: bytes) -> bool:
    """Whether the first bytes of a JSON file can be a time trace (clang writes traceEvents first)."""
    return head.lstrip()[:1] == b"{" and b'"traceEvents"' in head


def summarize_trace_bytes(data: bytes, path: str, size: int, mtime_ns: int) -> TraceSummary:
    """Decode a trace file's bytes and summarise it; other or broken JSON gives a status instead."""
    base = {"path": path, "size": size, "mtime_ns": mtime_ns}
    if not looks_like_trace(data[:_SNIFF_BYTES]):
        return TraceSummary(status="not_trace", **base)
    try:
        trace = _DECODER.decode(data)
    except msgspec.ValidationError as exc:
        return TraceSummary(status="damaged", message=f"not a valid time trace: {exc}", **base)
    except msgspec.DecodeError as exc:
        return TraceSummary(status="damaged", message=f"truncated or corrupt JSON: {exc}", **base)
    return summarize_events(trace.traceEvents, trace.beginningOfTime, base)


def nice_path(path: str) -> str:
    """A path as ClangBuildAnalyzer shows it: `.` and `..` resolved, then backslashes made slashes."""
    if not path:
        return path
    normal = posixpath.normpath(path)
    if normal.startswith("//"):
        normal = "/" + normal.lstrip("/")
    return normal.replace("\\", "/")


def summarize_events(events: list[_Event], beginning: Any, base: dict) -> TraceSummary:
    """Reduce the decoded events of one trace (see the module docstring)."""
    flat = _flatten(events)
    if flat is None:
        return TraceSummary(status="damaged", message="no timed events in the trace", **base)
    names, kinds, start, dur, details, meta = flat
    summary = TraceSummary(
        status="trace",
        clang=meta["process"],
        beginning_of_time=int(beginning or 0),
        events=len(events),
        totals=meta["totals"],
        **base,
    )
    summary.breakdown = _self_time_by_name(names, start, dur)
    known = np.flatnonzero(kinds > 0)
    _summarize_known(summary, kinds[known], start[known], dur[known], [details[i] for i in known])
    return summary


_PHASES = {"X": 1, "b": 2, "e": 3, "M": 4}
_TOTAL = -1  # kind code of clang's "Total <name>" summary events


def _kind_of(name: str) -> int:
    return _TOTAL if name.startswith("Total ") else KNOWN_KINDS.get(name, 0)


_KIND_CACHE: dict[str, int] = {}


def _flatten(events: list[_Event]):
    """Timed events as parallel arrays: b/e pairs merged, metadata and Total events set aside.

    Vectorised over the event list (list comprehensions and numpy), since a trace holds thousands of
    events and a build thousands of traces.
    """
    if not events:
        return None
    names = [ev.name for ev in events]
    cache = _KIND_CACHE
    kinds = np.array([cache.get(n) if n in cache else cache.setdefault(n, _kind_of(n)) for n in names])
    phase = np.array([_PHASES.get(ev.ph, 0) for ev in events], dtype=np.int8)
    starts = np.array([ev.ts for ev in events], dtype=np.int64)
    durs = np.array([ev.dur for ev in events], dtype=np.int64)
    meta = {"process": "", "totals": []}
    for i in np.flatnonzero((phase == 1) & (kinds == _TOTAL)).tolist():
        args = events[i].args
        meta["totals"].append((names[i][6:], int((args.count if args else 0) or 0), int(durs[i])))
    for i in np.flatnonzero(phase == 4).tolist():
        if names[i] == "process_name" and events[i].args is not None:
            meta["process"] = str(events[i].args.name or "")
    durs[phase == 2] = -1  # a "b" lasts until its "e"
    _close_pairs(events, names, phase, starts, durs)
    timed = np.flatnonzero(((phase == 1) & (kinds != _TOTAL)) | ((phase == 2) & (durs >= 0)))
    if len(timed) == 0:
        return None
    kept_kinds = kinds[timed]
    # Details are only read for the kinds analysed by name (passes carry function names: not needed).
    details = [
        _detail(events[i], k) if k > 0 else ""
        for i, k in zip(timed.tolist(), kept_kinds.tolist(), strict=True)
    ]
    return [names[i] for i in timed.tolist()], kept_kinds, starts[timed], durs[timed], details, meta


def _close_pairs(events, names, phase, starts, durs) -> None:
    """Give each "b" event the duration up to its matching "e" (same name and id)."""
    begins = np.flatnonzero(phase == 2)
    if len(begins) == 0:
        return
    nxt = begins + 1
    adjacent = nxt < len(phase)
    adjacent[adjacent] = phase[nxt[adjacent]] == 3
    pairs = [
        (b, e)
        for b, e in zip(begins[adjacent].tolist(), nxt[adjacent].tolist(), strict=True)
        if names[b] == names[e] and events[b].id == events[e].id
    ]
    for b, e in pairs:  # clang writes each pair back to back: the common, fast case
        durs[b] = max(int(starts[e] - starts[b]), 0)
    if len(pairs) == len(begins):
        return
    paired = {e for _, e in pairs}
    open_pairs: dict[tuple, list[int]] = defaultdict(list)
    for i in np.flatnonzero((phase == 2) | (phase == 3)).tolist():
        if (durs[i] >= 0 and phase[i] == 2) or i in paired:
            continue
        key = (names[i], events[i].id)
        if phase[i] == 2:
            open_pairs[key].append(i)
        elif open_pairs[key]:
            b = open_pairs[key].pop()
            durs[b] = max(int(starts[i] - starts[b]), 0)


_NICE_CACHE: dict[str, str] = {}


def _detail(ev: _Event, kind: int) -> str:
    detail = ev.args.detail if ev.args is not None else None
    if not isinstance(detail, str):
        return ""
    if kind not in _PATH_KINDS:
        return detail
    nice = _NICE_CACHE.get(detail)
    if nice is None:
        if len(_NICE_CACHE) > 200_000:
            _NICE_CACHE.clear()
        nice = _NICE_CACHE[detail] = nice_path(detail)
    return nice


def _self_time_by_name(names: list[str], start: np.ndarray, dur: np.ndarray) -> list[tuple[str, int]]:
    """Self (exclusive) time per event name over the full nesting; sums to the roots' durations."""
    parent, _ = parents_by_containment(start, dur)
    child_time = np.bincount(parent[parent >= 0], weights=dur[parent >= 0], minlength=len(dur))
    own = dur - child_time.astype(np.int64)
    totals: dict[str, int] = defaultdict(int)
    for name, value in zip(names, own.tolist(), strict=True):
        totals[name] += value
    return sorted(totals.items(), key=lambda kv: -kv[1])


def _summarize_known(
    summary: TraceSummary, kinds: np.ndarray, start: np.ndarray, dur: np.ndarray, details: list[str]
) -> None:
    """Fill the TU, header, template and function fields from the ClangBuildAnalyzer-kind events."""
    n = len(kinds)
    if n == 0:
        return
    parent, order = parents_by_containment(start, dur)
    summary.cba_rejected = bool(parent[-1] != -1)  # its check: the last event must be a root
    summary.total_us = int(dur[kinds == COMPILER].sum())
    summary.frontend_us = int(dur[kinds == FRONTEND].sum())
    summary.backend_us = int(dur[kinds == BACKEND].sum())
    modules = np.flatnonzero(kinds == OPT_MODULE)
    summary.source = details[modules[0]] if len(modules) else ""

    # ClangBuildAnalyzer names a compiler event without detail after the trace file, so it always counts.
    named = np.isin(kinds, _NAMED_KINDS) & (np.array([bool(d) for d in details]) | (kinds == COMPILER))
    path_owner = nearest_marked_ancestor(parent, named)  # FindPath, for events that are not named

    def find_path(i: int) -> str:
        if named[i]:
            return "" if kinds[i] == COMPILER else details[i]
        owner = path_owner[i]
        if owner < 0 or kinds[owner] == COMPILER:
            return ""  # the compiler event is named after the trace file, filled in when loaded
        return details[owner]

    summary.cba_frontends = _merged_frontends(kinds, dur, parent, find_path)
    summary.cba_backends = [(int(dur[i]), find_path(i)) for i in np.flatnonzero(kinds == BACKEND)]
    summary.columns = {
        **_summarize_headers(summary, kinds, dur, details, parent, order),
        **_summarize_templates(summary, kinds, dur, details, parent),
    }
    functions: dict[tuple[str, str], list[int]] = {}
    for i in np.flatnonzero(kinds == OPT_FUNCTION).tolist():
        entry = functions.setdefault((details[i], find_path(i)), [0, 0])
        entry[0] += 1
        entry[1] += int(dur[i])
    summary.functions = [FunctionStat(name, file, c, us) for (name, file), (c, us) in functions.items()]


def _merged_frontends(kinds, dur, parent, find_path) -> list[tuple[int, str]]:
    """Frontend events, those sharing the first one's parent merged into it (clang 13+ emits two)."""
    merged: list[list] = []
    first_parent = None
    for i in np.flatnonzero(kinds == FRONTEND).tolist():
        if merged and parent[i] == first_parent:
            merged[0][0] += int(dur[i])
            continue
        if not merged:
            first_parent = parent[i]
        merged.append([int(dur[i]), find_path(i)])
    return [(us, name) for us, name in merged]


def _factorize(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes for a list of strings, and the distinct strings in first-seen order."""
    index: dict[str, int] = {}
    codes = np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int64)
    return codes, list(index)


def _pack(**arrays: np.ndarray) -> dict[str, bytes]:
    return {
        name: np.ascontiguousarray(a, dtype=SUMMARY_COLUMNS[name]).tobytes() for name, a in arrays.items()
    }


def _summarize_headers(summary, kinds, dur, details, parent, order) -> dict[str, bytes]:
    """Per included file and per Source event: times, direct inclusion, ClangBuildAnalyzer's chains."""
    is_source = kinds == SOURCE
    if not is_source.any():
        return {}
    src = order[is_source[order]]  # Source events, includers before what they include
    rows = len(src)
    row_of = np.full(len(kinds), -1, dtype=np.int64)
    row_of[src] = np.arange(rows)
    includer_event = nearest_marked_ancestor(parent, is_source)[src]
    includer = np.where(includer_event >= 0, row_of[includer_event], -1)
    file_of, files = _factorize([details[i] for i in src.tolist()])
    header_file = np.array([is_header(f) for f in files], dtype=bool)
    direct = parent[src]
    direct_row = np.where(direct >= 0, row_of[direct], -1)  # -1 unless the direct parent is a Source
    header_parent = direct_row >= 0
    header_parent[header_parent] = header_file[file_of[direct_row[header_parent]]]
    us = dur[src]
    nested = includer >= 0
    nested_us = np.bincount(includer[nested], weights=us[nested], minlength=rows).astype(np.int64)
    n_files = len(files)
    summary.files = files
    return _pack(
        file_incl_us=np.bincount(file_of, weights=us, minlength=n_files),
        file_self_us=np.bincount(file_of, weights=us - nested_us, minlength=n_files),
        file_count=np.bincount(file_of, minlength=n_files),
        file_direct=np.bincount(file_of, weights=~nested, minlength=n_files) > 0,
        file_cba_root=np.bincount(file_of, weights=~header_parent, minlength=n_files) > 0,
        src_file=file_of,
        src_includer=includer,
        src_cba_parent=np.where(header_parent, direct_row, -1),
        src_us=us,
    )


def _summarize_templates(summary, kinds, dur, details, parent) -> dict[str, bytes]:
    """Per instantiated name: inclusive and self time, and the part counted for its template set."""
    is_inst = (kinds == INST_CLASS) | (kinds == INST_FUNCTION)
    if not is_inst.any():
        return {}
    insts = np.flatnonzero(is_inst)
    outer = nearest_marked_ancestor(parent, is_inst)
    name_of, names = _factorize([details[i] for i in insts.tolist()])
    set_of_name, _ = _factorize([collapse_template_args(name) for name in names])
    set_of_event = np.full(len(kinds), -1, dtype=np.int64)
    set_of_event[insts] = set_of_name[name_of]
    # An instantiation nested (at any depth) in one of the same template set is recursion: its time
    # is already in the outer one's, so the set does not count it again.
    recursive = np.zeros(len(insts), dtype=bool)
    up = outer[insts]
    own_set = set_of_event[insts]
    while (live := up >= 0).any():
        recursive[live] |= set_of_event[up[live]] == own_set[live]
        up[live] = outer[up[live]]
    us = dur[insts]
    nested = outer[insts] >= 0
    nested_us = np.bincount(outer[insts][nested], weights=us[nested], minlength=len(kinds))[insts]
    counted = ~recursive
    n_names = len(names)
    summary.templates = names
    kind_of_name = np.zeros(n_names, dtype=np.uint8)
    kind_of_name[name_of] = kinds[insts] == INST_FUNCTION
    return _pack(
        tpl_kind=kind_of_name,
        tpl_count=np.bincount(name_of, minlength=n_names),
        tpl_incl_us=np.bincount(name_of, weights=us, minlength=n_names),
        tpl_self_us=np.bincount(name_of, weights=us - nested_us, minlength=n_names),
        tpl_set_count=np.bincount(name_of, weights=counted, minlength=n_names),
        tpl_set_us=np.bincount(name_of, weights=us * counted, minlength=n_names),
    )
