"""Connections to the history and transactions that survive other writers.

Both backends go through one SQLAlchemy Core engine. SQLite runs in WAL mode (readers never wait for
the writer) with a busy timeout, and a write transaction starts with BEGIN IMMEDIATE, so two writers
queue instead of failing on a lock upgrade. Whatever still fails because another process held the
database (SQLITE_BUSY, SQLITE_LOCKED; PostgreSQL's serialization failure and deadlock, by SQLSTATE) is
retried with a growing, jittered pause, so "database is locked" never reaches a user: after
`PATIENCE_S` a StoreError says the history stayed busy. Errors are told apart by code, never by text.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from buildprof.errors import StoreError
from buildprof.history.location import MEMORY, Location

T = TypeVar("T")
BUSY_TIMEOUT_S = 10.0  # SQLite waits this long for a lock before it answers SQLITE_BUSY
PATIENCE_S = 180.0  # then transactions are retried for this long in all
_SQLITE_RETRY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED (primary codes: extended code & 0xff)
_SQLITE_NOTADB, _SQLITE_CANTOPEN = 26, 14
_PG_RETRY = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_WRITE = "buildprof_write"  # execution option: this transaction will write


def make_engine(location: Location) -> Engine:
    """An engine for the history at `location` (SQLite: WAL, busy timeout, BEGIN IMMEDIATE for
    writers; PostgreSQL: psycopg 3, which must be installed)."""
    if location.backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise StoreError(
                "PostgreSQL needs psycopg 3: pip install 'buildprof[postgresql]'", location.shown
            ) from None
        return create_engine(location.url, pool_pre_ping=True)
    path = location.sqlite_path or MEMORY
    if path != MEMORY:
        parent = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create its folder: {exc.strerror}", location.shown) from None
    url = URL.create("sqlite+pysqlite", database=path)
    options = {"poolclass": StaticPool} if path == MEMORY else {}
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S}, **options)
    event.listen(engine, "connect", _sqlite_connected)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connected(dbapi_connection, connection_record) -> None:
    """Take transactions out of the sqlite3 module's hands (SQLAlchemy emits BEGIN, `_sqlite_begin`),
    turn on foreign keys, and sync at checkpoints only (enough in WAL mode: a crash loses no commit)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def use_wal(engine: Engine, where: str) -> None:
    """Put an SQLite history in WAL mode (it stays so in the file): done once the file is known to be
    a history or empty, so that opening someone else's database by mistake leaves it untouched."""
    if engine.dialect.name != "sqlite":
        return

    def switch() -> None:
        """Switch the journal mode on a connection outside any transaction."""
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA journal_mode=WAL")  # autocommit: outside a transaction
        finally:
            raw.close()

    retrying(where, switch)


def _sqlite_begin(conn: Connection) -> None:
    """BEGIN IMMEDIATE for a writer (it takes the write lock now, waiting its turn), else BEGIN."""
    mode = "IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "DEFERRED"
    conn.exec_driver_sql(f"BEGIN {mode}")


def run_transaction(engine: Engine, where: str, work: Callable[[Connection], T], write: bool) -> T:
    """`work(conn)` in one transaction, committed if it returns, rolled back if it raises; retried
    from the start while another writer holds the database (module docstring). Database failures
    become a StoreError naming `where`; buildprof's own errors pass through."""

    def attempt() -> T:
        """One try: a connection, a transaction, the work."""
        with engine.connect() as conn:
            if write:
                conn.execution_options(**{_WRITE: True})
            elif engine.dialect.name == "postgresql":  # one snapshot for every query of a read
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return work(conn)

    return retrying(where, attempt)


def retrying(where: str, work: Callable[[], T]) -> T:
    """`work()`, called again after a pause while it fails because another process holds the
    database; other database failures become a StoreError naming `where`."""
    deadline = time.monotonic() + PATIENCE_S
    attempt = 0
    while True:
        try:
            return work()
        except DBAPIError as exc:
            if not is_transient(exc):
                raise store_error(exc, where) from None
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"the history stayed busy for {PATIENCE_S:.0f} s: another process keeps it locked",
                    where,
                ) from None
            attempt += 1
            time.sleep(min(0.5, 0.002 * 2**attempt) * random.uniform(0.5, 1.5))


def is_transient(exc: DBAPIError) -> bool:
    """Whether `exc` means another writer got in the way (retry), by the driver's error code."""
    orig = exc.orig
    code = getattr(orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_RETRY
    return getattr(orig, "sqlstate", None) in _PG_RETRY


def sqlite_code(exc: DBAPIError) -> int | None:
    """SQLite's primary result code of `exc`, None if it is not an SQLite error."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def sqlstate(exc: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of `exc`, None if it has none."""
    return getattr(exc.orig, "sqlstate", None)


def store_error(exc: DBAPIError, where: str) -> StoreError:
    """A one-line StoreError for a database failure (the driver's own words, first line only)."""
    code = sqlite_code(exc)
    if code == _SQLITE_NOTADB:
        return StoreError("not a buildprof history (the file is not an SQLite database)", where)
    if code == _SQLITE_CANTOPEN:
        return StoreError("cannot open the database file (missing folder or no permission)", where)
    words = str(exc.orig).strip().splitlines()
    detail = words[0] if words else type(exc.orig).__name__
    return StoreError(f"database error: {detail}", where)
