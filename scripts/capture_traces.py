"""Find, copy and compare clang ``-ftime-trace`` files of a build folder.

A capture keeps every trace the build wrote (and those older clang writes
into TMPDIR), byte for byte at its relative path.  For an incremental rebuild
it also records which traces the build rewrote, by comparing snapshots
(mtime, size, SHA-256) taken before and after, together with each version's
``Total ExecuteCompiler`` time, so the fixtures document what changed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any


def is_trace(path: Path) -> bool:
    """True if ``path`` is a clang -ftime-trace JSON file."""
    with path.open("rb") as f:
        return f.read(16).startswith(b'{"traceEvents"')


def collect_traces(build: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy every trace under ``build`` to the same relative path under ``dest``."""
    traces = []
    for path in sorted(build.rglob("*.json")):
        if not path.is_file() or not is_trace(path):
            continue
        rel = path.relative_to(build)
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        traces.append({"path": rel.as_posix(), "bytes": path.stat().st_size})
    return traces


def collect_tmpdir_traces(tmpdir: Path, dest: Path) -> list[dict[str, Any]]:
    """Copy traces that clang wrote into TMPDIR (older clang puts the trace of
    a compile-and-link invocation, such as CMake's compiler-id check, next to
    its temporary object file) to ``dest/TMPDIR/``."""
    traces = []
    for path in sorted(tmpdir.glob("*.json")):
        if not is_trace(path):
            continue
        target = dest / "TMPDIR" / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        traces.append({"path": f"TMPDIR/{path.name}", "bytes": path.stat().st_size})
    return traces


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trace_snapshot(build: Path) -> dict[str, tuple[int, int, str]]:
    """(mtime_ns, bytes, sha256) of every trace under ``build``, by relative path."""
    snap = {}
    for path in sorted(build.rglob("*.json")):
        if path.is_file() and is_trace(path):
            st = path.stat()
            snap[path.relative_to(build).as_posix()] = (st.st_mtime_ns, st.st_size, file_sha256(path))
    return snap


def execute_compiler_ms(trace: bytes) -> float | None:
    """``dur`` of the trace's ``Total ExecuteCompiler`` event, in ms (None if absent)."""
    for event in json.loads(trace)["traceEvents"]:
        if event.get("name") == "Total ExecuteCompiler":
            return event["dur"] / 1000
    return None


def rewritten_traces(
    before: dict[str, tuple[int, int, str]],
    before_bytes: dict[str, bytes],
    after: dict[str, tuple[int, int, str]],
    build: Path,
) -> list[dict[str, Any]]:
    """The traces a build created or changed (new mtime or new content).

    ``before_bytes`` holds the content of every trace before the build, so
    the ``Total ExecuteCompiler`` time of both versions can be reported.
    """
    changed = []
    for rel, (mtime, size, digest) in after.items():
        old = before.get(rel)
        if old == (mtime, size, digest):
            continue
        changed.append(
            {
                "path": rel,
                "mtime_changed": old is None or old[0] != mtime,
                "content_changed": old is None or old[2] != digest,
                "bytes_before": None if old is None else old[1],
                "bytes_after": size,
                "execute_compiler_ms_before": (
                    None if old is None else execute_compiler_ms(before_bytes[rel])
                ),
                "execute_compiler_ms_after": execute_compiler_ms((build / rel).read_bytes()),
            }
        )
    return changed
