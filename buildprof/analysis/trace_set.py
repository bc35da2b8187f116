"""All trace summaries of a build put side by side: global codes for files and templates, row arrays.

Per-trace summaries name files and templates by local index; here each gets one global code so that
every per-file, per-Source-event and per-template column of all traces can be concatenated and summed
with numpy (bincount) instead of a Python loop per record.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from buildprof.model import TraceSummary, column


@dataclass
class Rows:
    """Concatenated rows of one kind from every trace: which trace, which global item, and columns."""

    trace: np.ndarray  # index into TraceSet.summaries
    item: np.ndarray  # global code (file or template)
    offset: np.ndarray  # first row of each trace (len = traces + 1), to map local row links

    def __len__(self) -> int:
        return len(self.trace)


@dataclass
class TraceSet:
    """The summaries (status "trace") of one build, with the global tables built once."""

    summaries: list[TraceSummary]
    display_names: list[str]  # how each trace is named in ClangBuildAnalyzer-compatible output
    files: list[str]  # every included file (global code = position)
    templates: list[str]  # every instantiated name
    file_rows: Rows  # one row per (trace, file)
    src_rows: Rows  # one row per Source event
    tpl_rows: Rows  # one row per (trace, template name)
    columns: dict[str, np.ndarray]  # SUMMARY_COLUMNS concatenated over traces

    @property
    def n_traces(self) -> int:
        return len(self.summaries)


def build_trace_set(summaries: list[TraceSummary], display_names: list[str] | None = None) -> TraceSet:
    """Index the summaries of one build (see the module docstring)."""
    file_index: dict[str, int] = {}
    tpl_index: dict[str, int] = {}
    file_codes, tpl_codes = [], []
    for summary in summaries:
        file_codes.append(_codes(summary.files, file_index))
        tpl_codes.append(_codes(summary.templates, tpl_index))
    src_file_global = [
        codes[column(s, "src_file")] if len(codes) else np.zeros(0, dtype=np.int64)
        for s, codes in zip(summaries, file_codes, strict=True)
    ]
    names = {
        name: _concat([column(s, name) for s in summaries])
        for name in (
            "file_incl_us",
            "file_self_us",
            "file_count",
            "file_direct",
            "file_cba_root",
            "src_includer",
            "src_cba_parent",
            "src_us",
            "tpl_kind",
            "tpl_count",
            "tpl_incl_us",
            "tpl_self_us",
            "tpl_set_count",
            "tpl_set_us",
        )
    }
    return TraceSet(
        summaries=summaries,
        display_names=display_names or [s.path for s in summaries],
        files=list(file_index),
        templates=list(tpl_index),
        file_rows=_rows(file_codes),
        src_rows=_rows(src_file_global),
        tpl_rows=_rows(tpl_codes),
        columns=names,
    )


def _codes(values: list[str], index: dict[str, int]) -> np.ndarray:
    return np.array([index.setdefault(v, len(index)) for v in values], dtype=np.int64)


def _concat(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0)


def _rows(per_trace: list[np.ndarray]) -> Rows:
    sizes = np.array([len(a) for a in per_trace], dtype=np.int64)
    offset = np.concatenate(([0], np.cumsum(sizes)))
    trace = np.repeat(np.arange(len(per_trace)), sizes)
    item = _concat(per_trace).astype(np.int64)
    return Rows(trace=trace, item=item, offset=offset)


def global_links(rows: Rows, local: np.ndarray) -> np.ndarray:
    """Turn per-trace row links (e.g. src_includer, -1 = none) into indexes of the concatenated rows."""
    start = rows.offset[rows.trace]
    return np.where(local >= 0, local + start, -1)
