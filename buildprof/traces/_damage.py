"""The rule for damaged events, applied where a trace is flattened (_reference): what is damaged, and
the one line that describes the first such event.

An "X" event (a "Total ..." one included) or a paired "b" event whose start or duration is negative or
beyond MAX_EVENT_US (a week), a b/e pair that ends before it begins, and a "Total ..." event whose count
is not a count are left out of the analysis; the summary counts them (`damaged_events`) and describes
the first one (`damaged_note`). The C fast path declines a trace with such an event, so the rule lives
here only.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from buildprof.trace_rules import MAX_EVENT_US

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
LIMIT_TEXT = f"{MAX_EVENT_US // 86_400_000_000} days"  # MAX_EVENT_US in messages


def out_of_range(starts: np.ndarray, durs: np.ndarray) -> np.ndarray:
    """Which events have a start or duration outside 0 .. MAX_EVENT_US (a negative number, seen as
    unsigned, is beyond the limit too: one comparison each)."""
    return (starts.view(np.uint64) > MAX_EVENT_US) | (durs.view(np.uint64) > MAX_EVENT_US)


def int64_times(values: list) -> np.ndarray:
    """Decoded times as int64: floats truncated, a number beyond 64 bits at the nearest bound (far
    beyond MAX_EVENT_US, its event is damaged either way; `time_problem` says it did not fit)."""
    try:
        return np.array(values, dtype=np.int64)
    except OverflowError:
        return np.array([min(max(int(v), INT64_MIN), INT64_MAX) for v in values], dtype=np.int64)


def plain_counts(counts: list) -> bool:
    """Whether all these counts are ints from 0 to INT64_MAX (always, from clang or the C columns)."""
    if not set(map(type, counts)) <= {int}:
        return False
    return not counts or (min(counts) >= 0 and max(counts) <= INT64_MAX)


def count_of(value: Any) -> tuple[int, str]:
    """A "Total" event's count (absent or null: 0) and "", or 0 and what is wrong with it."""
    if value is None:
        return 0, ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0, f"count {shown(value)} is not a number"
    if value < 0:
        return 0, f"count {shown(value)} is negative"
    if value > INT64_MAX:
        return 0, f"count {shown(value)} does not fit in 64 bits"
    return int(value), ""  # a float is truncated, as clang never writes one


def describe_damage(
    names: list[str], code, starts, durs, paired, bad, bad_counts: list[tuple[int, str]]
) -> tuple[int, str]:
    """How many events are damaged, and a line on the first one in the file.

    `bad` marks the events with times out of range, `bad_counts` the "Total" events with a bad count.
    """
    first_bad = np.flatnonzero(bad)[:1].tolist()
    problems = [(i, time_problem(int(starts[i]), int(durs[i]), bool(paired[i]))) for i in first_bad]
    row, problem = min([*problems, *bad_counts[:1]])
    name = shown(names[code[row]])
    return int(bad.sum()) + len(bad_counts), f"event {row} {name}: {problem}"


def time_problem(start: int, dur: int, paired: bool) -> str:
    """What is wrong with the times of a damaged event (the start first, then the duration)."""
    for what, value in (("start", start), ("duration", dur)):
        if value in (INT64_MIN, INT64_MAX):
            return f"{what} does not fit in 64 bits"
        if value < 0 and what == "duration" and paired:
            return f"ends {-value} us before it begins"
        if value < 0:
            return f"{what} {value} us is negative"
        if value > MAX_EVENT_US:
            return f"{what} {value} us is beyond {LIMIT_TEXT}"
    return "times out of range"  # not reached: the caller found one of the above


def shown(value: Any, limit: int = 60) -> str:
    """A short JSON rendering of a name or a decoded value, for a one-line note."""
    if isinstance(value, (list, dict)):
        return "[...]" if isinstance(value, list) else "{...}"
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit - 3] + "..."
    return json.dumps(value, ensure_ascii=False)
