"""The history's tables as they are after every migration (buildprof.history.migrations), for queries.

Every text column goes through `SafeText`, so any Python string round-trips (buildprof.history.text).
Names are kept once in a name table per kind and referred to by id; a cost row is keyed by
(name_id, build_id), so one name's rows across all builds are one index range, and indexed by build
(migration 2), so one build's rows are another.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

from buildprof.history.text import from_stored, to_stored


class SafeText(TypeDecorator[str]):
    """TEXT that takes and gives back any Python string (lone surrogates and NUL included)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """The stored form of a bound value."""
        return None if value is None else to_stored(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """The string a stored value stands for."""
        return None if value is None else from_stored(value)


TOTALS_FLOAT = ("wall", "busy", "cpu", "compile", "link", "trace", "frontend", "backend", "parse")
TOTALS_INT = ("steps", "tus")
KINDS = ("target", "header", "template")
# The measures of each kind's cost rows, in the order of its record's fields after the name.
MEASURES = {
    "target": (("steps", Integer), ("cpu_ms", Double), ("weighted_ms", Double), ("trace_ms", Double)),
    "header": (("incl_ms", Double), ("self_ms", Double), ("count", Integer), ("tus", Integer)),
    "template": (("incl_ms", Double), ("count", Integer), ("tus", Integer)),
}

metadata = MetaData()

builds = Table(
    "builds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("commit_sha", SafeText),
    Column("commit_parents", SafeText, nullable=False),
    Column("branch", SafeText),
    Column("commit_time", SafeText),
    Column("commit_epoch", Double),
    Column("subject", SafeText),
    Column("dirty", Boolean),
    Column("shallow", Boolean),
    Column("repository", SafeText),
    Column("commit_source", SafeText, nullable=False),
    Column("commit_note", SafeText),
    Column("label", SafeText, nullable=False),
    Column("host", SafeText, nullable=False),
    Column("cores", Integer, nullable=False),
    Column("system", SafeText, nullable=False),
    Column("recorded_at", SafeText, nullable=False),
    Column("recorded_epoch", Double),
    Column("generator", SafeText, nullable=False),
    Column("build_dir", SafeText, nullable=False),
    Column("log_build", Integer),
    *(Column(f"{name}_ms", Double) for name in ("wall", "busy", "cpu")),
    Column("steps", Integer),
    *(Column(f"{name}_ms", Double) for name in ("compile", "link")),
    Column("tus", Integer),
    *(Column(f"{name}_ms", Double) for name in ("trace", "frontend", "backend", "parse")),
    UniqueConstraint("commit_sha", "label", "host", name="builds_commit_label_host"),
    sqlite_autoincrement=True,
)

names = {
    kind: Table(
        f"{kind}_names",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("key", LargeBinary(16), nullable=False, unique=True),
        Column("name", SafeText, nullable=False),
    )
    for kind in KINDS
}

costs = {
    kind: Table(
        f"{kind}_costs",
        metadata,
        Column("name_id", Integer, ForeignKey(f"{kind}_names.id"), nullable=False),
        Column("build_id", Integer, ForeignKey("builds.id"), nullable=False),
        Column("position", Integer, nullable=False),
        *(Column(name, type_, nullable=False) for name, type_ in MEASURES[kind]),
        PrimaryKeyConstraint("name_id", "build_id", name=f"{kind}_costs_pk"),
        Index(f"{kind}_costs_build", "build_id"),
        sqlite_with_rowid=False,
    )
    for kind in KINDS
}
