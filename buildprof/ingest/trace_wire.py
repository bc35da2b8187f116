"""How a worker sends a group of trace summaries to the parent: one msgpack message, names sent once.

The included files and template names of the traces of a group overlap heavily (every TU includes
the same headers), so the message carries each distinct name once and every summary refers to them by
number. The parent gets the summaries back with those names as shared string objects, which also
makes indexing them (analysis.trace_set) cheaper: equal names are the same object.
"""

from __future__ import annotations

from itertools import chain

import msgspec
import numpy as np

from buildprof.model import TraceSummary


class _Message(msgspec.Struct, array_like=True, gc=False):
    names: list[str]  # every distinct file and template name of the group
    summaries: list[TraceSummary]  # with files and templates left empty...
    files: list[bytes]  # ...and given here instead, as int32 numbers into names
    templates: list[bytes]
    cached: list[bool]  # whether the summary came from the cache


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Message)


def encode_results(results: list[tuple[TraceSummary, bool]]) -> bytes:
    """One message for (summary, from_cache) pairs."""
    summaries = [summary for summary, _ in results]
    everything = chain.from_iterable(chain(s.files, s.templates) for s in summaries)
    index = {name: i for i, name in enumerate(dict.fromkeys(everything))}
    number = index.__getitem__
    message = _Message(
        names=list(index),
        summaries=[msgspec.structs.replace(s, files=[], templates=[]) for s in summaries],
        files=[np.fromiter(map(number, s.files), dtype="<i4").tobytes() for s in summaries],
        templates=[np.fromiter(map(number, s.templates), dtype="<i4").tobytes() for s in summaries],
        cached=[cached for _, cached in results],
    )
    return _ENCODER.encode(message)


def decode_results(data: bytes | bytearray, shared: dict[str, str]) -> list[tuple[TraceSummary, bool]]:
    """The (summary, from_cache) pairs of a message, names shared between summaries.

    `shared` maps each name to the one string object used for it, across the messages of a scan.
    """
    message = _DECODER.decode(data)
    name = [shared.setdefault(n, n) for n in message.names].__getitem__
    for summary, files, templates in zip(message.summaries, message.files, message.templates, strict=True):
        summary.files = list(map(name, np.frombuffer(files, dtype="<i4").tolist()))
        summary.templates = list(map(name, np.frombuffer(templates, dtype="<i4").tolist()))
    return list(zip(message.summaries, message.cached, strict=True))
