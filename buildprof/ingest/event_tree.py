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
    order = _start_order(start, dur)
    if n < 2:
        return parent, order
    ends = (start + dur)[order]
    enclosing = previous_at_least(ends)
    has = enclosing >= 0
    parent[order[has]] = order[enclosing[has]]
    return parent, order


def _start_order(start: np.ndarray, dur: np.ndarray) -> np.ndarray:
    """Indexes by start ascending, longer first on ties, later in the file first on further ties.

    One stable argsort of a combined key when start and duration fit in it (always, for real traces:
    2**35 us is 9.5 hours), else a three-key lexsort. Sorting the reversed arrays stably puts later
    events first among equal keys.
    """
    n = len(start)
    if n and start.min() >= 0 and dur.min() >= 0 and start.max() < 1 << 35 and dur.max() < 1 << 27:
        key = (start << 27) | ((1 << 27) - 1 - dur)
        return n - 1 - np.argsort(key[::-1], kind="stable")
    return np.lexsort((-np.arange(n), -dur, start))


def previous_at_least(values: np.ndarray) -> np.ndarray:
    """For each i, the largest j < i with values[j] >= values[i], or -1 (pointer jumping).

    Every answer starts at i - 1 and, while that candidate is smaller, jumps to the candidate's own
    current answer: everything jumped over is smaller than the candidate, hence than values[i]. All
    pending elements jump together, and since answers improve concurrently the chains shrink like
    list ranking (O(log n) rounds); most events are resolved in the first round (a first child's
    parent is just before it). Unlike a table-based method it touches little memory.
    """
    n = len(values)
    answer = np.arange(-1, n - 1)
    pending = np.arange(1, n)
    while len(pending):
        candidate = answer[pending]
        smaller = values[candidate] < values[pending]
        pending = pending[smaller]
        if not len(pending):
            break
        further = answer[candidate[smaller]]
        answer[pending] = further
        pending = pending[further >= 0]
    return answer


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
