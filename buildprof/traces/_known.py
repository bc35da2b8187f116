"""The ClangBuildAnalyzer-kind events of a batch of traces: per TU totals, headers, templates, functions.

These events are nested by time containment among themselves (ClangBuildAnalyzer ignores the other
kinds when it nests), which reproduces its numbers exactly. Everything is computed once over the batch
(see _reference) and cut per trace at the end; per-trace orders (first-seen order of files and
templates) come from the (trace, name) pairs. No step runs once per nesting level (see _nesting):
a hostile trace may nest events a million deep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from buildprof.model.traces import SUMMARY_COLUMNS, FunctionStat, TraceSummary
from buildprof.trace_rules import (
    BACKEND,
    COMPILER,
    FRONTEND,
    INST_CLASS,
    INST_FUNCTION,
    NAMED_KINDS,
    OPT_FUNCTION,
    OPT_MODULE,
    PARSE_CLASS,
    PARSE_TEMPLATE,
    SOURCE,
    collapse_template_args,
    is_header,
    nice_path,
)
from buildprof.traces._nesting import nearest_marked_ancestor, parents_by_containment, subtree_spans

LEVELS = 64  # nesting of instantiations walked level by level (_nested_in_same_set_by_levels)
_NICE_CACHE: dict[str, str] = {}  # per process: headers recur in every translation unit
_SET_CACHE: dict[str, str] = {}
_HEADER_CACHE: dict[str, bool] = {}


@dataclass
class KnownEvents:
    """The known-kind events of a batch, in file order (grouped by trace)."""

    trace: np.ndarray  # index of the trace in the batch
    kinds: np.ndarray
    start: np.ndarray  # shifted into the trace's own time window
    dur: np.ndarray
    templates: list[TemplateCodes]  # per trace of the batch


@dataclass
class TemplateCodes:
    """A trace's instantiated names, numbered in first-seen order, and the template set of each."""

    names: list[str]
    code: np.ndarray  # per instantiation event (file order): index into names
    set_code: np.ndarray  # per name: a number per distinct template set within the trace

    @classmethod
    def of(cls, details: np.ndarray, kinds: np.ndarray) -> TemplateCodes:
        """From a trace's known events: done per trace, while its strings are fresh in the cache."""
        is_inst = (kinds == INST_CLASS) | (kinds == INST_FUNCTION)
        code, names = factorize(details[is_inst].tolist())
        set_code, _ = factorize(memo(_SET_CACHE, collapse_template_args, names))
        return cls(names, code, set_code)


def nice_paths(paths: list[str]) -> list[str]:
    """nice_path of each path, computed once per distinct path in a process."""
    return memo(_NICE_CACHE, nice_path, paths)


def summarize_known(summaries: list[TraceSummary], details: np.ndarray, known: KnownEvents) -> None:
    """Fill the TU, header, template and function fields of the summaries from their known events.

    `details` holds each known event's detail (event_details), in the same order as `known`.
    """
    kinds, dur, trace = known.kinds, known.dur, known.trace
    parent, order = parents_by_containment(known.start, dur)
    present = np.unique(trace).tolist()
    last = np.flatnonzero(np.diff(trace, append=-1))  # each trace's last event must be a root
    for t in trace[last][parent[last] != -1].tolist():
        summaries[t].cba_rejected = True
    totals = {
        kind: np.bincount(trace, weights=np.where(kinds == kind, dur, 0), minlength=len(summaries))
        for kind in (COMPILER, FRONTEND, BACKEND)
    }
    for t in present:
        summary = summaries[t]
        summary.total_us = int(totals[COMPILER][t])
        summary.frontend_us = int(totals[FRONTEND][t])
        summary.backend_us = int(totals[BACKEND][t])
    modules = np.flatnonzero(kinds == OPT_MODULE)
    with_module, first = np.unique(trace[modules], return_index=True)
    for t, i in zip(with_module.tolist(), modules[first].tolist(), strict=True):
        summaries[t].source = details[i]
    _summarize_names(summaries, kinds, dur, trace, details, parent)
    for t, columns in _summarize_headers(summaries, kinds, dur, trace, details, parent, order).items():
        summaries[t].columns = columns
    for t, columns in _summarize_templates(summaries, known, parent, order).items():
        summaries[t].columns = {**summaries[t].columns, **columns}


def event_details(events: list, rows: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """The `args.detail` of the events at `rows` as an object array ("" where absent or unused).

    ParseClass/ParseTemplate details are never used, so they are not read. Paths (Source, OptModule)
    are normalised as ClangBuildAnalyzer shows them, once per distinct path in a process.
    """
    details = np.full(len(rows), "", dtype=object)
    wanted = np.flatnonzero((kinds != PARSE_CLASS) & (kinds != PARSE_TEMPLATE))
    raw = [a.detail if (a := events[i].args) is not None else "" for i in rows[wanted].tolist()]
    if not set(map(type, raw)) <= {str}:
        raw = [d if isinstance(d, str) else "" for d in raw]
    is_path = (kinds[wanted] == SOURCE) | (kinds[wanted] == OPT_MODULE)
    paths = [raw[j] for j in np.flatnonzero(is_path).tolist()]
    details[wanted[is_path]] = nice_paths(paths)
    details[wanted[~is_path]] = [raw[j] for j in np.flatnonzero(~is_path).tolist()]
    return details


def _summarize_names(summaries, kinds, dur, trace, details, parent) -> None:
    """Frontend/backend entries and functions, named after ClangBuildAnalyzer's FindPath."""
    # ClangBuildAnalyzer names a compiler event without detail after the trace file, so it always counts.
    named = np.isin(kinds, NAMED_KINDS)
    named[named] = details[named].astype(bool) | (kinds[named] == COMPILER)
    path_owner = nearest_marked_ancestor(parent, named)  # FindPath, for events that are not named

    def find_path(i: int) -> str:
        if named[i]:
            return "" if kinds[i] == COMPILER else details[i]
        owner = path_owner[i]
        if owner < 0 or kinds[owner] == COMPILER:
            return ""  # the compiler event is named after the trace file, filled in when loaded
        return details[owner]

    # Frontend events sharing the first one's parent are merged into it (clang 13+ emits two).
    merged: dict[int, list[list]] = {}
    first_parent: dict[int, int] = {}
    for i in np.flatnonzero(kinds == FRONTEND).tolist():
        t = int(trace[i])
        entries = merged.setdefault(t, [])
        if entries and parent[i] == first_parent[t]:
            entries[0][0] += int(dur[i])
            continue
        if not entries:
            first_parent[t] = parent[i]
        entries.append([int(dur[i]), find_path(i)])
    for t, entries in merged.items():
        summaries[t].cba_frontends = [(us, name) for us, name in entries]
    for i in np.flatnonzero(kinds == BACKEND).tolist():
        summaries[int(trace[i])].cba_backends.append((int(dur[i]), find_path(i)))
    functions: dict[int, dict[tuple[str, str], list[int]]] = {}
    for i in np.flatnonzero(kinds == OPT_FUNCTION).tolist():
        per_trace = functions.setdefault(int(trace[i]), {})
        entry = per_trace.setdefault((details[i], find_path(i)), [0, 0])
        entry[0] += 1
        entry[1] += int(dur[i])
    for t, per_trace in functions.items():
        summaries[t].functions = [FunctionStat(n, file, c, us) for (n, file), (c, us) in per_trace.items()]


def _summarize_headers(summaries, kinds, dur, trace, details, parent, order) -> dict[int, dict]:
    """Per included file and per Source event: times, direct inclusion, ClangBuildAnalyzer's chains."""
    is_source = kinds == SOURCE
    src = order[is_source[order]]  # Source events, includers before what they include, by trace
    rows = len(src)
    if rows == 0:
        return {}
    row_of = np.full(len(kinds), -1, dtype=np.int64)
    row_of[src] = np.arange(rows)
    includer_event = nearest_marked_ancestor(parent, is_source)[src]
    includer = np.where(includer_event >= 0, row_of[includer_event], -1)
    file_code, files = factorize(details[src].tolist())
    header_file = np.array(memo(_HEADER_CACHE, is_header, files), dtype=bool)
    direct = parent[src]
    direct_row = np.where(direct >= 0, row_of[direct], -1)  # -1 unless the direct parent is a Source
    header_parent = direct_row >= 0
    header_parent[header_parent] = header_file[file_code[direct_row[header_parent]]]
    us = dur[src]
    nested = includer >= 0
    nested_us = np.bincount(includer[nested], weights=us[nested], minlength=rows).astype(np.int64)
    src_trace = trace[src]
    pair, pair_trace, pair_file = per_trace_codes(src_trace, file_code, len(files))
    n = len(pair_trace)
    row_start = np.searchsorted(src_trace, src_trace)  # first row of each row's trace
    per_file = _typed(
        {
            "file_incl_us": np.bincount(pair, weights=us, minlength=n),
            "file_self_us": np.bincount(pair, weights=us - nested_us, minlength=n),
            "file_count": np.bincount(pair, minlength=n),
            "file_direct": np.bincount(pair, weights=~nested, minlength=n) > 0,
            "file_cba_root": np.bincount(pair, weights=~header_parent, minlength=n) > 0,
        }
    )
    per_row = _typed(
        {
            "src_file": pair - np.searchsorted(pair_trace, src_trace),
            "src_includer": np.where(nested, includer - row_start, -1),
            "src_cba_parent": np.where(header_parent, direct_row - row_start, -1),
            "src_us": us,
        }
    )
    names = pair_file.tolist()
    out = {}
    for t, file_slice, row_slice in _cuts(pair_trace, src_trace):
        summaries[t].files = [files[c] for c in names[file_slice]]
        out[t] = {**_pack(per_file, file_slice), **_pack(per_row, row_slice)}
    return out


def _summarize_templates(summaries, known: KnownEvents, parent, order) -> dict:
    """Per instantiated name: inclusive and self time, and the part counted for its template set.

    Names and sets were numbered per trace (TemplateCodes); offsetting them by trace makes them
    distinct across the batch: a name number is then a (trace, name) pair, in first-seen order.
    """
    kinds, dur, trace, tables = known.kinds, known.dur, known.trace, known.templates
    is_inst = (kinds == INST_CLASS) | (kinds == INST_FUNCTION)
    insts = np.flatnonzero(is_inst)
    if len(insts) == 0:
        return {}
    outer = nearest_marked_ancestor(parent, is_inst)
    inst_trace = trace[insts]
    names_per_trace = np.array([len(table.names) for table in tables], dtype=np.int64)
    name_offset = np.concatenate(([0], np.cumsum(names_per_trace)))
    pair = np.concatenate([table.code for table in tables]) + name_offset[inst_trace]
    pair_set = np.concatenate(
        [table.set_code + offset for table, offset in zip(tables, name_offset, strict=False)]
    )
    # An instantiation nested (at any depth) in one of the same template set is recursion: its time
    # is already in the outer one's, so the set does not count it again.
    sets = pair_set[pair]
    recursive = _nested_in_same_set_by_levels(sets, outer, insts, len(kinds))
    if recursive is None:  # deeper: no step per level
        recursive = _nested_in_same_set(
            sets, *(column[insts] for column in subtree_spans(known.start, dur, order))
        )
    us = dur[insts]
    nested = outer[insts] >= 0
    nested_us = np.bincount(outer[insts][nested], weights=us[nested], minlength=len(kinds))[insts]
    counted = ~recursive
    n = int(name_offset[-1])
    kind_of_pair = np.zeros(n, dtype=np.uint8)
    kind_of_pair[pair] = kinds[insts] == INST_FUNCTION  # the last instantiation's kind, as before
    per_name = _typed(
        {
            "tpl_kind": kind_of_pair,
            "tpl_count": np.bincount(pair, minlength=n),
            "tpl_incl_us": np.bincount(pair, weights=us, minlength=n),
            "tpl_self_us": np.bincount(pair, weights=us - nested_us, minlength=n),
            "tpl_set_count": np.bincount(pair, weights=counted, minlength=n),
            "tpl_set_us": np.bincount(pair, weights=us * counted, minlength=n),
        }
    )
    out = {}
    bounds = name_offset.tolist()
    for t in np.unique(inst_trace).tolist():
        summaries[t].templates = tables[t].names
        out[t] = _pack(per_name, slice(bounds[t], bounds[t + 1]))
    return out


def _nested_in_same_set_by_levels(sets, outer, insts, n: int) -> np.ndarray | None:
    """Whether each instantiation is nested in another of the same set, walking up `outer` (the
    nearest enclosing instantiation) one level per step for all of them at once; None when they nest
    deeper than LEVELS (then `_nested_in_same_set` answers, with no step per level).

    Real traces nest instantiations a few dozen deep: this walk is the cheaper one there.
    """
    set_of_event = np.full(n, -1, dtype=np.int64)
    set_of_event[insts] = sets
    recursive = np.zeros(len(insts), dtype=bool)
    up = outer[insts]
    for _ in range(LEVELS):
        live = up >= 0
        if not live.any():
            return recursive
        recursive[live] |= set_of_event[up[live]] == sets[live]
        up[live] = outer[up[live]]
    return None if (up >= 0).any() else recursive


def _nested_in_same_set(sets: np.ndarray, position: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Whether each instantiation lies in the subtree of another of the same set (see subtree_spans).

    Sorted by (set, position), a running maximum of the subtree ends does it for every set at once
    (each set's values are offset above all earlier sets'), without a step per nesting level.
    """
    by_set = np.lexsort((position, sets))
    room = int(stop.max(initial=0)) + 1
    base = sets[by_set] * room
    reach = np.maximum.accumulate(base + stop[by_set])
    nested = np.empty(len(sets), dtype=bool)
    nested[by_set] = np.concatenate(([False], reach[:-1] > base[1:] + position[by_set][1:]))
    return nested


def per_trace_codes(trace: np.ndarray, item: np.ndarray, n_items: int):
    """Number the distinct (trace, item) pairs of rows grouped by trace: by trace, then first seen.

    Returns each row's pair number, and each pair's trace and item. Within a trace, pair numbers
    minus the trace's first pair number are the trace's own item codes in first-seen order.
    """
    key = trace.astype(np.int64) * n_items + item
    pairs, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    by_trace = np.lexsort((first, pairs // n_items))
    rank = np.empty(len(pairs), dtype=np.int64)
    rank[by_trace] = np.arange(len(pairs))
    ordered = pairs[by_trace]
    return rank[inverse.ravel()], ordered // n_items, ordered % n_items


def _cuts(pair_trace: np.ndarray, row_trace: np.ndarray) -> list[tuple[int, slice, slice]]:
    """Per trace present: (trace, its slice of the pairs, its slice of the rows); both grouped by trace."""
    traces = np.unique(row_trace)
    pair_bounds = np.searchsorted(pair_trace, np.append(traces, traces[-1] + 1)).tolist()
    row_bounds = np.searchsorted(row_trace, np.append(traces, traces[-1] + 1)).tolist()
    return [
        (t, slice(pair_bounds[k], pair_bounds[k + 1]), slice(row_bounds[k], row_bounds[k + 1]))
        for k, t in enumerate(traces.tolist())
    ]


def _typed(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each column in its SUMMARY_COLUMNS dtype, converted once for the whole batch."""
    return {name: np.ascontiguousarray(a, dtype=SUMMARY_COLUMNS[name]) for name, a in columns.items()}


def _pack(columns: dict[str, np.ndarray], part: slice) -> dict[str, bytes]:
    return {name: values[part].tobytes() for name, values in columns.items()}


def factorize(values: list[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes for a list of strings, and the distinct strings in first-seen order."""
    index = {v: i for i, v in enumerate(dict.fromkeys(values))}
    codes = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    return codes, list(index)


def memo(cache: dict, func, keys: list) -> list:
    """`[func(k) for k in keys]` through a plain dict: a hit costs one lookup (cheaper than lru_cache)."""
    found = list(map(cache.get, keys))
    if None in found:
        if len(cache) > 200_000:
            cache.clear()
        found = [cache[k] if k in cache else cache.setdefault(k, func(k)) for k in keys]
    return found
