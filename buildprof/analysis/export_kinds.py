"""Kinds and targets of a build's steps for `buildprof trace`, with the C module's scan of the paths.

classify_paths (the reference, and what runs without the C module or with BUILDPROF_NO_NATIVE=1)
finds the parts of each path that decide its kind and target with numpy over the log's bytes, in a
dozen passes over arrays the size of the build; a million steps take over a second. Here the C
module `_export_native.scan_paths` finds the same parts in one pass over each path's bytes (the last
`/`, the file name's ending and its code, the CMake target directory and its code, whether the path
must go through `classify_all`), and the rest is classify_paths' own finish: one kind per distinct
ending, one target per distinct target directory, its helpers for libraries and programs. The
answers are equal (tests/test_trace_export_native.py: real captures, generated logs, hostile paths).
"""

from __future__ import annotations

import numpy as np

from buildprof.analysis.classify import NO_TARGET, kind_from_path
from buildprof.analysis.classify_paths import _decode, classify_paths, finish_targets
from buildprof.analysis.lanes import native


class _AtRows:
    """`column[rows]` indexed without gathering it whole: `at_rows[k]` is `column[rows[k]]`."""

    def __init__(self, column: np.ndarray, rows: np.ndarray) -> None:
        self.column, self.rows = column, rows

    def __getitem__(self, key) -> np.ndarray:
        return self.column[self.rows[key]]


class _Assigned(dict):
    """What finish_targets sets in the kinds (the few paths decided one by one), kept aside: the
    kinds array is made after the finish, not held through its peak (8 B a step)."""


def kinds_and_targets(
    data: bytes, lo: np.ndarray, hi: np.ndarray, outputs, factorize=None, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """classify_paths(data, lo, hi, outputs, factorize), by the C module's scan when it is there;
    with `rows`, of the paths data[lo[rows[i]]:hi[rows[i]]] (the scan's copies of those ranges are
    let go before the finish, which reads a few of them: 16 MB less at its peak a million steps)."""
    scan = native("scan_paths")
    if scan is None or len(lo if rows is None else rows) == 0:
        if rows is not None:
            lo, hi = lo[rows], hi[rows]
        return classify_paths(data, lo, hi, outputs, factorize)
    if rows is not None:
        found = scan(data, np.ascontiguousarray(lo[rows], dtype=np.int64), np.ascontiguousarray(hi[rows]))
        lo, hi = _AtRows(lo, rows), _AtRows(hi, rows)
    else:
        lo, hi = np.ascontiguousarray(lo, dtype=np.int64), np.ascontiguousarray(hi, dtype=np.int64)
        found = scan(data, lo, hi)
    folder_end = np.frombuffer(found[0], dtype=np.int64)
    ending_codes, dir_codes = (np.frombuffer(found[k], dtype=np.int32) for k in (1, 3))
    ending_firsts, dir_firsts, dir_ends = (np.frombuffer(column, dtype=np.int64) for column in found[5:])
    endings = [text.decode("ascii", "replace") for text in found[4]]
    one_by_one = np.frombuffer(found[2], dtype=np.bool_)  # 0 or 1 bytes
    special = [k for k, text in enumerate(endings) if text.lower() == ".ninja"]  # build.ninja: by name
    if special:
        one_by_one = one_by_one | np.isin(ending_codes, special)
        if (one_by_one & (dir_codes >= 0)).any():  # a rare shape: its target directory is not counted
            everything = slice(None)
            return classify_paths(data, lo[everything], hi[everything], outputs, factorize)
    ending_kinds = np.array([kind_from_path(outputs[k]) for k in ending_firsts.tolist()] + [""], dtype=object)

    in_dir = dir_codes >= 0
    distinct_dirs = _decode(data, lo[dir_firsts], dir_ends)
    dir_targets = np.array([d[d.rfind("CMakeFiles/") + 11 : -4] for d in distinct_dirs] or [""], dtype=object)
    # dir_codes is -1 outside a target directory: the last item
    targets = np.append(dir_targets[: len(distinct_dirs)], NO_TARGET)[dir_codes]
    del found, dir_codes  # int32 codes and a byte per step: 9 B a step, not the 40 of int64 columns
    assigned = _Assigned()
    _, targets = finish_targets(
        data,
        outputs,
        lo,
        hi,
        folder_end,
        assigned,
        targets,
        in_dir,
        one_by_one,
        ending_kinds[:-1],
        ending_codes,
        endings,
        distinct_dirs,
        dir_targets,
    )
    del folder_end, in_dir, one_by_one, lo, hi
    kinds = ending_kinds[ending_codes]  # -1 (no usable ending): "", decided one by one in the finish
    for k, kind in assigned.items():
        kinds[k] = kind
    return kinds, targets
