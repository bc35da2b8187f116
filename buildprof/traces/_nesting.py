"""Nest the events of one trace by time containment, vectorised with numpy.

Clang writes a complete event when it ends, so children come before their parents in the file; the
nesting has to be rebuilt from times. Events are ordered by start (longer first on ties, later in the
file first on further ties, as ClangBuildAnalyzer does), and an event's parent is the latest event
before it in that order that ends no earlier than it does. That equals ClangBuildAnalyzer's walk up the
chain of open events, and it tolerates events that end after their enclosing event (llvm issue 113699):
such an event simply nests under the next enclosing one.

Nothing here recurses or loops once per nesting level: traces may nest events as deep as they like.
In the order by start, an event's descendants are the events right after it up to the first one
that ends later than it does (`subtree_spans`), so "is an ancestor" is a comparison of positions.
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


def subtree_spans(start: np.ndarray, dur: np.ndarray, order: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each event's position in `order` (parents_by_containment's), and the position just past its
    last descendant: its descendants are exactly the events at the positions in between.

    The nesting makes j an ancestor of k iff j comes first and no event from j to k ends later than
    j; so j's descendants end at the next event that ends later than j (found by pointer jumping
    over the reversed ends, as `previous_at_least`).
    """
    n = len(order)
    ends = (start + dur)[order]
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    stop = np.empty(n, dtype=np.int64)
    stop[order] = n - 1 - previous_at_least(ends[::-1], strict=True)[::-1]
    return position, stop


def previous_at_least(values: np.ndarray, strict: bool = False) -> np.ndarray:
    """For each i, the largest j < i with values[j] >= values[i] (> if `strict`), or -1 (pointer
    jumping).

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
        smaller = values[candidate] <= values[pending] if strict else values[candidate] < values[pending]
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
