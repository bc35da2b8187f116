"""The trace summary cache: one entry file per trace, and a pack of a whole scan's summaries.

Entries (`<sha1 of the trace's absolute path>.msgpack`) start with the trace's size and mtime, then
its TraceSummary: a worker checks them, and writes them for traces it reads while the pack is kept (a
scan that rewrites the pack writes none), so after an incremental build only the traces that changed
are read again. The pack (`summaries.pack`) holds every summary of the last scan in one file: the
workers' messages as they came (_wire: names once per worker), or the summaries encoded as one
message when they did not all come from the workers, then the stamp of each trace and of its entry
file: a warm run
reads one file instead of thousands, and a summary is taken from the pack only while both its trace
and its entry are exactly as they were when the pack was written (so touching, deleting or damaging
either sends that trace back to the slow path). Deleting any of it is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from buildprof.files import read_regular, write_atomically
from buildprof.model.traces import TraceSummary
from buildprof.traces._wire import NameReceiver, decode_results, encode_results

if TYPE_CHECKING:  # numpy only where the pack is read or written: workers do without it
    import numpy as np

PACK_NAME = "summaries.pack"
_PACK_MAGIC = b"BPPACK3\n"  # then messages (each after its length), the header, its length
_LENGTH = struct.Struct("<q")
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(TraceSummary)


class _PackHeader(msgspec.Struct, array_like=True):
    keys: list[bytes]  # absolute trace paths (os.fsencode: any bytes), in the order of the summaries
    stamps: bytes  # int64 x 4 per key: trace size, trace mtime_ns, entry size, entry mtime_ns


_HEADER_DECODER = msgspec.msgpack.Decoder(_PackHeader)


def entry_path(cache_dir: str | Path, path: str) -> str:
    """Where the entry of the trace at `path` (made absolute) lives."""
    key = hashlib.sha1(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()
    return os.path.join(cache_dir, key + ".msgpack")


def _stamp(size: int, mtime_ns: int) -> bytes:
    """The first line of an entry: what the trace file looked like when it was summarised."""
    return f"{size} {mtime_ns}\n".encode()


def read_entry(path: str, size: int, mtime_ns: int) -> TraceSummary | None:
    """The cached summary if the entry is for this exact file (size, mtime) and decodes, else None."""
    try:
        content = read_regular(path)
    except OSError:
        return None
    stamp = _stamp(size, mtime_ns)
    if not content.startswith(stamp):
        return None
    try:
        return _DECODER.decode(memoryview(content)[len(stamp) :])
    except (msgspec.DecodeError, msgspec.ValidationError):  # damaged, or of another version
        return None


def write_entry(path: str, summary: TraceSummary) -> None:
    """Write an entry atomically (a reader never sees half of one); failures are ignored.

    The trace's path is left out (the entry's name is its hash; it may not be UTF-8): a summary read
    back has the path "", for the caller to set.
    """
    encoded = _ENCODER.encode(msgspec.structs.replace(summary, path=""))
    with contextlib.suppress(OSError):  # a cache can do without an entry
        write_atomically(path, _stamp(summary.size, summary.mtime_ns), encoded)


def _file_stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (-1, -1)
    return (st.st_size, st.st_mtime_ns)


@dataclass
class Pack:
    """The summaries of the last scan of a cache folder, by absolute trace path."""

    index: dict[str, int]  # key -> position in summaries
    stamps: np.ndarray  # (n, 4) int64: trace size, trace mtime_ns, entry size, entry mtime_ns
    summaries: list[TraceSummary]

    def lookup(self, keys: list[str], sizes: list[int], mtimes: list[int], entries: list[str]) -> list[int]:
        """For each trace (absolute path, size, mtime, entry file): its position in `summaries`, or -1.

        A packed summary counts only if the trace and its entry are unchanged since packing.
        """
        import numpy as np

        at = np.array([self.index.get(key, -1) for key in keys], dtype=np.int64)
        found = np.flatnonzero(at >= 0)
        same = (self.stamps[at[found], 0] == np.array(sizes, dtype=np.int64)[found]) & (
            self.stamps[at[found], 1] == np.array(mtimes, dtype=np.int64)[found]
        )
        result = np.full(len(keys), -1, dtype=np.int64)
        for i, pos in zip(found[same].tolist(), at[found[same]].tolist(), strict=True):
            entry_size, entry_mtime = self.stamps[pos, 2:].tolist()
            if _file_stamp(entries[i]) == (entry_size, entry_mtime):
                result[i] = pos
        return result.tolist()


def load_pack(cache_dir: str | Path, names: NameReceiver) -> Pack | None:
    """The folder's pack, or None when there is none or it cannot be read (then it is ignored)."""
    try:
        data = read_regular(os.path.join(cache_dir, PACK_NAME))
        if not data.startswith(_PACK_MAGIC):
            return None
        view = memoryview(data)
        end = len(view) - _LENGTH.size  # the header, then its length, close the pack
        (length,) = _LENGTH.unpack_from(view, end)
        header = _HEADER_DECODER.decode(view[end - length : end])
        results, at = [], len(_PACK_MAGIC)
        while at < end - length:  # the messages, each after its length, in the order of the keys
            (size,) = _LENGTH.unpack_from(view, at)
            at += _LENGTH.size
            if not 0 <= size <= end - length - at:
                return None
            results += decode_results(view[at : at + size], names)
            at += size
        import numpy as np

        stamps = np.frombuffer(header.stamps, dtype="<i8").reshape(-1, 4)
        if len(results) != len(header.keys) or len(stamps) != len(header.keys):
            return None
    except (OSError, ValueError, RuntimeError, struct.error, msgspec.DecodeError, msgspec.ValidationError):
        return None  # RuntimeError: messages out of order (_wire)
    keys = [os.fsdecode(key) for key in header.keys]
    return Pack({key: i for i, key in enumerate(keys)}, stamps, [s for s, _ in results])


def save_pack(
    cache_dir: str | Path,
    summaries: list[TraceSummary],
    entries: list[str],
    messages: list[bytes | bytearray] | None = None,
) -> None:
    """Write the pack of a scan (summaries and the entry file of each); failures are ignored.

    `messages`, when given, are the workers' messages (_wire) that carried every one of `summaries`,
    in order: they are written as they came, nothing is encoded again (a first run's pack then costs
    little more than writing it). Without them, the summaries are encoded as one message.
    """
    import numpy as np

    stamps = np.array(
        [(s.size, s.mtime_ns, *_file_stamp(e)) for s, e in zip(summaries, entries, strict=True)],
        dtype="<i8",
    ).reshape(-1, 4)
    keys = [os.fsencode(os.path.abspath(s.path)) for s in summaries]
    header = _ENCODER.encode(_PackHeader(keys, stamps.tobytes()))
    if messages is None:
        messages = [encode_results([(s, True) for s in summaries])]
    parts: list[bytes | bytearray] = [_PACK_MAGIC]
    for message in messages:
        parts += (_LENGTH.pack(len(message)), message)
    parts += (header, _LENGTH.pack(len(header)))
    with contextlib.suppress(OSError):  # without a pack, the next run reads the entries or the traces
        write_atomically(os.path.join(cache_dir, PACK_NAME), *parts)
