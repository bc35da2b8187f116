"""Nest the events of one trace by time containment, vectorised with numpy.

Clang writes a complete event when it ends, so children come before their parents in the file; the
nesting has to be rebuilt from times. Events are ordered by start (longer first on ties, later in the
file first on further ties, as ClangBuildAnalyzer does), and an event's parent is the latest event
before it in that order that ends no earlier than it does. That equals ClangBuildAnalyzer's walk up the
chain of open events, and it tolerates events that end after their enclosing event (llvm issue 113699):
such an event simply nests under the next enclosing one.
"""

from __future__ import annotations

import numpy as np


def parents_by_containment(start: np.ndarray, dur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each event's enclosing event (-1 for roots), and an order that lists parents before children."""
    n = len(start)
    parent = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((-np.arange(n), -dur, start))  # start asc, dur desc, file index desc
    if n < 2:
        return parent, order
    ends = (start + dur)[order]
    enclosing = previous_at_least(ends)
    has = enclosing >= 0
    parent[order[has]] = order[enclosing[has]]
    return parent, order


def previous_at_least(values: np.ndarray) -> np.ndarray:
    """For each i, the largest j < i with values[j] >= values[i], or -1 (binary lifting)."""
    n = len(values)
    tables = [values]  # tables[k][j] = max(values[j : j + 2**k])
    size = 1
    while size * 2 <= n:
        prev = tables[-1]
        tables.append(np.maximum(prev[:-size], prev[size:]))
        size *= 2
    pos = np.arange(n)  # everything in [pos, i) is known to be smaller than values[i]
    for k in range(len(tables) - 1, -1, -1):
        lo = pos - (1 << k)
        inside = lo >= 0
        block_max = tables[k][np.where(inside, lo, 0)]
        pos = np.where(inside & (block_max < values), lo, pos)
    return pos - 1


def nearest_marked_ancestor(parent: np.ndarray, marked: np.ndarray) -> np.ndarray:
    """For each event, its nearest strict ancestor with `marked` set, or -1 (pointer jumping)."""
    jump = parent.copy()
    while True:
        live = jump >= 0
        pending = live.copy()
        pending[live] = ~marked[jump[live]]
        if not pending.any():
            return jump
        # An unmarked ancestor's own pointer skips further up: O(log depth) rounds.
        jump[pending] = jump[jump[pending]]
