"""The history store: recorded builds kept in SQLite or PostgreSQL, written one build per transaction.

`History` is what `buildprof.history.open_history` returns. Writing is `record` (one build, all of
it or nothing); reading is `load` (one build, everything back), `builds` (a listing with totals),
`find` (a commit prefix or build id), `series` (a trend) and the baseline searches `latest_before` and
`by_commits` (buildprof.history.queries).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy.exc import IntegrityError

from buildprof.errors import DuplicateBuildError, InputError, StoreError
from buildprof.history import queries
from buildprof.history.codec import NAME_FIELD, build_of_row, build_values, cost_items, cost_of_row, cost_row
from buildprof.history.engine import make_engine, run_transaction, sqlite_code, sqlstate, use_wal
from buildprof.history.location import Location
from buildprof.history.migrations import applied_migrations, is_current, refuse_foreign, upgrade
from buildprof.history.schema import KINDS, builds, costs, names
from buildprof.history.text import name_key, to_stored
from buildprof.model.history import RecordedBuild, TrendPoint

PAUSE_ENV = "BUILDPROF_TEST_PAUSE_BEFORE_COMMIT"  # test hook: see History.record
KEY_BYTES_MAX = 600  # stored bytes of a commit id, label or host (together they form a unique key)
_CHUNK = 500  # values per IN (...) list
_RACES = 5  # times a record that lost a race for its (commit, label, host) is started again


class _LostRace(Exception):
    """Another writer stored the same (commit, label, host) between our check and our insert."""


class History:
    """A build history (SQLite file or PostgreSQL database), upgraded to this code's schema on open.

    Use it as a context manager, or call `close`. `location` is how messages name it (a path, or the
    URL without its password).
    """

    def __init__(self, location: Location) -> None:
        """Open `location`: its engine, then its schema checked and upgraded (`upgraded` lists what ran)."""
        self.location = location.shown
        self.backend = location.backend
        self.engine = make_engine(location)
        try:
            applied = self._read(self._applied)
            use_wal(self.engine, self.location)
            self.upgraded: list[str] = []
            if not is_current(applied, self.location):
                self.upgraded = self._write(lambda conn: upgrade(conn, self.location))
        except BaseException:
            self.engine.dispose()
            raise

    def _applied(self, conn: Connection) -> list[tuple[int, str]] | None:
        """The migrations applied; with none, a refusal if the database holds other tables (one
        snapshot: another process may be creating the history meanwhile)."""
        applied = applied_migrations(conn)
        if applied is None:
            refuse_foreign(conn, self.location)
        return applied

    def close(self) -> None:
        """Close every connection to the database."""
        self.engine.dispose()

    def __enter__(self) -> History:
        """The history itself, closed on leaving the block."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the history."""
        self.close()

    def _read(self, work):
        """`work(conn)` in a read transaction (retried while the database is busy)."""
        return run_transaction(self.engine, self.location, work, write=False)

    def _write(self, work):
        """`work(conn)` in a write transaction (retried while the database is busy)."""
        return run_transaction(self.engine, self.location, work, write=True)

    # ---- writing

    def record(self, build: RecordedBuild, replace: bool = False) -> int:
        """Store `build` in one transaction and return its new id (`build.id` is not read).

        A build of the same commit, label and machine host is refused with a DuplicateBuildError,
        unless `replace`, which deletes the old one in the same transaction. Builds without a commit
        id are never duplicates. Test hook: with BUILDPROF_TEST_PAUSE_BEFORE_COMMIT set (seconds),
        the transaction writes a line to stderr and sleeps that long just before its COMMIT, so that
        a test can kill the process while the transaction is open.
        """
        _check_keys(build)
        listed = {kind: _names_of(build, kind) for kind in KINDS}
        for _ in range(_RACES):
            try:
                return self._write(lambda conn: self._record(conn, build, listed, replace))
            except _LostRace:
                continue
        raise StoreError("another process keeps storing the same build at the same time", self.location)

    def _record(self, conn: Connection, build: RecordedBuild, listed: dict, replace: bool) -> int:
        """The transaction of `record`: the duplicate check, the build row, its names and cost rows."""
        existing = _same_build(conn, build)
        if existing is not None and not replace:
            raise DuplicateBuildError(
                f"build #{existing} already records commit {build.commit.sha} with label "
                f"{build.label!r} on {build.machine.host}: replace it, or record under another label",
                self.location,
                existing,
            )
        if existing is not None:
            delete_build(conn, existing)
        try:
            build_id = int(
                conn.execute(builds.insert().values(**build_values(build))).inserted_primary_key[0]
            )
        except IntegrityError as exc:
            if sqlstate(exc) == "23505" or sqlite_code(exc) == 19:  # unique violation: lost a race
                raise _LostRace from None
            raise
        for kind in KINDS:
            ids = _name_ids(conn, names[kind], listed[kind])
            items = cost_items(build.costs, kind)
            rows = [
                cost_row(kind, item, ids[key], build_id, position)
                for position, (item, (key, _)) in enumerate(zip(items, listed[kind], strict=True))
            ]
            if rows:
                conn.execute(costs[kind].insert(), rows)
        _pause_before_commit()
        return build_id

    def exists(self, build: RecordedBuild) -> bool:
        """Whether the history holds a build of `build`'s commit, label and host (never without a commit)."""
        return self._read(lambda conn: _same_build(conn, build) is not None)

    # ---- reading

    def load(self, build_id: int) -> RecordedBuild:
        """Everything recorded of build `build_id` (equal to what was recorded, with its id set)."""
        return self._read(lambda conn: _load(conn, build_id, self.location))

    def builds(
        self,
        label: str | None = None,
        branch: str | None = None,
        host: str | None = None,
        limit: int | None = None,
    ) -> list[RecordedBuild]:
        """The recorded builds, newest commit first (then newest recorded); each with its totals only
        (`costs.targets`, `headers` and `templates` are empty: `load` gives them)."""
        return self._read(lambda conn: queries.listing(conn, label, branch, host, limit))

    def find(self, ref: str, label: str | None = None) -> RecordedBuild:
        """The build `ref` names: `#N` or N (a build id), or a commit id or its prefix (at least 4 hex
        digits); totals only. A StoreError when none matches or the ref is ambiguous."""
        return self._read(lambda conn: queries.find(conn, ref, label, self.location))

    def series(self, metric: str, label: str, host: str | None = None) -> list[TrendPoint]:
        """One value per recorded build of `label` (and `host`), oldest commit first: metric "wall",
        "cpu", "trace" (or another total: "busy", "compile", "link", "frontend", "backend", "parse"),
        "target:NAME" (its CPU time), "header:PATH" or "template:NAME" (inclusive time); the value is
        None for a build without that total, target, header or template."""
        return self._read(lambda conn: queries.series(conn, metric, label, host))

    def latest_before(
        self, commit_time: str, branch: str | None, label: str, host: str | None = None
    ) -> RecordedBuild | None:
        """The newest build of `label` (on `branch`, and `host`, when given) whose commit is older than
        `commit_time` (ISO 8601); None if there is none. Totals only."""
        return self._read(lambda conn: queries.latest_before(conn, commit_time, branch, label, host))

    def by_commits(self, shas: Sequence[str], label: str, host: str | None = None) -> list[RecordedBuild]:
        """The builds of `label` made from any of the commits `shas` (full ids), in the order of
        `shas`, newest recorded first for one commit. Totals only."""
        return self._read(lambda conn: queries.by_commits(conn, list(shas), label, host))


def _check_keys(build: RecordedBuild) -> None:
    """Refuse a commit id, label or host too long to be part of a unique key on every backend."""
    for what, value in (
        ("commit id", build.commit.sha),
        ("label", build.label),
        ("host", build.machine.host),
    ):
        if value is not None and len(to_stored(value).encode("utf-8")) > KEY_BYTES_MAX:
            raise InputError(f"the {what} is too long to record (at most {KEY_BYTES_MAX} bytes)")


def _names_of(build: RecordedBuild, kind: str) -> list[tuple[bytes, str]]:
    """(key, name) of each cost record of one kind, in order; an InputError for a name listed twice."""
    field = NAME_FIELD[kind]
    listed = [getattr(item, field) for item in cost_items(build.costs, kind)]
    keyed = [(name_key(name), name) for name in listed]
    if len({key for key, _ in keyed}) != len(keyed):
        seen: set[str] = set()
        twice = next(name for name in listed if name in seen or seen.add(name))
        raise InputError(f"the build lists {kind} {twice!r} twice")
    return keyed


def _same_build(conn: Connection, build: RecordedBuild) -> int | None:
    """The id of the stored build of the same commit, label and host, if any."""
    if build.commit.sha is None:
        return None
    query = select(builds.c.id).where(
        builds.c.commit_sha == build.commit.sha,
        builds.c.label == build.label,
        builds.c.host == build.machine.host,
    )
    return conn.execute(query).scalar()


def _name_ids(conn: Connection, table: Table, keyed: Iterable[tuple[bytes, str]]) -> dict[bytes, int]:
    """The id of every name, storing the new ones (in key order, so that concurrent writers take the
    same locks in the same order; ON CONFLICT DO NOTHING lets another writer's insert win)."""
    wanted = dict(keyed)
    ids = _ids_of(conn, table, list(wanted))
    missing = sorted(key for key in wanted if key not in ids)
    if missing:
        insert = _insert(conn, table).on_conflict_do_nothing(index_elements=["key"])
        conn.execute(insert, [{"key": key, "name": wanted[key]} for key in missing])
        ids.update(_ids_of(conn, table, missing))
    return ids


def _ids_of(conn: Connection, table: Table, keys: list[bytes]) -> dict[bytes, int]:
    """The ids of the names of `keys` that are stored (IN lists of at most `_CHUNK` keys)."""
    ids: dict[bytes, int] = {}
    for start in range(0, len(keys), _CHUNK):
        query = select(table.c.key, table.c.id).where(table.c.key.in_(keys[start : start + _CHUNK]))
        ids.update((bytes(key), int(id_)) for key, id_ in conn.execute(query))
    return ids


def _insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT (both SQLite's and PostgreSQL's have ON CONFLICT DO NOTHING)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


def delete_build(conn: Connection, build_id: int) -> None:
    """Delete one build and its cost rows (names stay: other builds may use them)."""
    for kind in KINDS:
        conn.execute(costs[kind].delete().where(costs[kind].c.build_id == build_id))
    conn.execute(builds.delete().where(builds.c.id == build_id))


def _load(conn: Connection, build_id: int, where: str) -> RecordedBuild:
    """Build `build_id` with its cost rows in their recorded order; a StoreError if there is none."""
    row = conn.execute(select(builds).where(builds.c.id == build_id)).mappings().first()
    if row is None:
        raise StoreError(f"no build #{build_id} in the history", where)
    found = {}
    for kind in KINDS:
        table, named = costs[kind], names[kind]
        query = (
            select(named.c.name, table)
            .join(named, named.c.id == table.c.name_id)
            .where(table.c.build_id == build_id)
            .order_by(table.c.position)
        )
        found[kind] = [cost_of_row(kind, r["name"], r) for r in conn.execute(query).mappings()]
    return build_of_row(row, found)


def _pause_before_commit() -> None:
    """The test hook of History.record: announce on stderr, then sleep before the COMMIT."""
    pause = os.environ.get(PAUSE_ENV)
    if not pause:
        return
    try:
        seconds = float(pause)
    except ValueError:
        seconds = 3600.0
    sys.stderr.write("buildprof: test hook: paused before commit\n")
    sys.stderr.flush()
    time.sleep(seconds)
