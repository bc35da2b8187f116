"""Translation units: each trace's frontend, backend and total, joined to the ninja step that built it.

A trace `dir/foo.cc.json` belongs to the step whose output is `dir/foo.cc.o` (clang's default naming)
or, for `-ftime-trace=<dir>`, to the only step whose output file is named `foo.cc.o`. A trace with no
step (an older build's, or CMake's compiler check) is still a translation unit.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from buildprof.analysis.classify import classify_output
from buildprof.model.traces import TraceSummary

_OBJECT_SUFFIXES = ("o", "obj")


def compile_unit_table(
    summaries: list[TraceSummary], build_dir: str, steps: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per trace: trace, source, total/frontend/backend us, and the joined step's numbers.

    `steps` may hold several builds (oldest first): a TU is joined to the last step that wrote its
    object, the one that wrote its trace.
    """
    rel = [_relative(s.path, build_dir) for s in summaries]
    table = pd.DataFrame(
        {
            "trace": rel,
            "source": [s.source for s in summaries],
            "total_us": [s.total_us for s in summaries],
            "frontend_us": [s.frontend_us for s in summaries],
            "backend_us": [s.backend_us for s in summaries],
            "clang": [s.clang for s in summaries],
        }
    )
    step_rows = match_steps(rel, steps) if steps is not None and len(steps) else [-1] * len(rel)
    matched = np.asarray(step_rows) >= 0
    table["step_output"] = None
    table["step_ms"] = np.nan
    table["weighted_ms"] = np.nan
    table["target"] = [classify_output(r, None)[1] for r in rel]
    if matched.any():
        picked = steps.iloc[np.asarray(step_rows)[matched]]
        table.loc[matched, "step_output"] = picked["output"].to_numpy()
        table.loc[matched, "step_ms"] = picked["duration_ms"].to_numpy()
        table.loc[matched, "weighted_ms"] = picked["weighted_ms"].to_numpy()
        table.loc[matched, "target"] = picked["target"].to_numpy()
    return table


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
