"""Find the JSON files under a build folder, and tell what each found trace is to a report.

Only regular files are listed (a FIFO, socket or device named `*.json` is never opened: it is noted as
skipped); the object files seen on the way tell which JSON must be a trace (the compile that wrote
`foo.cc.o` wrote `foo.cc.json`) and how ClangBuildAnalyzer names a translation unit. Kept free of
heavy imports (no numpy): a report answered from the report cache only needs this.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import msgspec

from buildprof.files import kind_of, stat_failure
from buildprof.model.traces import TraceFile, TraceSummary
from buildprof.traces._cache_dir import CACHEDIR_TAG, is_tagged_cache

_SKIP_DIRS = {".git", ".buildprof"}
_OBJECT_SUFFIXES = (".o", ".obj")

# Compilations that are not translation units of the project: CMake's compiler identification and
# try_compile checks (in CMakeFiles/<version>/CompilerId<LANG>/, CMakeScratch/, CMakeTmp/, or in $TMPDIR
# for clang 14, named after CMake<LANG>CompilerId/ABI), and Meson's sanity checks (meson-private/).
_PROBE_PATH = re.compile(
    r"(^|/)CMakeFiles/(\d[^/]*/CompilerId|CMakeScratch/|CMakeTmp/)|(^|/)meson-private/"
    r"|(^|/)CMake\w*Compiler(Id|ABI)[^/]*\.json$"
)
_PROBE_SOURCE = re.compile(r"(^|/)(CMake\w*Compiler(Id|ABI)|testC\w*Compiler)\.\w+$")


def find_json_files(
    root: str | Path, objects: set[str] | None = None, skipped: list[tuple[str, str]] | None = None
) -> list[TraceFile]:
    """Every regular `*.json` file under `root`, sorted by path (cache folders excluded: `.buildprof`
    and any folder below `root` tagged with a CACHEDIR.TAG, such as a BUILDPROF_CACHE_DIR placed there).

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
        if folder != str(root) and any(e.name == CACHEDIR_TAG for e in entries) and is_tagged_cache(folder):
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


def is_tool_probe(summary: TraceSummary) -> bool:
    """Whether a trace is a build system's compiler check (CMake, Meson) rather than a project TU."""
    path = summary.path.replace("\\", "/")
    # Each pattern's text first (a plain search, 20x cheaper than the patterns): every match holds it.
    if ("CMake" in path or "meson-private/" in path) and _PROBE_PATH.search(path):
        return True
    return "Compiler" in summary.source and bool(_PROBE_SOURCE.search(summary.source))


def expected_trace(path: str, objects: set[str]) -> str | None:
    """The object file beside `path` (`foo.cc.json` -> `foo.cc.o`), if there is one: then it must be a
    trace, written by the compile that wrote the object (a killed compile leaves it empty or cut)."""
    stem = path[:-5]
    return next((stem + s for s in _OBJECT_SUFFIXES if stem + s in objects), None)


def unfinished_trace(summary: TraceSummary, obj: str) -> TraceSummary:
    """A JSON file beside an object file that is not a trace: the compile that wrote it was cut short."""
    name = os.path.basename(obj)
    if summary.size == 0:
        message = f"empty file (0 bytes) beside {name}: its compile was probably killed"
    else:
        message = f"not a complete time trace, though {name} sits beside it: its compile was probably killed"
    return msgspec.structs.replace(summary, status="damaged", message=message)
