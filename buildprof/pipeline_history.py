"""From a build folder or the history store to the documents of the history commands: `record`,
`history` and `trend` (the wiring, as buildprof.pipeline is for the report commands).

Recording gathers everything first (the build's costs from its folder, the commit from git, the
machine), then stores it in one transaction: a failure at any point leaves the history as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from buildprof import __version__
from buildprof.errors import InputError
from buildprof.model.history import RecordedBuild, TrendSeries
from buildprof.model.history_documents import HistoryDocument, HistoryRow, RecordDocument, TrendDocument
from buildprof.pipeline import CostsRead, ReportOptions, read_costs

DEFAULT_LABEL = "default"
TOTAL_METRICS = {"wall": "Wall time", "cpu": "CPU time (sum of steps)", "trace": "Traced compile time"}


def generator() -> str:
    return f"buildprof {__version__}"


def recorded_build(
    build_dir: str,
    label: str = DEFAULT_LABEL,
    overrides=None,
    repo: str | None = None,
    options: ReportOptions | None = None,
) -> tuple[RecordedBuild, CostsRead]:
    """Everything `record` stores about the last build of `build_dir` (nothing stored yet), and
    what was read to get it (damaged or skipped inputs, for stderr)."""
    from buildprof.git import commit_info, machine_info, source_dir_of

    read = read_costs(build_dir, options)
    source = Path(repo) if repo else source_dir_of(build_dir)
    build = RecordedBuild(
        commit=commit_info(source, overrides),
        label=label,
        machine=machine_info(),
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        generator=generator(),
        costs=read.costs,
    )
    return build, read


def record_document(
    build_dir: str,
    db: str | None = None,
    label: str = DEFAULT_LABEL,
    overrides=None,
    repo: str | None = None,
    replace: bool = False,
    options: ReportOptions | None = None,
) -> RecordDocument:
    """`record`: store the last build of `build_dir` in the history and say what was stored."""
    from buildprof.history import open_history

    build, read = recorded_build(build_dir, label, overrides, repo, options)
    with open_history(db) as history:
        replaced = replace and history.exists(build)
        build.id = history.record(build, replace=replace)
        location = history.location
    return RecordDocument(
        generator=generator(),
        build_dir=build.costs.build_dir,
        skipped_inputs=read.skipped_inputs,
        history=location,
        replaced=replaced,
        build=build,
        ninja_log=read.ninja_log,
        trace_input=read.trace_input,
    )


def history_document(
    db: str | None = None, label: str | None = None, branch: str | None = None, limit: int | None = None
) -> HistoryDocument:
    """`history`: the recorded builds (newest commit first), optionally of one label or branch."""
    from buildprof.history import open_history

    with open_history(db) as history:
        rows = history.builds(label=label, branch=branch)
        location = history.location
    listed = [history_row(r) for r in rows]
    return HistoryDocument(
        generator=generator(),
        build_dir="",
        history=location,
        label=label,
        branch=branch,
        total=len(listed),
        builds=listed[:limit] if limit else listed,
    )


def history_row(build: RecordedBuild) -> HistoryRow:
    """A recorded build as one row of a listing."""
    totals = build.costs.totals
    return HistoryRow(
        id=build.id or 0,
        commit=build.commit.sha,
        branch=build.commit.branch,
        commit_time=build.commit.commit_time,
        subject=build.commit.subject,
        label=build.label,
        host=build.machine.host,
        recorded_at=build.recorded_at,
        wall_ms=totals.wall_ms,
        cpu_ms=totals.cpu_ms,
        trace_ms=totals.trace_ms,
        tus=totals.tus,
    )


def trend_document(
    metrics: list[str], db: str | None = None, label: str = DEFAULT_LABEL, host: str | None = None
) -> TrendDocument:
    """`trend`: each metric over the label's recorded builds, with its noise and change points."""
    from buildprof.analysis.changepoints import trend_series
    from buildprof.history import open_history

    with open_history(db) as history:
        series: list[TrendSeries] = []
        for metric in metrics:
            points = history.series(metric, label=label, host=host)
            series.append(trend_series(metric, metric_title(metric), points))
        location = history.location
    if not any(s.points for s in series):
        raise InputError(f"no recorded build with label {label!r}", location)
    return TrendDocument(generator=generator(), build_dir="", history=location, label=label, series=series)


def metric_title(metric: str) -> str:
    """A metric's name in words: "Wall time", "Target absl_strings", "Header absl/base/config.h"."""
    if metric in TOTAL_METRICS:
        return TOTAL_METRICS[metric]
    kind, _, name = metric.partition(":")
    return f"{kind.capitalize()} {name}"
