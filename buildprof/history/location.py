"""Where the history lives: the default SQLite file, `$BUILDPROF_DB`, a path, or a database URL.

Resolved without importing SQLAlchemy, so that a wrong `--db` is refused before any heavy import.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import msgspec

from buildprof.errors import StoreError

DB_ENV = "BUILDPROF_DB"  # a path or URL that replaces the default location
DEFAULT_NAME = "buildprof/history.sqlite"  # under $XDG_DATA_HOME (default ~/.local/share)
MEMORY = ":memory:"  # an SQLite database in memory (tests, experiments): gone when closed

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg"}


class Location(msgspec.Struct, frozen=True):
    """A resolved history: `sqlite_path` for SQLite (a file path or ":memory:"), else a PostgreSQL URL
    for SQLAlchemy (`postgresql+psycopg://...`); `shown` is what messages call it (no password)."""

    backend: str  # "sqlite" or "postgresql"
    shown: str
    sqlite_path: str | None = None
    url: str | None = None


def default_path() -> Path:
    """`${XDG_DATA_HOME:-~/.local/share}/buildprof/history.sqlite` (a relative XDG_DATA_HOME is
    ignored, as the XDG specification says): kept apart from build folders, so clean builds keep it."""
    data_home = os.environ.get("XDG_DATA_HOME", "")
    base = Path(data_home) if os.path.isabs(data_home) else Path.home() / ".local" / "share"
    return base / DEFAULT_NAME


def resolve(url: str | None) -> Location:
    """The history that `url` names: None means `$BUILDPROF_DB` if set, else the default file; a plain
    path or `sqlite:///path` is SQLite; `postgresql://` (or `postgres://`, `postgresql+psycopg://`) is
    PostgreSQL through psycopg 3. Anything else is refused with a StoreError."""
    if url is None or url == "":
        url = os.environ.get(DB_ENV) or None
    if url is None:
        return _sqlite(str(default_path()))
    match = _SCHEME.match(url)
    if match is None:
        return _sqlite(url)
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return _sqlite_url(url, rest)
    if scheme in _POSTGRES_SCHEMES:
        full = f"postgresql+psycopg://{rest}"
        return Location(backend="postgresql", shown=_without_password(url), url=full)
    if scheme.startswith("postgresql+"):
        raise StoreError(
            f"only the psycopg 3 driver is supported: use postgresql://{rest.split('@')[-1]}", url
        )
    raise StoreError(
        "not a history location: give a file path, sqlite:///path or postgresql://user@host/db",
        _without_password(url),
    )


def _sqlite_url(url: str, rest: str) -> Location:
    """`sqlite:///relative/path`, `sqlite:////absolute/path`, `sqlite://` (in memory)."""
    if rest in ("", "/", f"/{MEMORY}"):
        return _sqlite(MEMORY)
    if not rest.startswith("/"):
        raise StoreError("an SQLite URL is sqlite:///relative/path or sqlite:////absolute/path", url)
    if "?" in rest:
        raise StoreError("SQLite URL options are not supported: give the file path alone", url)
    return _sqlite(rest[1:])


def _sqlite(path: str) -> Location:
    """An SQLite location: a file path (with `~` expanded) or the in-memory database."""
    if path == MEMORY:
        return Location(backend="sqlite", shown=MEMORY, sqlite_path=MEMORY)
    expanded = os.path.expanduser(path)
    return Location(backend="sqlite", shown=expanded, sqlite_path=expanded)


def _without_password(url: str) -> str:
    """The URL as messages may show it: a password between `user:` and `@` is replaced by `***`."""
    return re.sub(r"^([^:/]+://[^:/@]*:)[^@/]*@", r"\1***@", url)
