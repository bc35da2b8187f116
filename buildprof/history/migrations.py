"""The history's schema, as ordered, named migrations recorded in the database itself.

Each migration is a function of an open transaction, frozen once released: a later change to the
schema is a new migration at the end of `MIGRATIONS`, never an edit of an old one (the tables the
queries use are declared again, current, in buildprof.history.schema; a test checks they agree).
`buildprof_migrations` lists the applied ones (number, name, time). Opening a history applies the
missing ones in one transaction; a history with a migration this code does not know is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
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
    inspect,
    select,
    text,
)

from buildprof.errors import StoreError

MIGRATIONS_TABLE = Table(
    "buildprof_migrations",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
    Column("applied_at", Text, nullable=False),
)
_PG_LOCK = 0x6275696C6470726F  # pg_advisory_xact_lock key ("buildpro"): one migrator at a time


def _m001_initial(conn: Connection) -> None:
    """Builds (commit, label, machine, totals), name tables, and the per-build cost rows."""
    meta = MetaData()
    Table(
        "builds",
        meta,
        Column("id", Integer, primary_key=True),
        Column("commit_sha", Text),
        Column("commit_parents", Text, nullable=False),  # JSON array
        Column("branch", Text),
        Column("commit_time", Text),
        Column("commit_epoch", Double),  # commit_time in seconds since 1970 UTC, for ordering
        Column("subject", Text),
        Column("dirty", Boolean),
        Column("shallow", Boolean),
        Column("repository", Text),
        Column("commit_source", Text, nullable=False),
        Column("commit_note", Text),
        Column("label", Text, nullable=False),
        Column("host", Text, nullable=False),
        Column("cores", Integer, nullable=False),
        Column("system", Text, nullable=False),
        Column("recorded_at", Text, nullable=False),
        Column("recorded_epoch", Double),
        Column("generator", Text, nullable=False),
        Column("build_dir", Text, nullable=False),
        Column("log_build", Integer),
        *(Column(f"{name}_ms", Double) for name in ("wall", "busy", "cpu")),
        Column("steps", Integer),
        *(Column(f"{name}_ms", Double) for name in ("compile", "link")),
        Column("tus", Integer),
        *(Column(f"{name}_ms", Double) for name in ("trace", "frontend", "backend", "parse")),
        UniqueConstraint("commit_sha", "label", "host", name="builds_commit_label_host"),
        sqlite_autoincrement=True,  # ids are never reused, even after a replace deletes the newest
    )
    for kind in ("target", "header", "template"):
        Table(
            f"{kind}_names",
            meta,
            Column("id", Integer, primary_key=True),
            Column("key", LargeBinary(16), nullable=False, unique=True),
            Column("name", Text, nullable=False),
        )
    measures = {
        "target": [("steps", Integer), ("cpu_ms", Double), ("weighted_ms", Double), ("trace_ms", Double)],
        "header": [("incl_ms", Double), ("self_ms", Double), ("count", Integer), ("tus", Integer)],
        "template": [("incl_ms", Double), ("count", Integer), ("tus", Integer)],
    }
    for kind, columns in measures.items():
        Table(
            f"{kind}_costs",
            meta,
            Column("name_id", Integer, ForeignKey(f"{kind}_names.id"), nullable=False),
            Column("build_id", Integer, ForeignKey("builds.id"), nullable=False),
            Column("position", Integer, nullable=False),  # place in the build's list
            *(Column(name, type_, nullable=False) for name, type_ in columns),
            PrimaryKeyConstraint("name_id", "build_id", name=f"{kind}_costs_pk"),
            sqlite_with_rowid=False,  # the rows of one name are stored together: a trend is one range
        )
    meta.create_all(conn)


def _m002_build_indexes(conn: Connection) -> None:
    """An index by build on each cost table. Schema 1 keyed cost rows by (name_id, build_id) only,
    which makes a trend one range but loading, replacing or deleting one build a scan of every row:
    at 10,000 builds x 2,000 targets, 1.2 s to load a build and 1.8 s to replace one on SQLite
    (docs/benchmarks.md); PostgreSQL also checks the foreign keys of a deleted build that way."""
    meta = MetaData()
    for kind in ("target", "header", "template"):
        table = Table(f"{kind}_costs", meta, Column("build_id", Integer))
        Index(f"{kind}_costs_build", table.c.build_id).create(conn)


Migration = tuple[str, Callable[[Connection], None]]
MIGRATIONS: tuple[Migration, ...] = (
    ("initial schema", _m001_initial),
    ("cost rows indexed by build", _m002_build_indexes),
)
SCHEMA_VERSION = len(MIGRATIONS)


def applied_migrations(conn: Connection) -> list[tuple[int, str]] | None:
    """The migrations recorded in the database, in order; None when it has no migration table."""
    if not inspect(conn).has_table(MIGRATIONS_TABLE.name):
        return None
    rows = conn.execute(select(MIGRATIONS_TABLE.c.id, MIGRATIONS_TABLE.c.name).order_by("id"))
    return [(int(i), str(n)) for i, n in rows]


def is_current(applied: list[tuple[int, str]] | None, where: str) -> bool:
    """Whether `applied` is exactly this code's migrations; a StoreError when the database was written
    by a newer buildprof (a migration past ours) or by a different one (a name that is not ours)."""
    if applied is None:
        return False
    for number, name in applied:
        if number > len(MIGRATIONS):
            raise StoreError(
                f"the history's schema is version {applied[-1][0]} (migration {applied[-1][1]!r}), newer "
                f"than version {SCHEMA_VERSION} that this buildprof knows: upgrade buildprof to use it",
                where,
            )
        if MIGRATIONS[number - 1][0] != name:
            raise StoreError(
                f"the history's migration {number} is {name!r}, which this buildprof does not know "
                f"(it expects {MIGRATIONS[number - 1][0]!r}): it was written by another program",
                where,
            )
    return [n for n, _ in applied] == list(range(1, len(MIGRATIONS) + 1))


def upgrade(conn: Connection, where: str) -> list[str]:
    """Apply the missing migrations in this (write) transaction, in order; the names applied.

    On PostgreSQL an advisory lock makes concurrent openers wait for one another; on SQLite the
    write transaction (BEGIN IMMEDIATE) does the same.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    applied = applied_migrations(conn)
    if is_current(applied, where):
        return []
    if applied is None:
        refuse_foreign(conn, where)
        MIGRATIONS_TABLE.create(conn)
        applied = []
    done = {number for number, _ in applied}
    names = []
    for number, (name, migrate) in enumerate(MIGRATIONS, start=1):
        if number in done:
            continue
        migrate(conn)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        conn.execute(MIGRATIONS_TABLE.insert().values(id=number, name=name, applied_at=now))
        names.append(name)
    return names


def refuse_foreign(conn: Connection, where: str) -> None:
    """Refuse to create the history in an SQLite file that already holds other tables (a wrong --db
    must not be written into), or in a PostgreSQL schema that holds tables of the same names."""
    tables = set(inspect(conn).get_table_names())
    ours = {"builds", *(f"{k}_{t}" for k in ("target", "header", "template") for t in ("names", "costs"))}
    clash = sorted(tables & ours) if conn.dialect.name == "postgresql" else sorted(tables)
    if clash:
        shown = ", ".join(clash[:5]) + (", ..." if len(clash) > 5 else "")
        raise StoreError(f"not a buildprof history: it holds other tables ({shown})", where)
