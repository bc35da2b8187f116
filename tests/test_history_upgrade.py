"""A history written by an older buildprof is upgraded on open and reads back exactly as recorded:
fixtures/history/v1.sqlite (schema 1: six real abseil builds and one of hostile names), and the same
builds written at schema 1 into PostgreSQL."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import pytest
from sqlalchemy import inspect, select
from test_history_store import BACKENDS, store_url

from buildprof.errors import DuplicateBuildError
from buildprof.history import migrations, open_history
from buildprof.history.migrations import MIGRATIONS, MIGRATIONS_TABLE
from buildprof.jsonio import decode_json
from buildprof.model.history import RecordedBuild

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "history"
LABEL = "clang19-relwithdebinfo"


def recorded_v1() -> list[RecordedBuild]:
    """The builds in v1.sqlite, as they were recorded (fixtures/history/v1-builds.json.gz)."""
    data = gzip.decompress((FIXTURE / "v1-builds.json.gz").read_bytes())
    return msgspec.convert(decode_json(data), list[RecordedBuild])


@contextmanager
def v1_history(backend: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A schema-1 history holding the fixture's builds: a copy of v1.sqlite, or the same builds
    recorded into a fresh PostgreSQL schema by this code restricted to migration 1."""
    if backend == "sqlite":
        copy = folder / "v1.sqlite"
        shutil.copyfile(FIXTURE / "v1.sqlite", copy)
        yield str(copy)
        return
    with store_url(backend, folder) as url:
        with monkeypatch.context() as patch:
            patch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
            with open_history(url) as history:
                assert [history.record(b) for b in recorded_v1()] == [b.id for b in recorded_v1()]
        yield url


def _applied(url: str) -> list[tuple[int, str]]:
    """The migrations recorded in the history at `url` (opened, so upgraded, first)."""
    with open_history(url) as history, history.engine.connect() as conn:
        return [(i, n) for i, n, _ in conn.execute(select(MIGRATIONS_TABLE).order_by(MIGRATIONS_TABLE.c.id))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_schema_1_history_is_upgraded_and_reads_back_as_recorded(backend, tmp_path, monkeypatch):
    expected = recorded_v1()
    assert len(expected) == 7 and [len(b.costs.targets) for b in expected[:6]] == [90, 91, 92, 93, 94, 94]
    with v1_history(backend, tmp_path, monkeypatch) as url:
        assert _applied_before_open(url) == [(1, "initial schema")]
        with open_history(url) as history:
            assert history.upgraded == [name for name, _ in MIGRATIONS[1:]]
            for build in expected:
                assert history.load(build.id or 0) == build
            assert [b.id for b in history.builds(label=LABEL)] == [7, 6, 5, 4, 3, 2, 1]
            strings = [p.value for p in history.series("target:strings", LABEL)]
            assert strings[:6] == [
                next(t.cpu_ms for t in b.costs.targets if t.name == "strings") for b in expected[:6]
            ]
            assert history.find("926f1d05").id == 6
            with pytest.raises(DuplicateBuildError):
                history.record(expected[0])
            with history.engine.connect() as conn:
                assert {i["name"] for i in inspect(conn).get_indexes("target_costs")} >= {
                    "target_costs_build"
                }
        assert _applied(url) == [(i + 1, name) for i, (name, _) in enumerate(MIGRATIONS)]


def _applied_before_open(url: str) -> list[tuple[int, str]]:
    """The migrations recorded in a history, read without opening (and so upgrading) it."""
    from sqlalchemy import create_engine

    from buildprof.history.location import resolve

    location = resolve(url)
    engine = create_engine(location.url or f"sqlite:///{location.sqlite_path}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(MIGRATIONS_TABLE.c.id, MIGRATIONS_TABLE.c.name).order_by("id"))
            return [(int(i), str(n)) for i, n in rows]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_eight_processes_opening_an_old_history_at_once_upgrade_it_once(backend, tmp_path, monkeypatch):
    opener = "import sys; from buildprof.history import open_history; open_history(sys.argv[1]).close()"
    with v1_history(backend, tmp_path, monkeypatch) as url:
        processes = [
            subprocess.Popen([sys.executable, "-c", opener, url], stderr=subprocess.PIPE) for _ in range(8)
        ]
        for process in processes:
            assert process.wait(timeout=300) == 0, process.stderr.read()  # type: ignore[union-attr]
        assert _applied(url) == [(i + 1, name) for i, (name, _) in enumerate(MIGRATIONS)]
        with open_history(url) as history:
            assert history.load(6) == recorded_v1()[5]
