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


def kinds_and_targets(
    data: bytes, lo: np.ndarray, hi: np.ndarray, outputs, factorize=None
) -> tuple[np.ndarray, np.ndarray]:
    """classify_paths(data, lo, hi, outputs, factorize), by the C module's scan when it is there."""
    scan = native("scan_paths")
    n = len(lo)
    if scan is None or n == 0:
        return classify_paths(data, lo, hi, outputs, factorize)
    lo, hi = np.ascontiguousarray(lo, dtype=np.int64), np.ascontiguousarray(hi, dtype=np.int64)
    found = scan(data, lo, hi)
    folder_end, ending_codes, odd, name_end, dir_codes, ending_firsts, dir_firsts = (
        np.frombuffer(column, dtype=np.int64) for column in (*found[:5], *found[6:])
    )
    endings = [text.decode("ascii", "replace") for text in found[5]]
    one_by_one = odd.astype(bool)
    special = [k for k, text in enumerate(endings) if text.lower() == ".ninja"]  # build.ninja: by name
    if special:
        one_by_one |= np.isin(ending_codes, special)
        if (one_by_one & (name_end >= 0)).any():  # a rare shape: its target directory is not counted
            return classify_paths(data, lo, hi, outputs, factorize)
    ending_kinds = np.array([kind_from_path(outputs[k]) for k in ending_firsts.tolist()] + [""], dtype=object)
    kinds = ending_kinds[ending_codes]  # -1 (no usable ending): "", decided one by one below

    in_dir = name_end >= 0
    distinct_dirs = _decode(data, lo[dir_firsts], name_end[dir_firsts])
    dir_targets = np.array([d[d.rfind("CMakeFiles/") + 11 : -4] for d in distinct_dirs] or [""], dtype=object)
    # dir_codes is -1 outside a target directory: the last item
    targets = np.append(dir_targets[: len(distinct_dirs)], NO_TARGET)[dir_codes]
    del found, odd, name_end, dir_codes  # the finish needs the rest: 24 MB less at its peak a million steps
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
        ending_kinds[:-1],
        ending_codes,
        endings,
        distinct_dirs,
        dir_targets,
    )
