"""The reference path's first step: decode a trace with msgspec (only the fields used), or say why not.

A trace msgspec cannot decode is "damaged", and buildprof's own checks say why, whatever exception the
installed msgspec raises (`why_undecodable`): not valid UTF-8, JSON nested deeper than MAX_JSON_DEPTH,
truncated or corrupt JSON, or JSON that is not a time trace (msgspec's own detail may follow our text).
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from buildprof.model.traces import TraceSummary
from buildprof.traces._events import DECODER, MAX_JSON_DEPTH, TraceDocument

SNIFF_BYTES = 4096  # a trace names "traceEvents" first: the start of a file tells a trace from other JSON
NOT_UTF8 = "not valid UTF-8"
TOO_DEEP = "JSON nested too deeply"
CORRUPT = "truncated or corrupt JSON"
NOT_TRACE = "not a valid time trace"
NO_TIMED = "no timed events in the trace"
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # a JSON string, escapes included
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")


def beginning_of_time(value: Any) -> int:
    """TraceSummary.beginning_of_time of a trace's `beginningOfTime` (0 if absent or beyond 64 bits)."""
    value = int(value or 0)
    return value if -(1 << 63) <= value < (1 << 63) else 0


def looks_like_trace(head: bytes) -> bool:
    """Whether the first bytes of a JSON file can be a time trace (clang writes traceEvents first)."""
    return head.lstrip()[:1] == b"{" and b'"traceEvents"' in head


def decode_trace(data: bytes, base: dict) -> tuple[TraceSummary | None, TraceDocument | None]:
    """The decoded trace, or the summary that says why there is none."""
    if not looks_like_trace(data[:SNIFF_BYTES]):
        return TraceSummary(status="not_trace", **base), None
    try:
        trace = DECODER.decode(data)
    except MemoryError:
        raise
    except Exception as exc:  # whichever class this msgspec raises (they changed): our checks say why
        return TraceSummary(status="damaged", message=why_undecodable(data, exc), **base), None
    if not trace.traceEvents:
        return TraceSummary(status="damaged", message=NO_TIMED, **base), None
    return None, trace


def why_undecodable(data: bytes, exc: Exception) -> str:
    """The message of a trace msgspec failed to decode (with `exc`), by buildprof's own checks.

    In order: the bytes are not UTF-8 (`not valid UTF-8 (byte N)`), objects and arrays nest deeper
    than MAX_JSON_DEPTH, the bytes are not JSON at all (`truncated or corrupt JSON: ...`), else the
    JSON is not a time trace (`not a valid time trace: ...`). Only the text before the colon is
    buildprof's: msgspec's own detail follows it, and changes between its versions.
    """
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"{NOT_UTF8} (byte {bad.start})"
    if json_depth(data) > MAX_JSON_DEPTH:
        return f"{TOO_DEEP} (over {MAX_JSON_DEPTH} levels)"
    try:
        msgspec.json.decode(data)  # any JSON: so the typed decoder failed on the document's shape
    except MemoryError:
        raise
    except Exception:
        return f"{CORRUPT}: {exc}"
    return f"{NOT_TRACE}: {exc}"


def json_depth(data: bytes) -> int:
    """How deep objects and arrays nest in JSON text (strings skipped; for damaged text, as far as
    its brackets go). Iterative, unlike a parser: any depth is measured, in bounded memory."""
    import numpy as np  # here: only a trace msgspec could not decode gets this far

    brackets = np.frombuffer(_STRING.sub(b"", data).translate(None, _NOT_BRACKETS), dtype=np.uint8)
    depth = deepest = 0
    for at in range(0, len(brackets), 1 << 20):
        chunk = brackets[at : at + (1 << 20)]
        levels = depth + np.cumsum(np.where((chunk == ord("[")) | (chunk == ord("{")), 1, -1))
        deepest = max(deepest, int(levels.max()))
        depth = int(levels[-1])
    return deepest
