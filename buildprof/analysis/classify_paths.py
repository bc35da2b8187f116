"""Kinds and targets of a build's steps from the bytes of their output paths, without a loop over them.

`classify.classify_all` looks at three parts of a path: its `CMakeFiles/<target>.dir/` component (the
CMake target), whether a `cmakefiles/` is in its folder, and its file name's ending from the first dot
(the kind). Here they are found with numpy over the log's bytes for all outputs at once: the `/`, `.`
and `C`/`c` positions of the region holding the paths, then a sorted search per path. The few paths
these parts do not decide (no dot in the file name, `build.ninja`, a name ending in `.dir`, non-ASCII
bytes, an ending over 16 bytes, a `CMakeFiles/` not followed by `<name>.dir/`) and the libraries and
programs named after their file go through `classify_all` one by one. Without a manifest only: a
rule decides the kind of every output the manifest knows.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import as_strided

from buildprof.analysis.classify import (
    NO_TARGET,
    _target_from_artifact,
    classify_all,
    kind_from_path,
)

_CMAKE_DIR = np.frombuffer(b"CMakeFiles/", dtype=np.uint8)
_LOWER_CMAKE_DIR = np.frombuffer(b"cmakefiles/", dtype=np.uint8)
_DIR_END = np.frombuffer(b".dir", dtype=np.uint8)
_LIB = np.frombuffer(b"lib", dtype=np.uint8)
_SLASH, _DOT, _TAB = 47, 46, 9
_ENDING_BYTES = 16  # file-name endings are packed into two uint64 words
_SCAN_BYTES = 1 << 22
_NAMED_CHUNK = 1 << 15  # libraries and programs whose folders are decoded at once
_SPREAD = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def classify_paths(
    data: bytes,
    lo: np.ndarray,
    hi: np.ndarray,
    outputs: np.ndarray,
    factorize: Callable[[bytes, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, target) object arrays for the paths data[lo[i]:hi[i]] (`outputs[i]` decoded), equal to
    `classify_steps` without a manifest. Each path must follow a TAB or a newline in `data` (a log
    line's output field does). `factorize` (OutputPaths.factorize: codes and first rows of byte
    ranges of `data`) groups the target directories without a string per step."""
    n = len(lo)
    kinds = np.empty(n, dtype=object)
    targets = np.empty(n, dtype=object)
    if n == 0:
        return kinds, targets
    raw = np.frombuffer(data, dtype=np.uint8)
    first, stop = int(lo.min()), int(hi.max())
    region = raw[first:stop]
    slashes = _positions(region, first, _SLASH)
    folder_end = _last_before(slashes, hi, lo)  # the last "/" of each path, -1 if none
    base_lo = np.where(folder_end >= 0, folder_end + 1, lo)
    dots = _positions(region, first, _DOT)
    dot = _first_from(dots, base_lo, hi)  # the first "." of each file name, -1 if none
    length = hi - dot
    ending_ok = (dot >= 0) & (length <= _ENDING_BYTES) & (dot + _ENDING_BYTES <= len(raw))
    ending, ending_codes = _endings(raw, np.where(ending_ok, dot, first), np.where(ending_ok, length, 0))
    one_by_one = ~ending_ok | _has_non_ascii(region, first, lo, hi)
    one_by_one |= _ends_with(raw, hi, base_lo, _DIR_END)
    name_start, name_end, dir_doubtful = _cmake_dirs(raw, region, first, slashes, lo, folder_end)
    one_by_one |= dir_doubtful

    # Kinds: one per distinct file-name ending (the ending decides kind_from_path when there is a dot).
    firsts = _first_rows(ending_codes)
    ending_kinds = np.array([kind_from_path(outputs[k]) for k in firsts.tolist()] or [""], dtype=object)
    special = {k for k, text in enumerate(ending) if text.lower() == ".ninja"}  # build.ninja: by name
    if special:
        one_by_one |= np.isin(ending_codes, list(special))
    kinds[:] = ending_kinds[ending_codes]

    # Targets: CMake's target directory, else the file's name for libraries and programs.
    in_dir = (name_start >= 0) & ~one_by_one
    rows = np.flatnonzero(in_dir)
    if factorize is not None:  # "<prefix>/CMakeFiles/<target>.dir", by its bytes
        dir_codes, firsts = factorize(data, lo[rows], name_end[rows])
        distinct_dirs = _decode(data, lo[rows[firsts]], name_end[rows[firsts]])
    else:
        import pandas as pd

        dir_codes, distinct_dirs = pd.factorize(_decode(data, lo[rows], name_end[rows]))
    dir_targets = np.array([d[d.rfind("CMakeFiles/") + 11 : -4] for d in distinct_dirs] or [""], dtype=object)
    targets[rows] = dir_targets[dir_codes]
    targets[~in_dir] = NO_TARGET
    return finish_targets(
        data,
        outputs,
        lo,
        hi,
        folder_end,
        kinds,
        targets,
        in_dir,
        one_by_one,
        ending_kinds,
        ending_codes,
        ending,
        distinct_dirs,
        dir_targets,
    )


def finish_targets(
    data: bytes,
    outputs: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    folder_end: np.ndarray,
    kinds: np.ndarray,
    targets: np.ndarray,
    in_dir: np.ndarray,
    one_by_one: np.ndarray,
    ending_kinds: np.ndarray,
    ending_codes: np.ndarray,
    endings: list[str],
    distinct_dirs,
    dir_targets: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """What classify_paths and the trace export's C scan (export_kinds) share once the targets of
    paths in a CMake target directory are known: libraries and programs outside one by file name,
    the odd paths one by one (classify_all), then each library or program named after a target of
    its folder (classify._name_artifacts_after_targets)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    # A shared library's ending (classify._SHARED_LIB) makes kind_from_path say "link" already.
    made = np.flatnonzero(np.isin(ending_kinds, ["link", "archive"]))
    artifact = ~in_dir & ~one_by_one & np.isin(ending_codes, made)
    subset = np.flatnonzero(artifact).tolist()
    base_lo = np.where(folder_end[subset] >= 0, folder_end[subset] + 1, lo[subset])  # file names
    targets[subset] = _artifact_targets(data, raw, base_lo, hi[subset], endings, ending_codes[subset])
    fallback = np.flatnonzero(one_by_one).tolist()
    answers = classify_all(outputs[fallback].tolist(), None)
    for k, answer in zip(fallback, answers, strict=True):
        kinds[k], targets[k] = answer[0], answer[1]
    # "<folder>/CMakeFiles/<target>.dir" or "CMakeFiles/<target>.dir" (folder ""); a target holds no "/"
    dir_folders = [d.rpartition("/CMakeFiles/")[0] for d in distinct_dirs]
    pairs = list(zip(dir_folders, dir_targets.tolist(), strict=False))  # dir_targets is [""] without any
    pairs += [(answer[2], answer[1]) for answer in answers if answer[2] is not None]
    named = subset + [k for k, answer in zip(fallback, answers, strict=True) if answer[3]]
    if named and pairs:  # only a library or program in a folder holding a target directory can change
        sets = _pair_sets(pairs)
        for a in range(0, len(named), _NAMED_CHUNK):  # a few folders' strings at a time
            part = named[a : a + _NAMED_CHUNK]
            folders = _decode(data, lo[part], np.maximum(folder_end[part], lo[part]))
            targets[part] = _named_after_targets(folders.tolist(), targets[part].tolist(), pairs, sets)
    return kinds, targets


def _pair_sets(found: list[tuple[str, str]]) -> tuple[set[tuple[str, str]], set[str]]:
    """The (folder, target) pairs and the folders holding a target, as sets."""
    return set(found), {folder for folder, _ in found}


def _named_after_targets(
    folders: list[str],
    names: list[str],
    found: list[tuple[str, str]],
    sets: tuple[set[tuple[str, str]], set[str]] | None = None,
) -> list[str]:
    """classify._name_artifacts_after_targets: the target of each library or program (file name
    `names[i]` in folder `folders[i]`) becomes the longest CMake target of its folder (`found`:
    (folder, target) pairs) that the name ends with after `_`, unless it is one of them already.

    Most are one of them already (`lib<target>.a` beside `CMakeFiles/<target>.dir`) or in a folder
    without a target directory: two set lookups each; the targets of a folder are gathered only
    for the others. `sets`: _pair_sets(found), when computed already."""
    pairs, folders_with_targets = sets or _pair_sets(found)
    others = [
        k
        for k, named in enumerate(zip(folders, names, strict=True))
        if named[0] in folders_with_targets and named not in pairs
    ]
    if not others:
        return names
    wanted = {folders[k] for k in others}
    known: dict[str, set[str]] = {}
    for folder, target in found:
        if folder in wanted:
            known.setdefault(folder, set()).add(target)
    for k in others:
        name, candidates = names[k], known[folders[k]]
        # The longest target the name ends with after a "_" is the part after its first such "_".
        at = name.find("_")
        while at >= 0:
            if name[at + 1 :] in candidates:
                names[k] = name[at + 1 :]
                break
            at = name.find("_", at + 1)
    return names


def _positions(region: np.ndarray, first: int, value: int) -> np.ndarray:
    """Offsets (from `first`) of the bytes of `region` equal to `value`, found a few MB at a time
    (the temporary masks stay small and their memory is reused, not faulted in afresh)."""
    parts = [
        np.flatnonzero(region[a : a + _SCAN_BYTES] == value) + (first + a)
        for a in range(0, len(region), _SCAN_BYTES)
    ]
    return np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else np.zeros(0, dtype=np.int64)


def _last_before(positions: np.ndarray, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Per path: the last of `positions` in [lo, hi), or -1."""
    k = np.searchsorted(positions, hi) - 1
    found = positions[np.maximum(k, 0)] if len(positions) else np.full(len(hi), -1)
    return np.where((k >= 0) & (found >= lo), found, -1)


def _first_from(positions: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per path: the first of `positions` in [lo, hi), or -1."""
    k = np.searchsorted(positions, lo)
    found = positions[np.minimum(k, len(positions) - 1)] if len(positions) else np.full(len(lo), -1)
    return np.where((k < len(positions)) & (found < hi), found, -1)


def _windows(raw: np.ndarray, width: int) -> np.ndarray:
    """A read-only (n, width) view whose row i holds raw[i:i+width]."""
    return as_strided(raw, shape=(max(len(raw) - width + 1, 0), width), strides=(1, 1), writeable=False)


def _artifact_targets(
    data: bytes, raw: np.ndarray, base_lo: np.ndarray, hi: np.ndarray, ending: list[str], codes: np.ndarray
) -> np.ndarray:
    """classify._target_from_artifact of libraries and programs with file names data[base_lo:hi]: the
    ending it strips is decided by the file name's ending alone, then a `lib` prefix goes."""
    strip = np.array([len(text) + 1 - len(_target_from_artifact("x" + text)) for text in ending] or [0])
    stop = hi - strip[codes]
    prefixed = (stop - base_lo > 3) & (_windows(raw, 3)[np.minimum(base_lo, len(raw) - 3)] == _LIB).all(
        axis=1
    )
    return _decode(data, base_lo + 3 * prefixed, stop)


def _endings(raw: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct file-name endings (ASCII, as written) and each path's code among them."""
    width = _ENDING_BYTES
    start = np.minimum(start, len(raw) - width)
    chars = _windows(raw, width)[start]
    chars = np.where(np.arange(width) < np.minimum(length, width)[:, None], chars, 0).astype(np.uint8)
    words = np.ascontiguousarray(chars).view("<u8")
    key = words[:, 0] * _SPREAD[0] ^ words[:, 1] * _SPREAD[1]
    import pandas as pd

    codes, _ = pd.factorize(key)
    firsts = _first_rows(codes)
    if not (np.array_equal(words[firsts][codes], words)):  # a collision of the packed key: exact path
        _, firsts, codes = np.unique(words, axis=0, return_index=True, return_inverse=True)
        codes = codes.reshape(-1)
    texts = [bytes(row[row > 0]).decode("ascii", "replace") for row in chars[firsts]]
    return texts, codes


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The first row holding each code (codes 0..k-1)."""
    rows = np.full(int(codes.max(initial=-1)) + 1, len(codes), dtype=np.int64)
    np.minimum.at(rows, codes, np.arange(len(codes)))
    return rows


def _has_non_ascii(region: np.ndarray, first: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per path: does it hold a byte above 127 (str.lower of such a name is not plain ASCII's)?"""
    if not len(region) or int(region.max()) < 128:
        return np.zeros(len(lo), dtype=bool)
    high = np.flatnonzero(region >= 128) + first
    return _first_from(high, lo, hi) >= 0


def _ends_with(raw: np.ndarray, hi: np.ndarray, base_lo: np.ndarray, tail: np.ndarray) -> np.ndarray:
    """Per path: does its file name end with `tail` (case-sensitive)?"""
    width = len(tail)
    long_enough = hi - base_lo >= width
    start = np.where(long_enough, hi - width, 0)
    return long_enough & (_windows(raw, width)[start] == tail).all(axis=1)


def _cmake_dirs(
    raw: np.ndarray,
    region: np.ndarray,
    first: int,
    slashes: np.ndarray,
    lo: np.ndarray,
    folder_end: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per path, where the name after its first `CMakeFiles/` component in the folder (at the path's
    start or after a `/`) starts and where it ends (`<name>.dir`), -1 when there is none; and whether
    the regular expression must decide (that component is not a `<name>.dir/`, a later one might be)."""
    if not len(slashes):
        none = np.full(len(lo), -1)
        return none, none, np.zeros(len(lo), dtype=bool)
    windows = _windows(raw, len(_CMAKE_DIR))
    upper = _positions(region[: max(len(region) - 10, 0)], first, _CMAKE_DIR[0])
    upper = upper[(windows[upper] == _CMAKE_DIR).all(axis=1)]
    upper = upper[(raw[upper - 1] == _SLASH) | (raw[upper - 1] == _TAB) | (raw[upper - 1] == 10)]
    at = _first_from(upper, lo, np.maximum(folder_end - len(_CMAKE_DIR) + 2, lo))
    name_start = np.where(at >= 0, at + len(_CMAKE_DIR), -1)
    next_slash = slashes[np.minimum(np.searchsorted(slashes, np.maximum(name_start, 0)), len(slashes) - 1)]
    dir_end = _ends_with(raw, next_slash, name_start, _DIR_END) & (next_slash - name_start > len(_DIR_END))
    found = (at >= 0) & (next_slash <= folder_end) & dir_end
    # An any-case "cmakefiles/" in the folder changes kind_from_path only for names without a dot,
    # which go one by one already.
    return np.where(found, name_start, -1), np.where(found, next_slash, -1), (at >= 0) & ~found


def _decode(data: bytes, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The strings data[lo:hi] as an object array (they hold no newline), a few thousand at a time
    (the slices, their joined copy and the list split from it are 4-5 times the strings' bytes)."""
    names = np.empty(len(lo), dtype=object)
    chunk = 1 << 14
    for a in range(0, len(lo), chunk):
        rows = zip(lo[a : a + chunk].tolist(), hi[a : a + chunk].tolist(), strict=True)
        joined = b"\n".join([data[x:y] for x, y in rows])
        names[a : a + chunk] = joined.decode("utf-8", "surrogateescape").split("\n")
    return names
