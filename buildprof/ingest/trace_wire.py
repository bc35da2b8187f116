"""How a group of trace summaries travels as bytes (worker to parent, and the cache pack): names once.

The included files, template names and event names of the traces of a group overlap heavily (every
TU includes the same headers and emits the same kinds of events), so a message carries each distinct
name once and every summary refers to them by number; the per-name numbers of the self-time breakdown
and of clang's "Total" events travel as arrays. The receiver gets the summaries back with those names
as shared string objects, which also makes indexing them (analysis.trace_set) cheaper: equal names are
the same object.
"""

from __future__ import annotations

from itertools import chain

import msgspec
import numpy as np

from buildprof.model import TraceSummary


class _Lists(msgspec.Struct, array_like=True, gc=False):
    """A summary's name lists, as int32 numbers into the message's names, and their numbers."""

    files: bytes
    templates: bytes
    breakdown: bytes  # names, then...
    breakdown_us: bytes  # int64
    totals: bytes
    totals_values: bytes  # int64 pairs: count, us


class _Message(msgspec.Struct, array_like=True, gc=False):
    names: list[str]  # every distinct name of the group
    summaries: list[TraceSummary]  # with the lists below left empty...
    lists: list[_Lists | None]  # ...and given here instead (None: left in the summary, see _lists)
    cached: list[bool]  # whether the summary came from the cache


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Message)
_EMPTIED = {"files": [], "templates": [], "breakdown": [], "totals": []}


def encode_results(results: list[tuple[TraceSummary, bool]]) -> bytes:
    """One message for (summary, from_cache) pairs."""
    summaries = [summary for summary, _ in results]
    everything = chain.from_iterable(
        chain(s.files, s.templates, (n for n, _ in s.breakdown), (n for n, _, _ in s.totals))
        for s in summaries
    )
    index = {name: i for i, name in enumerate(dict.fromkeys(everything))}
    lists = [_lists(s, index.__getitem__) for s in summaries]
    message = _Message(
        names=list(index),
        summaries=[
            msgspec.structs.replace(s, **_EMPTIED) if packed is not None else s
            for s, packed in zip(summaries, lists, strict=True)
        ],
        lists=lists,
        cached=[cached for _, cached in results],
    )
    return _ENCODER.encode(message)


def _lists(summary: TraceSummary, number) -> _Lists | None:
    """The summary's lists as arrays; None if a number does not fit in 64 bits (kept as is)."""
    totals = summary.totals
    values = np.empty((len(totals), 2), dtype="<i8")
    try:
        values[:, 0] = [count for _, count, _ in totals]
        values[:, 1] = [us for _, _, us in totals]
        return _Lists(
            files=_numbers(map(number, summary.files)),
            templates=_numbers(map(number, summary.templates)),
            breakdown=_numbers(number(n) for n, _ in summary.breakdown),
            breakdown_us=np.array([us for _, us in summary.breakdown], dtype="<i8").tobytes(),
            totals=_numbers(number(n) for n, _, _ in totals),
            totals_values=values.tobytes(),
        )
    except OverflowError:
        return None


def _numbers(values) -> bytes:
    return np.fromiter(values, dtype="<i4").tobytes()


def decode_results(data: bytes | bytearray, shared: dict[str, str]) -> list[tuple[TraceSummary, bool]]:
    """The (summary, from_cache) pairs of a message, names shared between summaries.

    `shared` maps each name to the one string object used for it, across the messages of a scan. The
    lists are rebuilt by gathering from an object array of the names (no Python step per name).
    """
    message = _DECODER.decode(data)
    names = np.empty(len(message.names), dtype=object)
    names[:] = [shared.setdefault(n, n) for n in message.names]
    for summary, packed in zip(message.summaries, message.lists, strict=True):
        if packed is None:
            continue
        summary.files = names[np.frombuffer(packed.files, dtype="<i4")].tolist()
        summary.templates = names[np.frombuffer(packed.templates, dtype="<i4")].tolist()
        summary.breakdown = list(
            zip(
                names[np.frombuffer(packed.breakdown, dtype="<i4")].tolist(),
                np.frombuffer(packed.breakdown_us, dtype="<i8").tolist(),
                strict=True,
            )
        )
        counts, us = np.frombuffer(packed.totals_values, dtype="<i8").reshape(-1, 2).T.tolist()
        totals = names[np.frombuffer(packed.totals, dtype="<i4")].tolist()
        summary.totals = list(zip(totals, counts, us, strict=True))
    return list(zip(message.summaries, message.cached, strict=True))
