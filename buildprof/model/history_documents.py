"""The documents of the history commands: `record`, `history` and `trend` (compare and ci have
their own modules). Like every document they are msgspec Structs tagged by their command; the JSON
output is the document itself."""

from typing import Annotated

from msgspec import field

from buildprof.model.history import RecordedBuild, TrendSeries
from buildprof.model.records import Record, doc
from buildprof.model.report import Document, NinjaLogFacts
from buildprof.model.trace_report import TraceInput


class HistoryRow(Record, kw_only=True):
    """One recorded build in a listing: what it was built from, and its headline numbers."""

    id: int
    commit: Annotated[str | None, doc("full commit id")]
    branch: str | None
    commit_time: Annotated[str | None, doc("committer date, ISO 8601")]
    subject: str | None
    label: str
    host: str
    recorded_at: str
    wall_ms: float | None
    cpu_ms: float | None
    trace_ms: float | None
    tus: int | None


class RecordDocument(Document, tag="record", kw_only=True):
    """`buildprof record`: the build that was stored, and where."""

    history: Annotated[str, doc("the history store (an SQLite file, or a PostgreSQL URL without password)")]
    replaced: Annotated[bool, doc("an earlier record of the same commit, label and machine was replaced")] = (
        False
    )
    build: RecordedBuild
    ninja_log: Annotated[NinjaLogFacts | None, doc("the log read (its damaged lines); null without one")] = (
        None
    )
    trace_input: Annotated[TraceInput | None, doc("the traces read; null without any")] = None


class HistoryDocument(Document, tag="history", kw_only=True):
    """`buildprof history`: the recorded builds, newest commit first."""

    history: str
    label: Annotated[str | None, doc("only this configuration (--label)")] = None
    branch: Annotated[str | None, doc("only this branch (--branch)")] = None
    total: Annotated[int, doc("builds that matched, before --limit")]
    builds: list[HistoryRow] = field(default_factory=list)


class TrendDocument(Document, tag="trend", kw_only=True):
    """`buildprof trend`: measures over the recorded builds of one label, oldest commit first."""

    history: str
    label: str
    series: list[TrendSeries] = field(default_factory=list)
