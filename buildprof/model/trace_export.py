"""What the `trace` command hands its writer: one build's steps on their lanes, and the traces to embed.

Not a report document: its output is Chrome's Trace Event Format (render/chrome_trace.py), written
as it is produced, so the columns stay numpy arrays and the clang traces are read one at a time
through `read_events` while the file is written. The steps' names stay byte ranges of the log
(`names[name_lo[i]:name_hi[i]]`, UTF-8 with undecodable bytes kept): the C writer copies them from
there, and `outputs` decodes them only for whoever needs `str` (the Python writer, embedding).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from buildprof.model.traces import ClangEvents


class TraceExport(msgspec.Struct, kw_only=True):
    """The analysed build's steps (one row each, by start time) and what to embed beneath them."""

    generator: str
    build_dir: str
    log_path: str
    build_index: int | None  # 0-based among the builds of the log; None: the last, read from the end
    builds_found: int | None  # None: the log was read from its end (ninja/log_tail.py), not counted
    lanes: int  # lanes used: the most steps that ever ran at once
    # Step columns, one row per step (numpy arrays or lists of the same length).
    names: bytes  # the log's bytes, holding each step's first output
    name_lo: Any  # int64 array: where the step's first output starts in `names`
    name_hi: Any  # int64 array: where it ends
    n_outputs: Any  # int array
    start_ms: Any  # int64 array: ninja's times, ms since the start of its run
    end_ms: Any
    weighted_ms: Any  # float array
    group: Any  # int array: the step's (kind, target) pair, an index into `groups`
    groups: list[tuple[str, str]]  # the distinct (kind, target) pairs
    lane: Any  # int64 array: 0-based
    # Embedding: the trace of each compile step that has one (row -> path), read when written.
    traces: dict[int, str] = {}
    granularity_us: int = 0
    read_events: Callable[[str, int], ClangEvents] | None = None
    warnings: list[str] = []  # damaged log lines, unreadable traces: for stderr

    def outputs(self, first: int = 0, stop: int | None = None) -> list[str]:
        """The first outputs of steps first..stop-1 as `str` (undecodable bytes as lone surrogates, as
        the log reader decodes them)."""
        ranges = zip(self.name_lo[first:stop].tolist(), self.name_hi[first:stop].tolist(), strict=True)
        texts = [self.names[lo:hi] for lo, hi in ranges]
        if not texts:
            return []
        return b"\n".join(texts).decode("utf-8", "surrogateescape").split("\n")  # paths hold no newline


class TraceExportCounts(msgspec.Struct):
    """What the writer put in the file (filled while it writes)."""

    steps: int = 0
    traces: int = 0  # traces embedded
    clang_events: int = 0  # clang events written (a b/e pair counts once)
    left_out: int = 0  # clang events shorter than the granularity
    unreadable: list[str] = []  # "path: why" of traces that could not be read
    # traces lasting over a millisecond longer than their step (ninja's times are whole ms): written
    # from another compilation than the step's? They are scaled into the step all the same.
    longer: list[str] = []
