"""Every document buildprof writes, in one place: the report commands' (model/report.py) and the
history commands' (record, history, trend, compare, ci). docs/formats.md and the JSON schema are
generated from this list (scripts/gen_formats.py)."""

from buildprof.model.ci import CiDocument
from buildprof.model.compare import CompareDocument
from buildprof.model.graph_documents import CriticalPathDocument, WhatIfDocument
from buildprof.model.history_documents import HistoryDocument, RecordDocument, TrendDocument
from buildprof.model.report import DOCUMENTS as REPORT_DOCUMENTS
from buildprof.model.report import (
    FunctionsDocument,
    HeadersDocument,
    ReportDocument,
    TemplatesDocument,
    WhyDocument,
)

ALL_DOCUMENTS = (
    *REPORT_DOCUMENTS,
    CriticalPathDocument,
    WhatIfDocument,
    RecordDocument,
    HistoryDocument,
    TrendDocument,
    CompareDocument,
    CiDocument,
)
AnyDocument = (
    ReportDocument
    | HeadersDocument
    | TemplatesDocument
    | FunctionsDocument
    | WhyDocument
    | CriticalPathDocument
    | WhatIfDocument
    | RecordDocument
    | HistoryDocument
    | TrendDocument
    | CompareDocument
    | CiDocument
)
