"""Find the JSON files under a build folder, and where their summaries are cached.

Kept free of heavy imports (no numpy): a report that can be served from the cache only needs this.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from buildprof.ingest.code_stamp import code_stamp
from buildprof.ingest.files import kind_of, stat_failure

CACHE_FORMAT = "traces-v3"  # the cache layout; the folder name adds the code's stamp (code_stamp)
CACHE_ENV = "BUILDPROF_CACHE_DIR"
_SKIP_DIRS = {".git", ".buildprof"}
_OBJECT_SUFFIXES = (".o", ".obj")


@dataclass(frozen=True)
class TraceFile:
    """A candidate trace: its path as found (joined to the folder given) and its stat."""

    path: str
    size: int
    mtime_ns: int


def find_json_files(
    root: str | Path, objects: set[str] | None = None, skipped: list[tuple[str, str]] | None = None
) -> list[TraceFile]:
    """Every regular `*.json` file under `root`, sorted by path (buildprof's own cache folder excluded).

    os.scandir's entries tell folders from files without a stat call; only the JSON files are stat'ed.
    When `objects` is given, the paths of `.o`/`.obj` files seen on the way are added to it (a trace's
    object file names its translation unit). A `*.json` that is not a regular file (a FIFO, socket or
    device, a dangling link or a link loop) is never opened: it is added to `skipped` with the reason.
    """
    found: list[tuple[str, int, int]] = []
    pending = [str(root)]
    while pending:
        folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            if skipped is not None:
                skipped.append((folder, f"folder cannot be read ({exc.strerror}): skipped"))
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:  # a link loop: not a folder; named below if it is called *.json
                is_dir = False
            if is_dir:  # like os.walk: symbolic links to folders are not followed
                if entry.name not in _SKIP_DIRS and not entry.is_symlink():
                    pending.append(entry.path)
            elif entry.name.endswith(".json"):
                st = _stat_json(entry, skipped)
                if st is not None:
                    found.append((entry.path, st.st_size, st.st_mtime_ns))
            elif objects is not None and entry.name.endswith(_OBJECT_SUFFIXES):
                objects.add(entry.path)
    found.sort()
    if skipped is not None:
        skipped.sort()
    return [TraceFile(*item) for item in found]


def _stat_json(entry: os.DirEntry, skipped: list[tuple[str, str]] | None) -> os.stat_result | None:
    """The stat of a JSON file found, or None (noted in `skipped`) when it is not a regular file."""
    try:
        st = entry.stat()
    except OSError as exc:
        if skipped is not None:
            skipped.append((entry.path, f"{stat_failure(entry.path, exc)}: skipped"))
        return None
    if stat.S_ISREG(st.st_mode):
        return st
    if skipped is not None:
        skipped.append((entry.path, f"is {kind_of(st.st_mode)}, not a regular file: skipped"))
    return None


def object_name(trace: str, objects: set[str]) -> str:
    """ClangBuildAnalyzer names a TU by its object file when one sits next to the trace."""
    stem = trace[:-4]
    for candidate in (stem + "o", stem + "obj"):
        if candidate in objects:
            return candidate
    return trace


def default_cache_dir(build_dir: str | Path) -> Path:
    """`$BUILDPROF_CACHE_DIR`, else `<build_dir>/.buildprof/` if writable, else ~/.cache/buildprof,
    then a folder named after the cache format and the code (caches never outlive their code)."""
    override = os.environ.get(CACHE_ENV)
    build_dir = Path(build_dir).resolve()
    name = f"{CACHE_FORMAT}-{code_stamp()}"
    if override:
        return Path(override) / dir_key(build_dir) / name
    if os.access(build_dir, os.W_OK):
        return build_dir / ".buildprof" / name
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "buildprof" / dir_key(build_dir) / name


def prune_other_caches(cache_dir: Path) -> None:
    """Remove the cache folders of other buildprof code beside `cache_dir` (best effort)."""
    try:
        siblings = list(os.scandir(cache_dir.parent))
    except OSError:
        return
    for entry in siblings:
        ours = entry.name.startswith("traces-") and entry.is_dir(follow_symlinks=False)
        if ours and entry.name != cache_dir.name:
            shutil.rmtree(entry.path, ignore_errors=True)


def write_atomically(path: str | Path, *parts: bytes) -> None:
    """Write `parts` to `path` whole or not at all (a reader never sees half a file); caches can do
    without an entry, so a failure leaves nothing behind and is ignored (an interrupt is re-raised,
    after removing the partial file)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as handle:
            for part in parts:
                handle.write(part)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if not isinstance(exc, OSError):
            raise


def dir_key(path: Path) -> str:
    """A short stable name for a folder, to keep the caches of several build folders apart."""
    return hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:16]
