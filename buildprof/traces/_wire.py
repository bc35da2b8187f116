"""How groups of trace summaries travel as bytes (worker to parent, and the cache pack): names once.

The included files, template names, event names and function names of traces overlap heavily (every
TU includes the same headers and emits the same kinds of events), so a message carries each name
only the first time its stream sends it, and every summary refers to names by number; the per-name
numbers of the self-time breakdown travel as arrays. A stream is one worker's messages in the order
it wrote them (a NameSender on its side, a table per stream in the parent's NameReceiver), or one
message alone (a pack of summaries encoded at once: no sender). The receiver gives the summaries
back with their names as shared string objects, across all streams, which also makes indexing them
(analysis.trace_set) cheaper: equal names are the same object.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Callable
from itertools import accumulate, islice
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

import msgspec

from buildprof.model.traces import FunctionStat, TraceSummary
from buildprof.trace_rules import collapse_template_args

NameNumbers = Callable[..., tuple[bytes, bytes, bytes, bytes, bytes]]


def native_name_numbers() -> NameNumbers | None:
    """The C module's name_numbers (see _lists), unless the module was not built or the reference
    path is asked for (BUILDPROF_NO_NATIVE)."""
    from buildprof.traces._summary import NATIVE_ENV, _native

    if _native is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        return None
    return _native.name_numbers


if TYPE_CHECKING:  # numpy is the receiver's (the parent's): a worker's messages are made without it
    import numpy as np


class _Numbers(dict):
    """Name -> number: a name looked up for the first time gets the next number, len(self) (the C
    module's name_numbers numbers names alike, in the same dict)."""

    def __missing__(self, name: str) -> int:
        number = self[name] = len(self)
        return number


class NameSender:
    """One process's side of a stream: the number of every name it has sent so far (a name looked up
    for the first time gets the next number, without a Python step for the names met before: see
    encode_results), and how its summaries' lists become numbers (see _lists)."""

    def __init__(self) -> None:
        self.stream = os.getpid()  # tells this stream from the other workers' in the receiver
        self.numbers: dict[str, int] = _Numbers()
        self.native = native_name_numbers()


class _Names:
    """The names a stream has sent, by number, as an object array for gathering (grown by doubling)."""

    def __init__(self) -> None:
        import numpy as np

        self.array = np.empty(1024, dtype=object)
        self.size = 0

    def extend(self, names: list[str]) -> None:
        import numpy as np

        end = self.size + len(names)
        if end > len(self.array):
            grown = np.empty(max(end, 2 * len(self.array)), dtype=object)
            grown[: self.size] = self.array[: self.size]
            self.array = grown
        self.array[self.size : end] = names
        self.size = end


class NameReceiver:
    """The parent's side: each stream's names so far, and one string object per distinct name."""

    def __init__(self, shared: dict[str, str] | None = None) -> None:
        self.shared: dict[str, str] = {} if shared is None else shared
        self.streams: dict[int, _Names] = {}

    def receive(self, stream: int, first: int, names: list[str]) -> np.ndarray:
        """Add a message's new names (numbered from `first`); all of the stream's names so far."""
        if first == 0:
            self.streams[stream] = _Names()  # a stream (or a single message) that starts here
        table = self.streams.get(stream)
        if table is None or table.size != first:
            raise RuntimeError(f"trace worker messages out of order (stream {stream}, name {first})")
        shared = self.shared
        table.extend([shared.setdefault(n, n) for n in names])
        return table.array


class _Lists(msgspec.Struct, array_like=True, gc=False):
    """A summary's name lists, as int32 numbers into the message's names, and their numbers."""

    files: bytes
    templates: bytes
    breakdown: bytes  # names, then...
    breakdown_us: bytes  # int64
    functions: bytes  # the functions' names (their FunctionStat travel with the name "")


class _Message(msgspec.Struct, array_like=True, gc=False):
    stream: int  # the sender's stream
    first: int  # the number of the first name below: names the stream sent before
    names: list[str]  # the names this stream had not sent yet
    summaries: list[TraceSummary]  # with the lists below left empty...
    lists: list[_Lists | None]  # ...and given here instead (None: left in the summary, see _lists)
    cached: list[bool]  # whether the summary came from the cache


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Message)
# Lists travel as arrays of name numbers; the path is the receiver's to set (it may not be UTF-8,
# which msgpack cannot carry, and the receiver knows it anyway: it asked for that file).
_EMPTIED = {"path": "", "files": [], "templates": [], "breakdown": []}


def _emptied(summary: TraceSummary) -> dict:
    """The fields a message leaves empty when it gives them as numbers (see _Lists)."""
    functions = [FunctionStat("", f.file, f.count, f.us) for f in summary.functions]
    return {**_EMPTIED, "functions": functions}


def encode_results(results: list[tuple[TraceSummary, bool]], sender: NameSender | None = None) -> bytes:
    """One message for (summary, from_cache) pairs: the next of `sender`'s stream, else on its own."""
    sender = sender or NameSender()
    numbers = sender.numbers
    first = len(numbers)
    summaries = [summary for summary, _ in results]
    lists = [_lists(s, numbers, sender.native) for s in summaries]  # numbers new names as it goes
    # the names numbered here, in the order of their numbers: read from the end of the dict (skipping
    # the `first` older ones from its start cost a step per name ever sent, at every message)
    new = list(islice(reversed(numbers), len(numbers) - first))[::-1]
    message = _Message(
        stream=sender.stream,
        first=first,
        names=new,
        summaries=[
            msgspec.structs.replace(s, **_emptied(s) if packed is not None else {"path": ""})
            for s, packed in zip(summaries, lists, strict=True)
        ],
        lists=lists,
        cached=[cached for _, cached in results],
    )
    return _ENCODER.encode(message)


def _lists(
    summary: TraceSummary, numbers: dict[str, int], native: NameNumbers | None = None
) -> _Lists | None:
    """The summary's lists as arrays; None if a number does not fit in 64 bits (kept as is).

    `native` (the C module's name_numbers) does the same in one call; lists of another shape than
    the summaries' own (a TypeError before anything is numbered differently: names are numbered in
    the same order both ways) are left to the Python way.
    """
    lists = (summary.files, summary.templates, summary.breakdown, summary.functions)
    try:
        if native is not None:
            with contextlib.suppress(TypeError):
                return _Lists(*native(numbers, *lists))
        number = numbers.__getitem__
        return _Lists(
            files=_packed("i", list(map(number, summary.files))),
            templates=_packed("i", list(map(number, summary.templates))),
            breakdown=_packed("i", list(map(number, map(itemgetter(0), summary.breakdown)))),
            breakdown_us=_packed("q", [us for _, us in summary.breakdown]),
            functions=_packed("i", list(map(number, map(attrgetter("name"), summary.functions)))),
        )
    except (OverflowError, struct.error):  # a number beyond the type (struct.error) or any int64
        return None


def _has_bracket(name: str) -> bool:
    return "<" in name


def _packed(kind: str, numbers: list[int]) -> bytes:
    """Little-endian int32 ("i") or int64 ("q") numbers, as the receiver reads them (one C call:
    faster than filling an array or numpy's fromiter for lists of a few hundred)."""
    return struct.pack(f"<{len(numbers)}{kind}", *numbers)


def decode_results(
    data: bytes | bytearray, receiver: NameReceiver, template_sets: bool = False
) -> list[tuple[TraceSummary, bool]]:
    """The (summary, from_cache) pairs of a message, names shared between summaries and streams;
    their paths are "" (the caller sets them).

    The lists are rebuilt by gathering from the stream's object array of names (no Python step per
    name). With `template_sets`, the template set (trace_rules.collapse_template_args, cached) of
    each new name with a bracket is computed here: a scan's parent mostly waits for its workers
    while it decodes their messages, and the report's template table then finds them all computed.
    """
    message = _DECODER.decode(data)
    if template_sets:
        for name in filter(_has_bracket, message.names):
            collapse_template_args(name)  # computed now, found in its cache later
    names = receiver.receive(message.stream, message.first, message.names)
    pairs = zip(message.summaries, message.lists, strict=True)
    packs = [(summary, packed) for summary, packed in pairs if packed is not None]
    if packs:
        _set_lists(packs, names)
    return list(zip(message.summaries, message.cached, strict=True))


def _set_lists(packs: list[tuple[TraceSummary, _Lists]], names: np.ndarray) -> None:
    """Give each summary its lists back from its numbers: each kind of list gathered for the whole
    message at once (one numpy call, not one per summary and list), then cut summary by summary."""
    import numpy as np

    def gathered(field: str, dtype: str, table: np.ndarray | None) -> tuple[list, list[int]]:
        parts = [getattr(packed, field) for _, packed in packs]
        values = np.frombuffer(b"".join(parts), dtype=dtype)
        ends = list(accumulate(len(part) // values.itemsize for part in parts))
        return (table[values] if table is not None else values).tolist(), ends

    files, file_ends = gathered("files", "<i4", names)
    templates, template_ends = gathered("templates", "<i4", names)
    breakdown, breakdown_ends = gathered("breakdown", "<i4", names)
    breakdown_us, _ = gathered("breakdown_us", "<i8", None)  # as many as breakdown's names
    functions, function_ends = gathered("functions", "<i4", names)
    start = [0, 0, 0, 0]
    for (summary, _), ends in zip(
        packs, zip(file_ends, template_ends, breakdown_ends, function_ends, strict=True), strict=True
    ):
        a, b, c, d = start
        summary.files = files[a : ends[0]]
        summary.templates = templates[b : ends[1]]
        summary.breakdown = list(zip(breakdown[c : ends[2]], breakdown_us[c : ends[2]], strict=True))
        for function, name in zip(summary.functions, functions[d : ends[3]], strict=True):
            function.name = name
        start = ends
