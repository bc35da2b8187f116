"""Errors the library raises; the CLI turns each into one `Error: ...` line and an exit code."""

from __future__ import annotations

from pathlib import Path


class BuildprofError(Exception):
    """Base class: a problem a user can act on, never a bug in buildprof."""

    exit_code = 2


class InputError(BuildprofError):
    """An input file or folder is missing, unreadable or malformed; names the file and line."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path = str(path) if path is not None else None
        self.line = line
        self.detail = message
        super().__init__(self._format())

    def _format(self) -> str:
        if self.path is None:
            return self.detail
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.detail}"


class StoreError(BuildprofError):
    """The history store cannot be opened, read or written as asked; names the database (path or URL)."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        self.detail = message
        super().__init__(f"{where}: {message}" if where else message)


class DuplicateBuildError(StoreError):
    """The history already holds a build of this commit, label and machine (`replace` overwrites it)."""

    def __init__(self, message: str, where: str | None, existing_id: int):
        self.existing_id = existing_id
        super().__init__(message, where)
