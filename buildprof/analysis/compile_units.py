"""Translation units: each trace's frontend, backend and total, joined to the ninja step that built it.

A trace `dir/foo.cc.json` belongs to the step whose output is `dir/foo.cc.o` (clang's default naming)
or, for `-ftime-trace=<dir>`, to the only step whose output file is named `foo.cc.o`. A trace with no
step (an older build's, or CMake's compiler check) is still a translation unit.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from buildprof.analysis.classify import classify_output
from buildprof.analysis.table import Table
from buildprof.model.traces import TraceSummary

if TYPE_CHECKING:
    import pandas as pd

_OBJECT_SUFFIXES = ("o", "obj")


def compile_unit_table(
    summaries: list[TraceSummary], build_dir: str, steps: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per trace: trace, source, total/frontend/backend us, and the joined step's numbers.

    `steps` may hold several builds (oldest first): a TU is joined to the last step that wrote its
    object, the one that wrote its trace.
    """
    return compile_units(summaries, build_dir, steps).frame(dtypes={"step_output": object})


def compile_units(
    summaries: list[TraceSummary], build_dir: str, steps: pd.DataFrame | list[pd.DataFrame] | None
) -> Table:
    """compile_unit_table as a Table (no pandas unless there are steps; a list of builds' steps is
    concatenated): step_output None, step_ms and weighted_ms NaN where no step wrote the TU's object."""
    if isinstance(steps, list):
        steps = _concatenated(steps)
    rel = [_relative(s.path, build_dir) for s in summaries]
    step_rows = match_steps(rel, steps) if steps is not None and len(steps) else [-1] * len(rel)
    rows = np.asarray(step_rows, dtype=np.int64)
    matched = np.flatnonzero(rows >= 0)
    step_output: list[str | None] = [None] * len(rel)
    step_ms = np.full(len(rel), np.nan)
    weighted_ms = np.full(len(rel), np.nan)
    target = [classify_output(r, None)[1] for r in rel]
    if len(matched):
        picked = steps.iloc[rows[matched]]  # type: ignore[union-attr]
        for at, output, kind_target in zip(
            matched.tolist(), picked["output"].tolist(), picked["target"].tolist(), strict=True
        ):
            step_output[at] = output
            target[at] = kind_target
        step_ms[matched] = picked["duration_ms"].to_numpy(dtype=np.float64)
        weighted_ms[matched] = picked["weighted_ms"].to_numpy(dtype=np.float64)
    return Table(
        {
            "trace": rel,
            "source": [s.source for s in summaries],
            "total_us": np.array([s.total_us for s in summaries], dtype=np.int64),
            "frontend_us": np.array([s.frontend_us for s in summaries], dtype=np.int64),
            "backend_us": np.array([s.backend_us for s in summaries], dtype=np.int64),
            "clang": [s.clang for s in summaries],
            "step_output": step_output,
            "step_ms": step_ms,
            "weighted_ms": weighted_ms,
            "target": target,
        }
    )


def _concatenated(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    if not frames:
        return None
    import pandas as pd  # only with steps, which are DataFrames: pandas is there already

    return pd.concat(frames, ignore_index=True)


def match_steps(traces: list[str], steps: pd.DataFrame) -> list[int]:
    """Row in `steps` of the step that wrote each trace's object file, or -1."""
    by_output = {out: i for i, out in enumerate(steps["output"].tolist())}
    by_name: dict[str, list[int]] = {}
    for out, i in by_output.items():
        by_name.setdefault(out.rsplit("/", 1)[-1], []).append(i)
    rows = []
    for trace in traces:
        if not trace.endswith(".json"):
            rows.append(-1)
            continue
        stem = trace[:-4]
        found = next((by_output[stem + s] for s in _OBJECT_SUFFIXES if stem + s in by_output), -1)
        if found < 0:
            base = stem.rsplit("/", 1)[-1]
            candidates = [c for s in _OBJECT_SUFFIXES for c in by_name.get(base + s, [])]
            found = candidates[0] if len(candidates) == 1 else -1
        rows.append(found)
    return rows


def target_table(units: pd.DataFrame) -> pd.DataFrame:
    """Per target: TUs and summed compile, frontend, backend time, and the steps' wall and weighted."""
    grouped = units.groupby("target", sort=False).agg(
        tus=("trace", "size"),
        total_us=("total_us", "sum"),
        frontend_us=("frontend_us", "sum"),
        backend_us=("backend_us", "sum"),
        step_ms=("step_ms", "sum"),
        weighted_ms=("weighted_ms", "sum"),
        steps=("step_ms", "count"),
    )
    no_step = grouped["steps"] == 0  # no TU of the target was built by the analysed build: unknown
    grouped.loc[no_step, ["step_ms", "weighted_ms"]] = np.nan
    grouped = grouped.drop(columns="steps")
    return grouped.sort_values("total_us", ascending=False, kind="stable").reset_index()


def target_columns(units: Table) -> Table:
    """target_table over compile_units' Table: targets in first-seen order, then by total_us, largest
    first (ties keep that order); the step sums as pandas' groupby sums them (NaN skipped, Kahan)."""
    groups: dict[str, list] = {}  # target -> [tus, total, frontend, backend, step, weighted, steps]
    step_ms, weighted_ms = units["step_ms"].tolist(), units["weighted_ms"].tolist()
    columns = zip(
        units["target"],
        units["total_us"].tolist(),
        units["frontend_us"].tolist(),
        units["backend_us"].tolist(),
        step_ms,
        weighted_ms,
        strict=True,
    )
    for target, total, frontend, backend, step, weighted in columns:
        sums = groups.setdefault(target, [0, 0, 0, 0, _KahanSum(), _KahanSum(), 0])
        sums[0] += 1
        sums[1] += total
        sums[2] += frontend
        sums[3] += backend
        if step == step:  # not NaN
            sums[4].add(step)
            sums[6] += 1
        if weighted == weighted:
            sums[5].add(weighted)
    values = list(groups.values())
    table = Table(
        {
            "target": list(groups),
            "tus": np.array([v[0] for v in values], dtype=np.int64),
            "total_us": np.array([v[1] for v in values], dtype=np.int64),
            "frontend_us": np.array([v[2] for v in values], dtype=np.int64),
            "backend_us": np.array([v[3] for v in values], dtype=np.int64),
            # no TU of the target was built by the analysed build: unknown
            "step_ms": np.array([v[4].total if v[6] else np.nan for v in values], dtype=np.float64),
            "weighted_ms": np.array([v[5].total if v[6] else np.nan for v in values], dtype=np.float64),
        }
    )
    return Table(table.sorted([("total_us", True)]).columns)  # numbered from 0, as reset_index


class _KahanSum:
    """A float sum as pandas' groupby sum adds (Kahan's compensated summation), to the same bits."""

    __slots__ = ("compensation", "total")

    def __init__(self) -> None:
        self.total = 0.0
        self.compensation = 0.0

    def add(self, value: float) -> None:
        y = value - self.compensation
        t = self.total + y
        self.compensation = t - self.total - y
        self.total = t


def _relative(path: str, build_dir: str) -> str:
    prefix = build_dir.rstrip("/") + "/"
    if build_dir and path.startswith(prefix) and "\\" not in path:
        rest = path[len(prefix) :]
        if not any(part in ("", ".", "..") for part in rest.split("/")):
            return rest  # what relpath gives for a plain path below the folder, without its cost
    try:
        rel = os.path.relpath(path, build_dir)
    except ValueError:
        return path.replace("\\", "/")
    return (path if rel.startswith("..") else rel).replace("\\", "/")


def source_root(sources: list[str]) -> str:
    """The deepest folder holding every absolute main file the traces name ("" if none): the project."""
    absolute = [s for s in sources if s.startswith("/") and "/CMakeFiles/" not in s]
    if not absolute:
        return ""
    try:
        root = os.path.commonpath(absolute)
    except ValueError:
        return ""
    return "" if root in ("/", "") else root
