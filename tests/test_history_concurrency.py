"""Real processes against one history: eight recorders at once all land (on a fresh SQLite file, so
they also race to create it, and on one PostgreSQL schema), and a recorder killed with SIGKILL while
its transaction is open leaves the history exactly as it was, and usable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from test_history_store import BACKENDS, make_build, store_url, stored

from buildprof.history import open_history
from buildprof.history.store import PAUSE_ENV
from buildprof.jsonio import encode_json
from buildprof.model.history import RecordedBuild

RECORDERS = 8
# A recorder: the build's JSON on stdin, the history's location as argument; prints the new id.
RECORD = (
    "import sys, msgspec\n"
    "from buildprof.history import open_history\n"
    "from buildprof.model.history import RecordedBuild\n"
    "build = msgspec.json.decode(sys.stdin.buffer.read(), type=RecordedBuild)\n"
    "with open_history(sys.argv[1]) as history:\n"
    "    print(history.record(build))\n"
)
SHARED_NAMES = [f"lib{i}" for i in range(300)]  # every recorder stores the same names at once


def _build(n: int) -> RecordedBuild:
    """Recorder n's build: its own commit, 300 targets shared with every other recorder, one of its own."""
    targets = {name: float(n * 1000 + i) for i, name in enumerate(SHARED_NAMES)}
    targets[f"only{n}"] = 0.5
    return make_build(sha=f"{n:040x}", targets=targets, commit_time=f"2026-02-{n + 1:02d}T00:00:00Z")


def _recorder(location: str, build: RecordedBuild, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A process that records `build` into the history at `location` (its JSON on stdin)."""
    process = subprocess.Popen(
        [sys.executable, "-c", RECORD, location],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    assert process.stdin is not None
    process.stdin.write(encode_json(build))
    process.stdin.close()
    return process


@pytest.mark.parametrize("backend", BACKENDS)
def test_eight_recorders_at_once_all_land(backend: str, tmp_path: Path):
    builds = [_build(n) for n in range(RECORDERS)]
    with store_url(backend, tmp_path) as location:
        processes = [_recorder(location, build) for build in builds]
        results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in processes]  # type: ignore[union-attr]
        for code, _, err in results:
            assert code == 0, err.decode(errors="replace")
            assert b"locked" not in err
        ids = [int(out) for _, out, _ in results]
        assert len(set(ids)) == RECORDERS
        with open_history(location) as history:
            assert sorted(b.id for b in history.builds()) == sorted(ids)
            for build_id, build in zip(ids, builds, strict=True):
                assert history.load(build_id) == stored(build, build_id)
            points = history.series("target:lib7", "default")
            assert [p.value for p in points] == [float(n * 1000 + 7) for n in range(RECORDERS)]


def _contents(location: str) -> dict[str, list]:
    """Every row of every table of the history, sorted (its whole state, to compare)."""
    from sqlalchemy import select

    from buildprof.history.migrations import MIGRATIONS_TABLE
    from buildprof.history.schema import metadata

    with open_history(location) as history, history.engine.connect() as conn:
        tables = [*metadata.sorted_tables, MIGRATIONS_TABLE]
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in tables}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_recorder_killed_inside_its_transaction_leaves_the_history_as_it_was(backend: str, tmp_path: Path):
    with store_url(backend, tmp_path) as location:
        with open_history(location) as history:
            kept = history.record(_build(0))
        before = _contents(location)
        victim = _recorder(location, _build(1), {PAUSE_ENV: "600"})
        assert victim.stderr is not None
        line = victim.stderr.readline()  # written inside the open transaction, just before COMMIT
        assert b"paused before commit" in line, line + victim.stderr.read()
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=60) == -signal.SIGKILL
        assert _contents(location) == before
        with open_history(location) as history:  # it still opens, and takes the same build now
            assert [b.id for b in history.builds()] == [kept]
            again = history.record(_build(1))
            assert history.load(again) == stored(_build(1), again)
        if backend == "sqlite":
            with open_history(location) as history, history.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


def test_a_build_recorded_while_another_writer_holds_the_lock_waits_its_turn(tmp_path: Path):
    location = str(tmp_path / "history.sqlite")
    with open_history(location) as history:
        history.record(_build(0))
    holder = _recorder(location, _build(1), {PAUSE_ENV: "3"})  # holds the write lock for 3 s
    assert holder.stderr is not None and b"paused" in holder.stderr.readline()
    with open_history(location) as history:
        assert len(history.builds()) == 1  # readers are not blocked (WAL)
        waited = history.record(_build(2))  # blocks until the holder commits, then lands
        assert holder.wait(timeout=60) == 0
        assert sorted(b.commit.sha for b in history.builds()) == [_build(n).commit.sha for n in range(3)]
        assert history.load(waited).costs.targets == _build(2).costs.targets
    assert msgspec.json.decode(holder.stdout.read()) > 0  # type: ignore[union-attr]


def test_sqlite_busy_is_retried_by_its_error_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from buildprof.history import engine

    location = str(tmp_path / "history.sqlite")
    open_history(location).close()
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 0.02)  # SQLite gives up waiting at once: SQLITE_BUSY
    seen: list[bool] = []
    monkeypatch.setattr(engine, "is_transient", lambda exc: seen.append(_is_transient(exc)) or seen[-1])
    holder = _recorder(location, _build(1), {PAUSE_ENV: "2"})
    assert holder.stderr is not None and b"paused" in holder.stderr.readline()
    with open_history(location) as history:
        history.record(_build(2))
        assert len(history.builds()) == 2
    assert holder.wait(timeout=60) == 0
    assert seen and all(seen)  # every failure met was SQLITE_BUSY, and was retried


def test_a_history_that_stays_locked_is_one_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from buildprof.errors import StoreError
    from buildprof.history import engine

    location = str(tmp_path / "history.sqlite")
    open_history(location).close()
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_S", 0.02)
    monkeypatch.setattr(engine, "PATIENCE_S", 0.3)
    holder = _recorder(location, _build(1), {PAUSE_ENV: "600"})
    try:
        assert holder.stderr is not None and b"paused" in holder.stderr.readline()
        with open_history(location) as history, pytest.raises(StoreError) as refused:
            history.record(_build(2))
        assert refused.value.where == location
    finally:
        holder.kill()
        holder.wait()


def test_postgresql_serialization_failures_and_deadlocks_are_retried_by_sqlstate():
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.exc import IntegrityError, OperationalError

    from buildprof.history import engine

    for error, transient in (
        (psycopg.errors.SerializationFailure, True),
        (psycopg.errors.DeadlockDetected, True),
        (psycopg.errors.UniqueViolation, False),
        (psycopg.errors.QueryCanceled, False),
    ):
        wrapper = IntegrityError if error is psycopg.errors.UniqueViolation else OperationalError
        assert engine.is_transient(wrapper("COMMIT", {}, error())) is transient
    attempts = []

    def work():
        attempts.append(1)
        if len(attempts) < 3:
            raise OperationalError("COMMIT", {}, psycopg.errors.SerializationFailure())
        return "done"

    assert engine.retrying("db", work) == "done" and len(attempts) == 3


def _is_transient(exc) -> bool:
    """Whether an SQLite error is SQLITE_BUSY or SQLITE_LOCKED, by its code."""
    from buildprof.history.engine import _SQLITE_RETRY

    return exc.orig.sqlite_errorcode & 0xFF in _SQLITE_RETRY
