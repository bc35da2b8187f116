"""What the ninja readers give the analysis: the DataFrame columns of log lines and steps, and spans.

Times read from ninja are integer milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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


@dataclass
class NinjaLog:
    """A parsed `.ninja_log`: its version, the valid lines in file order and the damaged ones."""

    path: str
    version: int
    entries: pd.DataFrame  # columns LOG_COLUMNS, one row per valid line, in file order
    problems: list[LogProblem] = field(default_factory=list)  # the first MAX_PROBLEMS, by line
    total_lines: int = 0  # lines after the header, valid or not
    problems_total: int = 0  # damaged lines, all of them


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
