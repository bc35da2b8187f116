"""Worker lanes of a build's steps: `.ninja_log` does not say which worker ran a step, so lanes are
reconstructed as ninjatracing does: taken by start time (then end time), a step goes on the lowest
lane free at its start, a lane being free once its last step ended at or before that start. This
uses exactly as many lanes as the most steps that ever ran at once, and no two steps of a lane
overlap.

It is one pass in time order and cannot be vectorised; it is kept cheap for a million steps: numpy
puts the starts and ends in the order the pass meets them, and the pass keeps the free lanes as the
bits of one integer (the lowest free lane is its lowest set bit).
"""

from __future__ import annotations

import numpy as np


def assign_lanes(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The lane (0, 1, ...) of each [start, end) interval; see the module docstring for the rule."""
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = len(start)
    lanes = np.zeros(n, dtype=np.int64)
    if n == 0:
        return lanes
    by_start = np.lexsort((end, start))  # the order steps take a lane in
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
