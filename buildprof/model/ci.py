"""The document of `buildprof ci`: the build it recorded, the baseline it was compared with (and how
that baseline was chosen), the verdict, what moved, and the artifacts it wrote."""

from typing import Annotated, Literal

from msgspec import field

from buildprof.model.compare import BuildComparison
from buildprof.model.history_documents import HistoryRow
from buildprof.model.records import Record, doc
from buildprof.model.regression import Verdict
from buildprof.model.report import Document, NinjaLogFacts
from buildprof.model.trace_report import TraceInput


class Baseline(Record, kw_only=True):
    """The recorded build a change is judged against."""

    build: Annotated[HistoryRow | None, doc("null when the history holds no earlier build to compare with")]
    rule: Annotated[str, doc("how it was chosen, in words (merge-base, nearest recorded ancestor, ...)")]


class CiDocument(Document, tag="ci", kw_only=True):
    """`buildprof ci`: record, compare with the baseline, judge; exit 1 when the change regressed."""

    history: Annotated[str, doc("the history store the build was recorded in")]
    status: Annotated[
        Literal["passed", "regressed", "no-baseline"], doc("no-baseline passes: nothing to compare with yet")
    ]
    build: Annotated[HistoryRow, doc("the build recorded by this run")]
    commit_note: Annotated[str | None, doc("what could not be told about its commit, and why")] = None
    baseline: Baseline
    budgets: Annotated[str, doc("the --fail-on budgets applied")]
    noise_builds: Annotated[int, doc("earlier builds of the label the noise was measured on")] = 0
    verdict: Annotated[Verdict | None, doc("null without a baseline")] = None
    comparison: Annotated[BuildComparison | None, doc("null without a baseline")] = None
    artifacts: Annotated[list[str], doc("files written to --out")] = field(default_factory=list)
    ninja_log: Annotated[NinjaLogFacts | None, doc("the log read (its damaged lines); null without one")] = (
        None
    )
    trace_input: Annotated[TraceInput | None, doc("the traces read; null without any")] = None
