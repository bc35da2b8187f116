"""Whole reports, cached by a fingerprint of everything they are computed from.

When nothing a report depends on has changed (the same traces, log and manifests with the same sizes
and mtimes, the same options, the same buildprof code: code_stamp), the finished document is read back
instead of being computed again: repeating a report on an unchanged build folder takes well under a
second. Any change misses the cache and the report is computed as usual (through the per-trace summary
cache). An entry is used only if it is the document of that key and command; anything else in its
place (a damaged, foreign or planted file) is a miss.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from buildprof.files import read_regular, write_atomically
from buildprof.jsonio import decode_json, encode_json
from buildprof.model import SCHEMA_VERSION

REPORTS = "reports"
KEEP = 16  # most recent reports kept per build folder


def fingerprint(parts: dict) -> str:
    """A stable hash of the report's inputs (any JSON-compatible description)."""
    return hashlib.sha256(encode_json(parts, sort_keys=True)).hexdigest()


def file_stamp(path: str | Path | None) -> list[int] | None:
    """(size, mtime_ns) of a file, or None when it does not exist."""
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def load_report(cache_dir: str | Path, key: str, command: str) -> dict | None:
    """The cached `command` document for `key`, or None (a missing, unreadable or foreign entry)."""
    try:
        entry = decode_json(read_regular(Path(cache_dir) / REPORTS / f"{key}.json"))
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    doc = entry.get("document")
    if (
        not isinstance(doc, dict)
        or doc.get("schema") != "buildprof"
        or doc.get("schema_version") != SCHEMA_VERSION
        or doc.get("command") != command
    ):
        return None
    return doc


def save_report(cache_dir: str | Path, key: str, doc: dict) -> None:
    """Store a document atomically and keep only the KEEP most recent ones; failures are ignored."""
    folder = Path(cache_dir) / REPORTS
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / f"{key}.json", encode_json({"key": key, "document": doc}))
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
