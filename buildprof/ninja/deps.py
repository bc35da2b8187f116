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
    # The chain of records: one Python step each, the rest in numpy below.
    positions, sizes = _walk(data)
    at = np.array(positions, dtype=np.int64)
    raw = np.array(sizes, dtype=np.int64)
    is_deps, size = raw >> 31 == 1, raw & 0x7FFFFFFF
    is_path = ~is_deps
    path_number = np.cumsum(is_path) - is_path  # path records before each record: a path's id
    # Damage, as the first record index each check fails at (ninja stops at the first).
    failures = [len(positions)]
    bad_size = (is_deps & ((size % 4 != 0) | (size < head))) | (is_path & (size <= 4))
    failures.append(_first(bad_size))
    path_at = at[is_path & ~bad_size]
    path_size = size[is_path & ~bad_size]
    checksum = _words(data, path_at + path_size) if len(path_at) else np.zeros(0, dtype=np.uint32)
    path_index = np.flatnonzero(is_path & ~bad_size)
    wrong = (~checksum).astype(np.int64) != path_number[path_index]
    failures.append(int(path_index[_first(wrong)]) if wrong.any() else len(positions))
    texts = [
        data[p + 4 : p + s].rstrip(b"\0") for p, s in zip(path_at.tolist(), path_size.tolist(), strict=True)
    ]
    for i in np.flatnonzero(path_size - 4 - np.array([len(t) for t in texts], dtype=np.int64) > 3):
        texts[i] = data[path_at[i] + 4 : path_at[i] + path_size[i] - 3]  # ninja strips 3 NULs at most
    if len(set(texts)) < len(texts):  # a path recorded twice: two ninjas wrote at once
        seen: set[bytes] = set()
        twice = next(i for i, t in enumerate(texts) if t in seen or seen.add(t))
        failures.append(int(path_index[twice]))
    deps_index = np.flatnonzero(is_deps & ~bad_size)
    starts = at[deps_index] + 4
    counts = (size[deps_index] - head) // 4
    known = path_number[deps_index]
    ids, offsets = _gather(data, starts + head, counts)
    out_ids = _words(data, starts).astype(np.int64)
    bad = (out_ids >= known) | (out_ids < 0)
    nonempty = np.flatnonzero(counts)
    if len(nonempty):
        largest = np.maximum.reduceat(ids, offsets[nonempty]) if len(ids) else np.zeros(0, np.uint32)
        bad[nonempty] |= largest.astype(np.int64) >= known[nonempty]
    failures.append(int(deps_index[_first(bad)]) if bad.any() else len(positions))
    cut = min(failures)
    stop = positions[cut] if cut < len(positions) else _tail(data, positions, sizes)
    problems = [f"truncated at byte {stop}: the records from there on are damaged"] if stop else []
    keep_paths = int(np.searchsorted(path_index, cut))
    joined = b"\0".join(texts[:keep_paths])
    paths = joined.decode("utf-8", "surrogateescape").split("\0") if keep_paths else []
    if len(paths) != keep_paths:  # a path with a NUL inside (ninja keeps it): one by one
        paths = [text.decode("utf-8", "surrogateescape") for text in texts[:keep_paths]]
    live = int(np.searchsorted(deps_index, cut))
    starts, counts, out_ids = starts[:live], counts[:live], out_ids[:live]
    ids, offsets = ids[: offsets[live]], offsets[: live + 1]
    if version == 4:
        mtimes = _words(data, starts + 4).astype(np.int64) | (_words(data, starts + 8).astype(np.int64) << 32)
    else:
        mtimes = _words(data, starts + 4).view(np.int32).astype(np.int64)
    # The newest record of each output wins; outputs in id order, as `ninja -t deps` lists them.
    if len(out_ids) < 2 or (np.diff(out_ids) > 0).all():
        chosen, outputs, dep_offsets, dep_ids = slice(None), out_ids, offsets, ids
    else:
        outputs, last_in_reversed = np.unique(out_ids[::-1], return_index=True)
        chosen = len(out_ids) - 1 - last_in_reversed
        dep_offsets = np.zeros(len(chosen) + 1, dtype=np.int64)
        np.cumsum(counts[chosen], out=dep_offsets[1:])
        shift = np.repeat(offsets[chosen] - dep_offsets[:-1], counts[chosen])
        dep_ids = ids[np.arange(dep_offsets[-1], dtype=np.int64) + shift]
    return NinjaDeps(
        path=path,
        version=version,
        paths=paths,
        outputs=outputs.astype(np.int32),
        mtimes=mtimes[chosen],
        dep_offsets=dep_offsets,
        dep_ids=dep_ids.view(np.int32) if dep_ids.dtype == np.uint32 else dep_ids.astype(np.int32),
        problems=problems,
    )


def _walk(data: bytes) -> tuple[list[int], list[int]]:
    """Byte offset and size word of each record that fits in the file (ninja's size limit included);
    the walk stops before the first that does not."""
    unpack = struct.Struct("<I").unpack_from
    positions: list[int] = []
    sizes: list[int] = []
    end, pos = len(data), _HEADER
    while pos + 4 <= end:
        (word,) = unpack(data, pos)
        size = word & 0x7FFFFFFF
        if size > MAX_RECORD or pos + 4 + size > end:
            break
        positions.append(pos)
        sizes.append(word)
        pos += 4 + size
    return positions, sizes


def _tail(data: bytes, positions: list[int], sizes: list[int]) -> int:
    """Where the walk stopped when it did not reach the end of the file (0 when it did)."""
    pos = positions[-1] + 4 + (sizes[-1] & 0x7FFFFFFF) if positions else _HEADER
    return pos if pos < len(data) else 0


def _first(flags) -> int:
    """The index of the first true flag (len(flags) when none is)."""
    import numpy as np

    return int(np.argmax(flags)) if flags.any() else len(flags)


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
    """(ids, offsets): the uint32 runs of `counts[i]` words from byte `starts[i]`, concatenated, and
    where each run begins in them. Runs are taken with a mask over the file's words, not an index per
    dependency."""
    import numpy as np

    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    if offsets[-1] == 0:
        return np.zeros(0, dtype=np.uint32), offsets
    if not (starts % 4).any():
        words = np.frombuffer(data, dtype="<u4", count=len(data) // 4)
        edges = np.zeros(len(words) + 1, dtype=np.int8)
        edges[starts // 4] += 1
        edges[starts // 4 + counts] -= 1
        return words[np.cumsum(edges[:-1], dtype=np.int8).view(np.bool_)], offsets
    # Records that are not 4-byte aligned (a path record whose size is not a multiple of 4: ninja never
    # writes one, but reads it): one slice per record.
    parts = [
        np.frombuffer(data, dtype="<u4", count=int(c), offset=int(s))
        for s, c in zip(starts, counts, strict=True)
    ]
    return np.concatenate(parts), offsets
