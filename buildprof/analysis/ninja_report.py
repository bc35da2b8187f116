"""The ninja part of a report document: builds found in the log, each build's summary, steps, groups.

Everything returned is a record of the report document (buildprof.model.report).
"""

from __future__ import annotations

import pandas as pd

from buildprof.analysis.builds import LogBuilds, split_builds
from buildprof.analysis.classify import classify_steps
from buildprof.analysis.classify_paths import classify_paths
from buildprof.analysis.steps import steps_of_log, summarize_build
from buildprof.analysis.timeline import timeline_of
from buildprof.model.ninja import BuildSpan, NinjaLog, NinjaManifest
from buildprof.model.report import (
    Build,
    BuildSpanRow,
    GroupRow,
    ManifestFacts,
    NinjaLogFacts,
    ProblemRow,
    StepRow,
    UnorderedRow,
)

MAX_PROBLEMS_LISTED = 1000
STEP_FIELDS = (
    "output",
    "n_outputs",
    "start_ms",
    "end_ms",
    "duration_ms",
    "weighted_ms",
    "kind",
    "target",
    "line",
)


def analyse_build(log: NinjaLog, span: BuildSpan, manifest: NinjaManifest | None) -> pd.DataFrame:
    """Classified steps of one build of the log."""
    steps, rows, outputs = steps_of_log(log.columns, log.paths, span)
    if manifest is not None:
        return classify_steps(steps, manifest)
    paths = log.paths
    steps["kind"], steps["target"] = classify_paths(
        paths.data, paths.lo[rows], paths.hi[rows], outputs, paths.factorize
    )
    return steps


def ninja_section(
    log: NinjaLog,
    manifest: NinjaManifest | None,
    top: int,
    all_builds: bool,
) -> tuple[NinjaLogFacts, list[Build], list[tuple[BuildSpan, pd.DataFrame]]]:
    """What the log held, the analysed builds (the last, or all), and their classified steps."""
    found = split_builds(log)
    spans = found.builds if all_builds else found.builds[-1:]
    analysed = [(span, analyse_build(log, span, manifest)) for span in spans]
    return log_facts(log, found), [build_document(span, steps, top) for span, steps in analysed], analysed


def manifest_facts(manifest: NinjaManifest | None) -> ManifestFacts | None:
    return ManifestFacts(path=manifest.path, outputs=len(manifest.by_output)) if manifest else None


def log_facts(log: NinjaLog, found: LogBuilds) -> NinjaLogFacts:
    """What the log held: version, lines, builds, the unordered span and the skipped lines."""
    unordered = None
    if found.unordered is not None:
        u = found.unordered
        unordered = UnorderedRow(
            first_line=u.first_line,
            last_line=u.last_line,
            lines=u.end_row - u.first_row,
            message=(
                f"lines {u.first_line}-{u.last_line} were recompacted by ninja (one line per output, "
                "in arbitrary order): they are not one build and are not analysed"
            ),
        )
    return NinjaLogFacts(
        path=log.path,
        version=log.version,
        lines=log.total_lines,
        valid_lines=len(log),
        builds_found=len(found.builds),
        build_spans=[
            BuildSpanRow(
                index=b.index, first_line=b.first_line, last_line=b.last_line, lines=b.end_row - b.first_row
            )
            for b in found.builds
        ],
        unordered=unordered,
        problems_total=log.problems_total,
        problems=[
            ProblemRow(line=p.line, message=p.message, text=p.text)
            for p in log.problems[:MAX_PROBLEMS_LISTED]
        ],
    )


def build_document(span: BuildSpan, steps: pd.DataFrame, top: int) -> Build:
    """Summary, slowest steps and groups of one build."""
    summary = summarize_build(steps, span)
    return Build(
        index=span.index,
        summary=summary,
        slowest_steps=step_rows(steps.nlargest(top, "duration_ms", keep="first")),
        slowest_weighted=step_rows(steps.nlargest(top, "weighted_ms", keep="first")),
        by_kind=group_rows(steps, "kind", summary.weighted_ms),
        by_target=group_rows(steps, "target", summary.weighted_ms, top),
        targets_total=int(steps["target"].nunique()),
        timeline=timeline_of(steps),
    )


def step_rows(steps: pd.DataFrame) -> list[StepRow]:
    """Step rows of the report (STEP_FIELDS), with plain Python numbers."""
    rows = steps.loc[:, list(STEP_FIELDS)].to_dict("records")
    return [
        StepRow(
            output=str(row["output"]),
            n_outputs=int(row["n_outputs"]),
            start_ms=int(row["start_ms"]),
            end_ms=int(row["end_ms"]),
            duration_ms=int(row["duration_ms"]),
            weighted_ms=round(float(row["weighted_ms"]), 3),
            kind=str(row["kind"]),
            target=str(row["target"]),
            line=int(row["line"]),
        )
        for row in rows
    ]


def group_rows(
    steps: pd.DataFrame, by: str, weighted_total: float, limit: int | None = None
) -> list[GroupRow]:
    """Steps, summed and weighted time per value of `by`, largest weighted time first (`limit` rows)."""
    grouped = steps.groupby(by, sort=False).agg(
        steps=("step", "size"),
        duration_ms=("duration_ms", "sum"),
        weighted_ms=("weighted_ms", "sum"),
        max_ms=("duration_ms", "max"),
    )
    grouped = grouped.sort_values(["weighted_ms", "duration_ms"], ascending=False, kind="stable")
    grouped = grouped.iloc[:limit]
    return [
        GroupRow(
            name=str(name),
            steps=int(n),
            duration_ms=int(duration),
            weighted_ms=round(float(weighted), 3),
            weighted_share=round(float(weighted) / weighted_total, 4) if weighted_total else 0.0,
            max_ms=int(longest),
        )
        for name, n, duration, weighted, longest in zip(
            grouped.index.tolist(),
            grouped["steps"].tolist(),
            grouped["duration_ms"].tolist(),
            grouped["weighted_ms"].tolist(),
            grouped["max_ms"].tolist(),
            strict=True,
        )
    ]
