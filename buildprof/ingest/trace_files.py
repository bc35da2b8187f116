"""Find the JSON files under a build folder, and where their summaries are cached.

Kept free of heavy imports (no numpy): a report that can be served from the cache only needs this.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

CACHE_FORMAT = "traces-v2"  # bump when TraceSummary, its computation or the cache layout changes
CACHE_ENV = "BUILDPROF_CACHE_DIR"
_SKIP_DIRS = {".git", ".buildprof"}
_OBJECT_SUFFIXES = (".o", ".obj")


@dataclass(frozen=True)
class TraceFile:
    """A candidate trace: its path as found (joined to the folder given) and its stat."""

    path: str
    size: int
    mtime_ns: int


def find_json_files(root: str | Path, objects: set[str] | None = None) -> list[TraceFile]:
    """Every `*.json` file under `root`, sorted by path (buildprof's own cache folder excluded).

    os.scandir's entries tell folders from files without a stat call; only the JSON files are stat'ed.
    When `objects` is given, the paths of `.o`/`.obj` files seen on the way are added to it (a trace's
    object file names its translation unit).
    """
    found: list[tuple[str, int, int]] = []
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir():  # like os.walk: symbolic links to folders are not followed
                    if entry.name not in _SKIP_DIRS and not entry.is_symlink():
                        pending.append(entry.path)
                elif entry.name.endswith(".json"):
                    st = entry.stat()
                    found.append((entry.path, st.st_size, st.st_mtime_ns))
                elif objects is not None and entry.name.endswith(_OBJECT_SUFFIXES):
                    objects.add(entry.path)
            except OSError:
                continue
    found.sort()
    return [TraceFile(*item) for item in found]


def object_name(trace: str, objects: set[str]) -> str:
    """ClangBuildAnalyzer names a TU by its object file when one sits next to the trace."""
    stem = trace[:-4]
    for candidate in (stem + "o", stem + "obj"):
        if candidate in objects:
            return candidate
    return trace


def default_cache_dir(build_dir: str | Path) -> Path:
    """`$BUILDPROF_CACHE_DIR`, else `<build_dir>/.buildprof/<format>` if writable, else ~/.cache."""
    override = os.environ.get(CACHE_ENV)
    build_dir = Path(build_dir).resolve()
    if override:
        return Path(override) / dir_key(build_dir) / CACHE_FORMAT
    local = build_dir / ".buildprof" / CACHE_FORMAT
    if os.access(build_dir, os.W_OK):
        return local
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "buildprof"
    return base / dir_key(build_dir) / CACHE_FORMAT


def write_atomically(path: str | Path, *parts: bytes) -> None:
    """Write `parts` to `path` whole or not at all (a reader never sees half a file); caches can do
    without an entry, so a failure leaves nothing behind and is ignored."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            for part in parts:
                handle.write(part)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def dir_key(path: Path) -> str:
    """A short stable name for a folder, to keep the caches of several build folders apart."""
    return hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:16]
