"""Read ninja's binary `.ninja_deps` (versions 3 and 4) into flat arrays, as ninja's DepsLog::Load does.

The file (src/deps_log.cc) is the signature `# ninjadeps\\n`, an int32 version, then records, each a
uint32 size whose high bit marks a deps record, followed by `size` bytes (all little-endian here):

- path record: the path, NUL-padded to a multiple of 4 bytes, then a uint32 checksum, the bitwise
  complement of the id the path gets (ids count path records from 0);
- deps record: the output's id, its mtime (version 4: 64 bits as low and high uint32 halves;
  version 3, ninja before 1.9: a signed 32-bit number), then the ids of its inputs.

A later deps record for the same output replaces the earlier one. Ninja stops at the first damaged
record (one that runs past the end of the file, is larger than 512 KiB, names an id not yet defined,
or has a wrong checksum) and keeps everything before it; so does this reader, noting
"truncated at byte N". The records are walked in Python (one step per record, a few hundred thousand
for a large build) and the dependency ids are gathered with numpy in one piece, so that tens of
millions of dependencies never become Python objects.
"""

from __future__ import annotations

import struct
from pathlib import Path

from buildprof.errors import InputError
from buildprof.files import read_regular, why_unusable
from buildprof.model.graph import NinjaDeps

SIGNATURE = b"# ninjadeps\n"
MAX_RECORD = (1 << 19) - 1  # ninja's kMaxRecordSize
_HEADER = len(SIGNATURE) + 4


def read_ninja_deps(build_dir: str | Path, name: str = ".ninja_deps") -> NinjaDeps | None:
    """The live deps records of `build_dir/.ninja_deps`; None when there is none."""
    path = Path(build_dir) / name
    why = why_unusable(path)
    if why == "no such file or folder":
        return None
    try:
        if why is not None:
            raise OSError(why)
        data = read_regular(path)
    except OSError as exc:
        raise InputError(f"cannot read ninja deps log: {why or exc.strerror}", path) from None
    return parse_ninja_deps(data, str(path))


def parse_ninja_deps(data: bytes, path: str) -> NinjaDeps:
    """Parse the bytes of a `.ninja_deps` file (named `path` in messages)."""
    import numpy as np

    if len(data) < _HEADER or not data.startswith(SIGNATURE):
        raise InputError("not a ninja deps log (no '# ninjadeps' signature)", path)
    version = int.from_bytes(data[len(SIGNATURE) : _HEADER], "little", signed=True)
    if version not in (3, 4):
        raise InputError(f"ninja deps log version {version}: buildprof reads versions 3 and 4", path)
    head = 12 if version == 4 else 8  # out id and mtime, before the input ids
    paths: list[str] = []
    seen: set[bytes] = set()
    starts: list[int] = []  # byte offset of each deps record's body
    sizes: list[int] = []
    known: list[int] = []  # how many paths were defined when each deps record was read
    record_at: list[int] = []  # byte offset of each deps record's size word
    unpack = struct.Struct("<I").unpack_from
    end, pos = len(data), _HEADER
    damaged_at = -1
    while pos < end:
        if pos + 4 > end:
            damaged_at = pos
            break
        (size,) = unpack(data, pos)
        is_deps, size = size >> 31, size & 0x7FFFFFFF
        body = pos + 4
        if size > MAX_RECORD or body + size > end:
            damaged_at = pos
            break
        if is_deps:
            if size % 4 or size < head:
                damaged_at = pos
                break
            starts.append(body)
            sizes.append(size)
            known.append(len(paths))
            record_at.append(pos)
        else:
            text = data[body : body + size - 4].rstrip(b"\0")
            (checksum,) = unpack(data, body + size - 4)
            if (
                size <= 4
                or size - 4 - len(text) > 3
                or (~checksum & 0xFFFFFFFF) != len(paths)
                or text in seen
            ):
                damaged_at = pos
                break
            seen.add(text)
            paths.append(text.decode("utf-8", "surrogateescape"))
        pos = body + size
    starts_a = np.array(starts, dtype=np.int64)
    counts = (np.array(sizes, dtype=np.int64) - head) // 4
    known_a = np.array(known, dtype=np.int64)
    ids, offsets = _gather(data, starts_a + head, counts)
    out_ids = _words(data, starts_a).astype(np.int64)
    # The first deps record that names an id not defined before it is damage: stop there, as ninja.
    bad = (out_ids >= known_a) | (out_ids < 0)
    bad_dep = np.flatnonzero(ids >= np.repeat(known_a, counts))
    if len(bad_dep):
        bad[np.searchsorted(offsets, bad_dep[0], side="right") - 1] = True
    if bad.any():
        first = int(np.argmax(bad))
        damaged_at = record_at[first]
        paths = paths[: known[first]]
        starts_a, counts, out_ids = starts_a[:first], counts[:first], out_ids[:first]
        ids, offsets = ids[: offsets[first]], offsets[: first + 1]
    if version == 4:
        mtimes = _words(data, starts_a + 4).astype(np.int64) | (
            _words(data, starts_a + 8).astype(np.int64) << 32
        )
    else:
        mtimes = _words(data, starts_a + 4).view(np.int32).astype(np.int64)
    # The newest record of each output wins; outputs in id order, as `ninja -t deps` lists them.
    outputs, last_in_reversed = np.unique(out_ids[::-1], return_index=True)
    chosen = len(out_ids) - 1 - last_in_reversed
    dep_offsets = np.zeros(len(chosen) + 1, dtype=np.int64)
    np.cumsum(counts[chosen], out=dep_offsets[1:])
    take = np.arange(dep_offsets[-1], dtype=np.int64) + np.repeat(
        offsets[chosen] - dep_offsets[:-1], counts[chosen]
    )
    problems = (
        [] if damaged_at < 0 else [f"truncated at byte {damaged_at}: the records from there on are damaged"]
    )
    return NinjaDeps(
        path=path,
        version=version,
        paths=paths,
        outputs=outputs.astype(np.int32),
        mtimes=mtimes[chosen],
        dep_offsets=dep_offsets,
        dep_ids=ids[take].astype(np.int32),
        problems=problems,
    )


def _words(data: bytes, at):
    """The little-endian uint32 at each byte offset in `at`."""
    import numpy as np

    if len(at) == 0:
        return np.zeros(0, dtype=np.uint32)
    if not (at % 4).any():
        return np.frombuffer(data, dtype="<u4", count=len(data) // 4)[at // 4]
    raw = np.frombuffer(data, dtype=np.uint8)
    return (raw[at] | raw[at + 1] << 8 | raw[at + 2] << 16 | raw[at + 3].astype(np.uint32) << 24).astype(
        np.uint32
    )


def _gather(data: bytes, starts, counts):
    """(ids, offsets): the uint32 runs of `counts[i]` words from byte `starts[i]`, concatenated, as
    int64, and where each run begins in them."""
    import numpy as np

    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    total = int(offsets[-1])
    if total == 0:
        return np.zeros(0, dtype=np.int64), offsets
    if not (starts % 4).any():
        words = np.frombuffer(data, dtype="<u4", count=len(data) // 4)
        index = np.arange(total, dtype=np.int64) + np.repeat(starts // 4 - offsets[:-1], counts)
        return words[index].astype(np.int64), offsets
    # Records that are not 4-byte aligned (a path record whose size is not a multiple of 4: ninja never
    # writes one, but reads it): one slice per record.
    parts = [
        np.frombuffer(data, dtype="<u4", count=int(c), offset=int(s))
        for s, c in zip(starts, counts, strict=True)
    ]
    return np.concatenate(parts).astype(np.int64), offsets
