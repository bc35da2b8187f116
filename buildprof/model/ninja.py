"""What the ninja readers give the analysis: the DataFrame columns of log lines and steps, and spans.

Times read from ninja are integer milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# One row per valid `.ninja_log` line, in file order (buildprof.ninja.log).
LOG_COLUMNS = ("line", "start_ms", "end_ms", "mtime", "output", "cmdhash")

# One row per build step (an edge: the log lines sharing hash, start and end), in finishing order.
STEP_COLUMNS = (
    "step",  # 0-based index within its build, in log order
    "output",  # the first output the edge logged
    "n_outputs",  # how many outputs the edge wrote (multi-output edges log one line each)
    "start_ms",
    "end_ms",
    "duration_ms",
    "weighted_ms",  # integral of 1/concurrency over the step's life (Chromium's weighted time)
    "kind",  # compile, link, archive, codegen, configure or other (STEP_KINDS)
    "target",  # the CMake target (or best guess) the output belongs to
    "cmdhash",
    "line",  # line of the first output in .ninja_log
)

STEP_KINDS = ("compile", "link", "archive", "codegen", "configure", "other")


@dataclass(frozen=True)
class LogProblem:
    """A `.ninja_log` line that was skipped, with the reason and the start of its text."""

    line: int
    message: str
    text: str = ""


@dataclass(frozen=True)
class BuildSpan:
    """Where one ninja invocation's lines are in the log (rows of NinjaLog.entries, end exclusive)."""

    index: int  # 0-based, oldest first
    first_row: int
    end_row: int
    first_line: int  # file line numbers, for messages
    last_line: int


@dataclass(frozen=True)
class UnorderedSpan:
    """Log lines whose times do not form a build (ninja recompacted the log); never analysed as one."""

    first_row: int
    end_row: int
    first_line: int
    last_line: int


class OutputPaths:
    """The output path of every valid line of a log, kept as a byte range of the file until asked for.

    A million-line log names hundreds of thousands of paths; turning each into a `str` costs more
    than parsing its line, and a report shows the steps of one build. Line k's path is
    `data[lo[k]:hi[k]]` (UTF-8, undecodable bytes kept as surrogates). `factorize` (the reader's)
    gives each line a code shared by the lines naming the same path, and each code's first line.
    """

    def __init__(
        self,
        data: bytes,
        lo: np.ndarray,
        hi: np.ndarray,
        factorize: Callable[[bytes, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    ) -> None:
        self.data, self.lo, self.hi = data, lo, hi
        self._factorize = factorize
        self._codes: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.lo)

    def of(self, rows: np.ndarray) -> np.ndarray:
        """The paths of the lines at `rows` (an object array of `str`), decoding only those."""
        return _decode_slices(self.data, self.lo[rows], self.hi[rows])

    def codes(self) -> tuple[np.ndarray, np.ndarray]:
        """A code per line, equal for lines naming the same path, and the first line of each code."""
        if self._codes is None:
            self._codes = self._factorize(self.data, self.lo, self.hi)
        return self._codes

    def factorize(self, data: bytes, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Codes for any byte ranges data[lo:hi] of the file (equal for equal bytes) and the first
        range of each code: the reader's method, for parts of the paths."""
        return self._factorize(data, lo, hi)

    def all(self) -> np.ndarray:
        """Every line's path (an object array of `str`), each distinct path decoded once and shared."""
        codes, firsts = self.codes()
        return self.of(firsts)[codes]


def _decode_slices(data: bytes, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The strings data[lo:hi] as an object array, decoded in a few calls (paths hold no newline)."""
    import numpy as np

    names = np.empty(len(lo), dtype=object)
    chunk = 1 << 17  # bounds the temporary joined copy
    for a in range(0, len(lo), chunk):
        rows = zip(lo[a : a + chunk].tolist(), hi[a : a + chunk].tolist(), strict=True)
        joined = b"\n".join([data[first:last] for first, last in rows])
        names[a : a + chunk] = joined.decode("utf-8", "surrogateescape").split("\n")
    return names


class LogColumns(dict):
    """NinjaLog.columns: a dict of numpy columns, some of which (`loaders`: name -> function of the
    rows first, stop, by default all) are not held but made each time they are asked for: the mtimes
    (which only the split into builds reads) and the command hashes (the grouping of a build's lines
    into steps, the steps' frame) are read again from the log's bytes, 16 B a line less through a
    report's analysis."""

    def __init__(self, columns: dict[str, np.ndarray], loaders: dict[str, Callable[..., np.ndarray]]) -> None:
        super().__init__(columns)
        self.loaders = loaders

    def __missing__(self, name: str) -> np.ndarray:
        if name in self.loaders:
            return self.loaders[name]()
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or name in self.loaders

    def part(self, name: str, first: int, stop: int) -> np.ndarray:
        """Column `name` at the rows first:stop, only those read again when it is not held."""
        if super().__contains__(name):
            return self[name][first:stop]
        return self.loaders[name](first, stop)


@dataclass
class NinjaLog:
    """A parsed `.ninja_log`: its version, the valid lines in file order and the damaged ones.

    The lines are held as numpy columns (`columns`: LOG_COLUMNS but `output`, which is `paths`);
    `entries` is the same as a DataFrame with the paths as strings, built when first asked.
    """

    path: str
    version: int
    columns: dict[str, np.ndarray]  # LOG_COLUMNS but output, one value per valid line
    paths: OutputPaths  # the output column
    problems: list[LogProblem] = field(default_factory=list)  # the first MAX_PROBLEMS, by line
    total_lines: int = 0  # lines after the header, valid or not
    problems_total: int = 0  # damaged lines, all of them
    _entries: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.columns["line"])

    @property
    def entries(self) -> pd.DataFrame:
        """One row per valid line (columns LOG_COLUMNS, `output` as `str`), in file order."""
        if self._entries is None:
            import pandas as pd

            columns = {name: self.columns[name] for name in LOG_COLUMNS if name != "output"}
            columns["line"] = columns["line"].astype("int64", copy=False)  # held as int32
            columns["output"] = pd.Series(self.paths.all(), dtype=object, copy=False)
            self._entries = pd.DataFrame(columns, columns=list(LOG_COLUMNS))
            self._entries.attrs["ninja_log_version"] = self.version  # says what mtime means
        return self._entries


@dataclass
class BuildStatement:
    """One `build` line of a manifest: the rule and the bindings buildprof uses."""

    rule: str
    object_dir: str = ""


@dataclass
class NinjaManifest:
    """Build statements by output path, as ninja logs them (paths relative to the build dir)."""

    path: str
    by_output: dict[str, BuildStatement] = field(default_factory=dict)
    skipped_files: list[tuple[str, str]] = field(default_factory=list)  # included files not read: (path, why)
