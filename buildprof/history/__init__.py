"""The build history store, front door: `open_history(url)` gives a `History`.

Where it lives: `url` None means `$BUILDPROF_DB` if set, else the SQLite file
`${XDG_DATA_HOME:-~/.local/share}/buildprof/history.sqlite` (outside build folders, so it survives
clean builds; its folders are created). A path or `sqlite:///path` is an SQLite file; `postgresql://`
is a PostgreSQL database through psycopg 3 (`pip install 'buildprof[postgresql]'`). Both go through
the same SQLAlchemy Core code and schema (buildprof.history.schema), upgraded on open by ordered,
named migrations (buildprof.history.migrations).

Only this package touches the database; analysis and render never import it. SQLAlchemy is imported
when a history is opened, not when this package is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from buildprof.history.location import DB_ENV, default_path, resolve

if TYPE_CHECKING:
    from buildprof.history.store import History

__all__ = ["DB_ENV", "History", "default_path", "open_history"]


def open_history(url: str | None = None) -> History:
    """Open (creating or upgrading it if needed) the history that `url` names (module docstring);
    a StoreError when it cannot be opened or was written by a newer buildprof."""
    from buildprof.history.store import History

    return History(resolve(url))


def __getattr__(name: str):
    """`History`, imported on first use (it imports SQLAlchemy)."""
    if name == "History":
        from buildprof.history.store import History

        return History
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
