"""Worker lanes of a build's steps: `.ninja_log` does not say which worker ran a step, so lanes are
reconstructed as ninjatracing does: taken by start time (then end time), a step goes on the lowest
lane free at its start, a lane being free once its last step ended at or before that start. This
uses exactly as many lanes as the most steps that ever ran at once, and no two steps of a lane
overlap.

It is one pass in time order and cannot be vectorised. The C module `_export_native` (built by
setup.py when a C compiler is there; it also codes the steps' (kind, target) pairs for the trace
export: `native("pair_codes")`) makes that pass with two heaps, busy lanes by end and free lanes
by number: a million steps in about 20 ms. Without it, or with BUILDPROF_NO_NATIVE=1, the Python pass
here gives the same lanes: numpy puts the starts and ends in the order the pass meets them, and the
pass keeps the free lanes as the bits of one integer (the lowest free lane is its lowest set bit).
"""

from __future__ import annotations

import os

import numpy as np

try:
    from buildprof.analysis import _export_native
except ImportError:  # built without a C compiler: the Python code does it all
    _export_native = None

NATIVE_ENV = "BUILDPROF_NO_NATIVE"  # set (to anything but "" or "0"): the Python code only


def native(name: str):
    """The C module's function `name`, unless the module was not built or NATIVE_ENV turns it off."""
    if _export_native is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        return None
    return getattr(_export_native, name)


def assign_lanes(start: np.ndarray, end: np.ndarray, in_order: bool = False) -> np.ndarray:
    """The lane (0, 1, ...) of each [start, end) interval; see the module docstring for the rule.
    `in_order`: the intervals are sorted by start, then end already."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = len(start)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lowest_free_lanes = native("lowest_free_lanes")
    if lowest_free_lanes is not None and in_order:
        taken = lowest_free_lanes(np.ascontiguousarray(start), np.ascontiguousarray(end))
        return np.frombuffer(taken, dtype=np.int64)
    by_start = np.arange(n) if in_order else np.lexsort((end, start))  # the order steps take a lane in
    if lowest_free_lanes is not None:  # by rows: no copy of the times in that order (16 MB a million)
        taken = lowest_free_lanes(np.ascontiguousarray(start), np.ascontiguousarray(end), by_start)
        return np.frombuffer(taken, dtype=np.int64)
    lanes = np.zeros(n, dtype=np.int64)
    lasting = by_start[end[by_start] > start[by_start]]
    # Events of the pass: a step's end (frees its lane) before any start at the same time; starts in
    # step order. Key: time, then 0 for an end and 1 for a start, then the start's rank.
    times = np.concatenate((end[lasting], start[by_start]))
    is_start = np.concatenate((np.zeros(len(lasting), dtype=np.int64), np.ones(n, dtype=np.int64)))
    rank = np.concatenate((np.zeros(len(lasting), dtype=np.int64), np.arange(n, dtype=np.int64)))
    step = np.concatenate((lasting, by_start))
    order = np.lexsort((rank, is_start, times))
    holds = (end > start)[step[order]]  # a zero-length step frees its lane at once
    events = np.where(is_start[order] == 1, np.where(holds, 1, 2), 0)
    lane_of = [0] * n
    free = 0  # bit k set: lane k is free
    used = 0
    for kind, i in zip(events.tolist(), step[order].tolist(), strict=True):
        if kind == 0:
            free |= 1 << lane_of[i]
            continue
        if free:
            low = free & -free
            lane = low.bit_length() - 1
            if kind == 1:
                free ^= low
        else:
            lane, used = used, used + 1
            if kind == 2:
                free |= 1 << lane
        lane_of[i] = lane
    lanes[:] = lane_of
    return lanes
