"""Whole reports, cached by a fingerprint of everything they are computed from.

When nothing a report depends on has changed (the same traces, log and manifests with the same sizes
and mtimes, the same options, the same buildprof), the finished document is read back instead of
being computed again: repeating a report on an unchanged build folder takes well under a second. Any
change misses the cache and the report is computed as usual (through the per-trace summary cache).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec

from buildprof.ingest.trace_files import write_atomically

REPORTS = "reports"
KEEP = 16  # most recent reports kept per build folder


def fingerprint(parts: dict) -> str:
    """A stable hash of the report's inputs (any JSON-compatible description)."""
    return hashlib.sha256(msgspec.json.encode(parts, order="sorted")).hexdigest()


def file_stamp(path: str | Path | None) -> list[int] | None:
    """(size, mtime_ns) of a file, or None when it does not exist."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def load_report(cache_dir: str | Path, key: str) -> dict | None:
    """The cached document for `key`, or None (missing or unreadable entries are simply misses)."""
    try:
        data = (Path(cache_dir) / REPORTS / f"{key}.json").read_bytes()
        doc = msgspec.json.decode(data)
    except (OSError, msgspec.DecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def save_report(cache_dir: str | Path, key: str, doc: dict) -> None:
    """Store a document atomically and keep only the KEEP most recent ones; failures are ignored."""
    folder = Path(cache_dir) / REPORTS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / f"{key}.json", msgspec.json.encode(doc))
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
