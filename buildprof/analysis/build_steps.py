"""One build's classified steps as numpy columns, the output paths left in the log until shown.

A report shows a few dozen of a build's paths (its slowest steps) and at most TIMELINE_STEPS_KEPT on
its timeline, but a build may have a million steps: turning every path into a `str` and every step
into a DataFrame row costs more than the rest of the report. `BuildSteps` keeps one numpy array per
column (STEP_COLUMNS but `output` and `step`), one value per step in log order, and decodes a path
when it is asked for (`outputs[rows]`). The DataFrame of every step (`frame()`, as
`ninja_report.analyse_build` gives it) is built only for what joins steps by their paths: the
traces, the build graph.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from buildprof.model.ninja import BuildSpan, NinjaLog, NinjaManifest, OutputPaths

if TYPE_CHECKING:
    import pandas as pd

# The frame's columns, in the order steps_of_log and classify_steps give them.
_FRAME_COLUMNS = (
    "step",
    "cmdhash",
    "start_ms",
    "end_ms",
    "output",
    "n_outputs",
    "line",
    "duration_ms",
    "weighted_ms",
    "kind",
    "target",
)


class StepOutputs:
    """The first output of each step, decoded from the log when indexed: `outputs[k]` is one `str`,
    `outputs[rows]` an object array of those rows' paths; `tolist()` decodes them all."""

    def __init__(self, paths: OutputPaths, rows: np.ndarray) -> None:
        self.paths, self.rows = paths, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key):
        if isinstance(key, int | np.integer):
            return self.paths.of(self.rows[[key]])[0]
        return self.paths.of(self.rows[key])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.paths.of(self.rows)

    def tolist(self) -> list[str]:
        return self.paths.of(self.rows).tolist()


class BuildSteps:
    """A build's steps (edges), one value per step in log order in each column: start_ms, end_ms,
    duration_ms, weighted_ms, n_outputs, line, cmdhash (numpy), kind and target (object arrays
    sharing a few strings); `outputs` indexes their first outputs (StepOutputs, or the decoded
    array when a manifest needed them all). Columns the report reads for a few rows only (line,
    cmdhash) may stay in the log: `log_rows` is then the log's columns and each step's row there.
    Without a manifest duration_ms is not held but computed when asked for (end_ms - start_ms), and
    n_outputs is held as int32 (given as int64): 12 B a step less over the report's peaks."""

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        outputs,
        frame: pd.DataFrame | None = None,
        busy_ms: int | None = None,
        log_rows: tuple[dict[str, np.ndarray], np.ndarray] | None = None,
    ) -> None:
        self.columns = columns
        self.outputs = outputs
        self.busy_ms = busy_ms  # steps.busy_time, when computed with the weighted times
        self._frame = frame
        self._log_rows = log_rows
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.columns["start_ms"])

    def __getitem__(self, name: str) -> np.ndarray:
        if name in ("kind", "target") and name not in self.columns:  # held as codes
            codes, values = self._codes[name]
            return values[codes]
        if name in self.columns:
            column = self.columns[name]
            return column.astype(np.int64) if column.dtype == np.int32 else column  # n_outputs
        if name == "duration_ms":  # not held: end - start, 8 B a step at the peaks after
            return self.columns["end_ms"] - self.columns["start_ms"]
        if self._log_rows is None:
            return self.columns[name]
        log_columns, rows = self._log_rows
        column = log_columns[name][rows]
        return column.astype(np.int64) if column.dtype == np.int32 else column  # the log's line

    def rows_in_log(self) -> np.ndarray:
        """The log row of each step's first line (its first output: `log.paths.lo[rows]`...)."""
        return self._log_rows[1]

    def at(self, name: str, rows: np.ndarray) -> np.ndarray:
        """Column `name` at the steps `rows` only."""
        if name == "duration_ms" and name not in self.columns:
            return self.columns["end_ms"][rows] - self.columns["start_ms"][rows]
        if name in ("kind", "target") and name not in self.columns:
            codes, values = self._codes[name]
            return values[codes[rows]]
        if name in self.columns or self._log_rows is None:
            return self.columns[name][rows]
        log_columns, log_rows = self._log_rows
        return log_columns[name][log_rows[rows]]

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Each step's code among the distinct values of column `name` (kind or target), numbered in
        the order they first appear, and those values (both computed once)."""
        if not self._codes:
            from buildprof.analysis.step_tables import kind_target_codes

            self._codes = kind_target_codes(self.columns["kind"], self.columns["target"])
        return self._codes[name]

    def frame(self) -> pd.DataFrame:
        """The steps as a DataFrame (STEP_COLUMNS, every output decoded), built on first use."""
        if self._frame is None:
            import pandas as pd

            columns = {name: self[name] for name in _FRAME_COLUMNS if name not in ("step", "output")}
            columns["step"] = np.arange(len(self))
            columns["output"] = pd.Series(np.asarray(self.outputs), dtype=object, copy=False).astype(str)
            self._frame = pd.DataFrame({name: columns[name] for name in _FRAME_COLUMNS})
        return self._frame


def build_steps(
    log: NinjaLog, span: BuildSpan, manifest: NinjaManifest | None, coded: bool = False
) -> BuildSteps:
    """The classified steps of one build of the log: grouped as steps.step_rows groups them,
    weighted as steps.weighted_durations (the busy time as steps.busy_time, in the same pass),
    kinds and targets as classify_steps gives them (from the paths' bytes without a manifest:
    export_kinds.kinds_and_targets, decoding only the few paths it asks for).

    One stage after the other, each array made when it is needed, the free pages of each stage's
    temporaries given back before the next (malloc_trim: the allocators keep 15-35 MB of them a
    million steps, and the next stage's peak would stand on them): a million-step build's peak
    memory is the classification's, over the log's bytes and columns (computing the weighted times
    in a thread meanwhile saved 0.1 s but added their 60 MB of temporary arrays to that peak).

    `coded`: the kinds and targets are held as their codes (BuildSteps.codes, computed right after
    the classification; int32) instead of object arrays, 8 B a step less over the stages after it
    (the report's tables group by them; the trace export codes its (kind, target) pairs itself)."""
    from buildprof.analysis.export_kinds import kinds_and_targets
    from buildprof.analysis.steps import step_rows, weighted_and_busy
    from buildprof.gc_pause import return_free_memory

    if manifest is not None:  # the manifest is keyed by path: every output is decoded
        return _steps_by_manifest(log, span, manifest)
    columns, paths, first, stop = log.columns, log.paths, span.first_row, span.end_row
    part = getattr(columns, "part", None)  # model.ninja.LogColumns: the hashes of the build only
    cmdhash = part("cmdhash", first, stop) if part else columns["cmdhash"][first:stop]
    rows, sizes = step_rows(cmdhash, columns["start_ms"][first:stop], columns["end_ms"][first:stop])
    del cmdhash
    rows += first  # from the build's first line to the log's
    if len(paths) < 2**31:  # indexes of the log's lines: 4 B a step
        rows = rows.astype(np.int32)
    outputs = StepOutputs(paths, rows)
    return_free_memory()  # each stage's temporaries: the next stage's peak starts lower
    kind, target = kinds_and_targets(paths.data, paths.lo, paths.hi, outputs, paths.factorize, rows)
    codes = {}
    if coded:
        from buildprof.analysis.step_tables import kind_target_codes

        codes = kind_target_codes(kind, target)
        del kind, target
    return_free_memory()
    weighted, busy_ms = weighted_and_busy(*_times_at(columns, rows))  # before the steps' int64 copies
    return_free_memory()
    start, end = columns["start_ms"][rows], columns["end_ms"][rows]
    steps = {  # duration_ms is end - start when asked for; n_outputs int32 (read as int64)
        "start_ms": start,
        "end_ms": end,
        "n_outputs": sizes.astype(np.int32 if len(sizes) and sizes.max() < 2**31 else np.int64),
        "weighted_ms": weighted,
    }
    if not codes:
        steps.update(kind=kind, target=target)
    built = BuildSteps(steps, outputs, busy_ms=busy_ms, log_rows=(columns, rows))
    built._codes = codes
    return built


def _times_at(columns: dict[str, np.ndarray], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The start and end times at `rows` of the log, int32 when they fit (gathered a chunk at a
    time: no int64 copy), for the weighted times, which give the same floats from either."""
    start, end = columns["start_ms"], columns["end_ms"]
    if not len(rows) or int(start.min()) < -(2**31) or int(end.max()) >= 2**31:
        return start[rows], end[rows]
    narrow = np.empty(len(rows), dtype=np.int32), np.empty(len(rows), dtype=np.int32)
    for a in range(0, len(rows), 1 << 16):
        narrow[0][a : a + (1 << 16)] = start[rows[a : a + (1 << 16)]]
        narrow[1][a : a + (1 << 16)] = end[rows[a : a + (1 << 16)]]
    return narrow


def _steps_by_manifest(log: NinjaLog, span: BuildSpan, manifest: NinjaManifest) -> BuildSteps:
    """The steps classified by the manifest's rules (classify_steps, on the DataFrame)."""
    from buildprof.analysis.classify import classify_steps
    from buildprof.analysis.steps import steps_of_log

    frame, rows, _ = steps_of_log(log.columns, log.paths, span)
    frame = classify_steps(frame, manifest)
    names = [name for name in _FRAME_COLUMNS if name not in ("step", "output")]
    columns = {name: frame[name].to_numpy() for name in names}
    return BuildSteps(columns, frame["output"].to_numpy(dtype=object), frame, log_rows=(log.columns, rows))
