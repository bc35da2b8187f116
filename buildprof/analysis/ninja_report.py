"""The ninja part of a report document: builds found in the log, each build's summary, steps, groups.

Everything returned is a record of the report document (buildprof.model.report).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from buildprof.analysis.build_steps import BuildSteps, build_steps
from buildprof.analysis.builds import LogBuilds, split_builds
from buildprof.analysis.step_tables import group_order, group_sums, largest
from buildprof.analysis.steps import summarize_build
from buildprof.analysis.timeline import timeline_of
from buildprof.gc_pause import return_free_memory
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

if TYPE_CHECKING:
    import pandas as pd

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
    """Classified steps of one build of the log, as a DataFrame (STEP_COLUMNS)."""
    return build_steps(log, span, manifest).frame()


def ninja_section(
    log: NinjaLog,
    manifest: NinjaManifest | None,
    top: int,
    all_builds: bool,
) -> tuple[NinjaLogFacts, list[Build], list[tuple[BuildSpan, BuildSteps]]]:
    """What the log held, the analysed builds (the last, or all), and their classified steps."""
    found = split_builds(log)
    spans = found.builds if all_builds else found.builds[-1:]
    analysed = [(span, build_steps(log, span, manifest, coded=True)) for span in spans]
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


def build_document(span: BuildSpan, steps: BuildSteps, top: int) -> Build:
    """Summary, slowest steps and groups of one build."""
    summary = summarize_build(steps, span, steps.busy_ms)
    timeline = timeline_of(steps)  # before the groups' codes exist: its lanes are a build's peak memory
    return_free_memory()  # the free pages of the timeline's temporaries (28 MB a million steps)
    kind_codes, kinds = steps.codes("kind")
    target_codes, targets = steps.codes("target")
    return Build(
        index=span.index,
        summary=summary,
        slowest_steps=step_rows(steps, largest(steps["duration_ms"], top)),
        slowest_weighted=step_rows(steps, largest(steps["weighted_ms"], top)),
        by_kind=group_rows(steps, kind_codes, kinds, summary.weighted_ms),
        by_target=group_rows(steps, target_codes, targets, summary.weighted_ms, top),
        targets_total=len(targets),
        timeline=timeline,
    )


def step_rows(steps: BuildSteps, rows: np.ndarray) -> list[StepRow]:
    """The report's rows of the steps at `rows` (STEP_FIELDS), with plain Python numbers."""
    columns = {name: steps.at(name, rows).tolist() for name in STEP_FIELDS if name != "output"}
    outputs = steps.outputs[rows].tolist()
    return [
        StepRow(
            output=str(outputs[k]),
            n_outputs=int(columns["n_outputs"][k]),
            start_ms=int(columns["start_ms"][k]),
            end_ms=int(columns["end_ms"][k]),
            duration_ms=int(columns["duration_ms"][k]),
            weighted_ms=round(float(columns["weighted_ms"][k]), 3),
            kind=str(columns["kind"][k]),
            target=str(columns["target"][k]),
            line=int(columns["line"][k]),
        )
        for k in range(len(rows))
    ]


def group_rows(
    steps: BuildSteps, codes: np.ndarray, names: np.ndarray, weighted_total: float, limit: int | None = None
) -> list[GroupRow]:
    """Steps, summed and weighted time per group (`codes` into `names`), largest weighted time first
    (`limit` rows)."""
    count, duration, weighted, longest = group_sums(
        codes, len(names), steps["duration_ms"], steps["weighted_ms"]
    )
    order = group_order(weighted, duration)[:limit]
    return [
        GroupRow(
            name=str(name),
            steps=int(n),
            duration_ms=int(total),
            weighted_ms=round(float(time), 3),
            weighted_share=round(float(time) / weighted_total, 4) if weighted_total else 0.0,
            max_ms=int(most),
        )
        for name, n, total, time, most in zip(
            names[order].tolist(),
            count[order].tolist(),
            duration[order].tolist(),
            weighted[order].tolist(),
            longest[order].tolist(),
            strict=True,
        )
    ]
