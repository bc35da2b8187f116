"""Opening a history: where it is, the migrations recorded in it, upgrading in one transaction, and
refusing databases that are not ours or are newer than this code."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from test_history_store import make_build, stored, url  # noqa: F401 (url is a fixture)

from buildprof.errors import StoreError
from buildprof.history import migrations, open_history
from buildprof.history.location import resolve
from buildprof.history.migrations import MIGRATIONS, MIGRATIONS_TABLE, SCHEMA_VERSION
from buildprof.history.schema import metadata

# ---- where the history is


def test_the_default_history_is_under_xdg_data_home_and_its_folders_are_made(tmp_path, monkeypatch):
    monkeypatch.delenv("BUILDPROF_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with open_history(None) as history:
        history.record(make_build())
    assert (tmp_path / "data" / "buildprof" / "history.sqlite").is_file()
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve(None).sqlite_path == str(tmp_path / "home" / ".local/share/buildprof/history.sqlite")
    monkeypatch.setenv("BUILDPROF_DB", str(tmp_path / "env.sqlite"))
    assert resolve(None).sqlite_path == str(tmp_path / "env.sqlite")
    assert resolve("").sqlite_path == str(tmp_path / "env.sqlite")


def test_locations_by_path_and_url():
    assert resolve("h.sqlite").sqlite_path == "h.sqlite"
    assert resolve("sqlite:///rel/h.sqlite").sqlite_path == "rel/h.sqlite"
    assert resolve("sqlite:////abs/h.sqlite").sqlite_path == "/abs/h.sqlite"
    assert resolve("sqlite://").sqlite_path == ":memory:"
    for given in (
        "postgresql://u:secret@db/h",
        "postgres://u:secret@db/h",
        "postgresql+psycopg://u:secret@db/h",
    ):
        location = resolve(given)
        assert (location.backend, location.url) == ("postgresql", "postgresql+psycopg://u:secret@db/h")
        assert "secret" not in location.shown
    for wrong in ("mysql://db/h", "postgresql+psycopg2://db/h", "sqlite://relative", "sqlite:///h?mode=ro"):
        with pytest.raises(StoreError):
            resolve(wrong)


# ---- migrations


def test_the_schema_the_queries_use_is_the_one_the_migrations_make(url: str):  # noqa: F811
    with open_history(url) as history, history.engine.connect() as conn:
        found = inspect(conn)
        for table in metadata.sorted_tables:
            columns = found.get_columns(table.name)
            assert [c["name"] for c in columns] == [c.name for c in table.columns], table.name
            assert [c["nullable"] for c in columns] == [c.nullable for c in table.columns], table.name
            primary_key = found.get_pk_constraint(table.name)["constrained_columns"]
            assert primary_key == [c.name for c in table.primary_key], table.name
            indexes = {i["name"]: i["column_names"] for i in found.get_indexes(table.name) if not i["unique"]}
            assert indexes == {i.name: [c.name for c in i.columns] for i in table.indexes}, table.name
        applied = conn.execute(select(MIGRATIONS_TABLE)).all()
    assert [(i, name) for i, name, _ in applied] == [(i + 1, m[0]) for i, m in enumerate(MIGRATIONS)]
    assert all(at.endswith("+00:00") for _, _, at in applied)


def test_a_history_opened_again_is_not_migrated_again(url: str):  # noqa: F811
    with open_history(url) as history:
        assert history.upgraded == [name for name, _ in MIGRATIONS]
    with open_history(url) as history:
        assert history.upgraded == []


def test_a_history_newer_than_this_code_is_refused_in_one_line(url: str):  # noqa: F811
    with open_history(url) as history:
        history.record(make_build())
        with history.engine.begin() as conn:
            row = {
                "id": SCHEMA_VERSION + 1,
                "name": "from the future",
                "applied_at": "2030-01-01T00:00:00+00:00",
            }
            conn.execute(MIGRATIONS_TABLE.insert().values(**row))
        shown = history.location
    with pytest.raises(StoreError) as refused:
        open_history(url)
    message = str(refused.value)
    assert "\n" not in message and message.startswith(shown)
    assert f"version {SCHEMA_VERSION + 1}" in message and f"version {SCHEMA_VERSION} " in message


def test_a_history_with_a_migration_of_another_name_is_refused(url: str):  # noqa: F811
    with open_history(url) as history, history.engine.begin() as conn:
        conn.execute(
            MIGRATIONS_TABLE.update().where(MIGRATIONS_TABLE.c.id == 1).values(name="someone else's")
        )
    with pytest.raises(StoreError):
        open_history(url)


def test_a_migration_that_fails_leaves_the_history_as_it_was(url: str, monkeypatch):  # noqa: F811
    with open_history(url) as history:
        kept = history.record(make_build())

    def broken(conn):
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        conn.exec_driver_sql("DELETE FROM target_costs")
        raise RuntimeError("a migration failed half-way")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, ("broken", broken)))
    with pytest.raises(RuntimeError):
        open_history(url)
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    with open_history(url) as history, history.engine.connect() as conn:
        assert not inspect(conn).has_table("half_done")
        assert len(conn.execute(select(MIGRATIONS_TABLE)).all()) == SCHEMA_VERSION
        assert history.load(kept) == stored(make_build(), kept)


# ---- databases that are not histories


def test_an_sqlite_file_with_other_tables_is_refused_and_left_alone(tmp_path: Path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    before = path.read_bytes()
    with pytest.raises(StoreError) as refused:
        open_history(str(path))
    assert str(path) in str(refused.value)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path):
    path = tmp_path / "history.sqlite"
    path.write_bytes(b"not a database, but a text file long enough to have a header " * 20)
    with pytest.raises(StoreError) as refused:
        open_history(str(path))
    assert str(refused.value).startswith(str(path))


def test_a_folder_that_cannot_be_made_is_a_store_error(tmp_path: Path):
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError):
        open_history(str(tmp_path / "file" / "sub" / "history.sqlite"))


def test_an_unreachable_postgresql_server_is_a_store_error():
    with pytest.raises(StoreError) as refused:
        open_history("postgresql://nobody:secret@127.0.0.1:9/none?connect_timeout=2")
    assert "secret" not in str(refused.value)
