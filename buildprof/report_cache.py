"""Finished reports, cached by a fingerprint of everything they are computed from: an output cache.

When nothing a report depends on has changed (the same traces, log and manifests with the same sizes
and mtimes, the same command and options, the same buildprof code: code_stamp), the finished document
is read back instead of being computed again: repeating a report on an unchanged build folder takes
well under a second. Any change misses the cache and the report is computed as usual (through the
per-trace summary cache of buildprof.traces). An entry is used only if it decodes as the document of
that key and command (msgspec checks every field); anything else in its place (a damaged, foreign or
planted file) is a miss.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import msgspec

from buildprof import __version__
from buildprof.code_stamp import code_stamp
from buildprof.files import read_regular, write_atomically
from buildprof.inputs import FolderInputs
from buildprof.jsonio import decode_json, encode_json
from buildprof.model import SCHEMA_VERSION
from buildprof.model.report import DOCUMENTS, Document, command_of, command_of_type

REPORTS = "reports"
KEEP = 16  # most recent reports kept per build folder


D = TypeVar("D")


class _Entry(msgspec.Struct, Generic[D]):
    """A cached document and the key it was stored under."""

    key: str
    document: D


def _entry_type(command: str) -> type[_Entry]:
    """The entry holding `command`'s document: decoding it builds that document type's decoder only."""
    (document,) = (d for d in DOCUMENTS if command_of_type(d) == command)
    return _Entry[document]  # type: ignore[valid-type]


def cached(found: FolderInputs, command: str, choices: dict, compute: Callable[[], Document]) -> Document:
    """`compute()`'s document, or the same document from the cache if no input changed since.

    `choices` are the options the document depends on (they are part of the key).
    """
    from buildprof.traces import default_cache_dir, demangler_status

    key = fingerprint(
        {
            "buildprof": [__version__, SCHEMA_VERSION, code_stamp()],
            "command": command,
            "options": choices,
            "where": [found.path, os.getcwd(), str(found.build_dir.resolve())],
            "log": [str(found.inputs.ninja_log), file_stamp(found.inputs.ninja_log)],
            "manifests": [(str(p), file_stamp(p)) for p in found.manifests()],
            "deps": file_stamp(Path(found.inputs.manifest_dir or found.build_dir) / ".ninja_deps"),
            "files": [(f.path, f.size, f.mtime_ns) for f in found.files],
            "objects": sorted(found.traces.objects),
            "skipped": found.skipped,
            "demangler": demangler_status(),
        }
    )
    cache_dir = default_cache_dir(found.build_dir)
    doc = load_report(cache_dir, key, command)
    if doc is not None:
        doc.report_cached = True
        facts = getattr(doc, "trace_input", None)
        if facts is not None:  # nothing was read this time
            facts.parsed, facts.cached = 0, len(found.files)
        return doc
    doc = compute()
    save_report(cache_dir, key, doc)
    return doc


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


def load_report(cache_dir: str | Path, key: str, command: str) -> Document | None:
    """The cached `command` document for `key`, or None (a missing, unreadable or foreign entry)."""
    try:
        data = read_regular(Path(cache_dir) / REPORTS / f"{key}.json")
        entry_type = _entry_type(command)
        try:
            entry = msgspec.json.decode(data, type=entry_type)
        except msgspec.DecodeError:  # e.g. a name that is not UTF-8 (a \udcNN escape): slower path
            entry = msgspec.convert(decode_json(data), type=entry_type)
    except (OSError, ValueError, RecursionError, msgspec.ValidationError):
        return None
    if entry.key != key or command_of(entry.document) != command:
        return None
    return entry.document


def save_report(cache_dir: str | Path, key: str, doc: Document) -> None:
    """Store a document atomically and keep only the KEEP most recent ones; failures are ignored."""
    from buildprof.traces import make_cache_dir

    folder = Path(cache_dir) / REPORTS
    try:
        make_cache_dir(Path(cache_dir))
        folder.mkdir(exist_ok=True)
        write_atomically(folder / f"{key}.json", encode_json(_Entry(key=key, document=doc)))
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return
