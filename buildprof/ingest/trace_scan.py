"""Find the time traces under a folder and summarise them: in parallel, through a per-trace cache.

Each `.json` file is read once by a worker process that decodes it and keeps only its TraceSummary, so
memory holds one trace at a time per worker plus the summaries. Summaries are cached one file each,
keyed by the trace's path and checked against its size and mtime: after an incremental build only the
traces that changed are parsed again. Deleting the cache folder is always safe.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from buildprof.errors import InputError
from buildprof.ingest.time_trace import looks_like_trace, summarize_trace_bytes
from buildprof.model import TraceSummary

CACHE_FORMAT = "traces-v1"  # bump when TraceSummary or its computation changes
CACHE_ENV = "BUILDPROF_CACHE_DIR"
_SKIP_DIRS = {".git", ".buildprof"}
_SNIFF = 4096  # bytes read to tell a trace from other JSON
_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(TraceSummary)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TraceFile:
    """A candidate trace: its path as found (joined to the folder given) and its stat."""

    path: str
    size: int
    mtime_ns: int


@dataclass
class TraceScan:
    """Summaries of every trace found, plus what could not be used."""

    summaries: list[TraceSummary] = field(default_factory=list)  # status "trace", sorted by path
    damaged: list[TraceSummary] = field(default_factory=list)  # reported once each
    skipped: int = 0  # JSON files that are not traces (compile_commands.json, CMake's files)
    parsed: int = 0  # traces parsed this time
    cached: int = 0  # traces whose summary came from the cache
    cache_dir: str | None = None


def find_json_files(root: str | Path) -> list[TraceFile]:
    """Every `*.json` file under `root`, sorted by path (buildprof's own cache folder excluded)."""
    root = str(root)
    found: list[TraceFile] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            if not name.endswith(".json"):
                continue
            path = os.path.join(dirpath, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            found.append(TraceFile(path, st.st_size, st.st_mtime_ns))
    found.sort(key=lambda f: f.path)
    return found


def default_cache_dir(build_dir: str | Path) -> Path:
    """`$BUILDPROF_CACHE_DIR`, else `<build_dir>/.buildprof/<format>` if writable, else ~/.cache."""
    override = os.environ.get(CACHE_ENV)
    build_dir = Path(build_dir).resolve()
    if override:
        return Path(override) / _dir_key(build_dir) / CACHE_FORMAT
    local = build_dir / ".buildprof" / CACHE_FORMAT
    if os.access(build_dir, os.W_OK):
        return local
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "buildprof"
    return base / _dir_key(build_dir) / CACHE_FORMAT


def scan_traces(
    files: list[TraceFile],
    cache_dir: Path | None,
    jobs: int | None = None,
    progress: Progress | None = None,
) -> TraceScan:
    """Summarise `files` (from the cache where valid), in `jobs` worker processes."""
    scan = TraceScan(cache_dir=str(cache_dir) if cache_dir else None)
    if cache_dir is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            scan.cache_dir = cache_dir = None
    jobs = jobs or os.cpu_count() or 1
    tasks = [(f, str(cache_dir) if cache_dir else None) for f in files]
    for done, ((file, _), (encoded, from_cache)) in enumerate(zip(tasks, _run(tasks, jobs), strict=True), 1):
        try:
            summary = _DECODER.decode(encoded)
        except (msgspec.DecodeError, msgspec.ValidationError):  # a cache entry of another version
            encoded, from_cache = _summarize_one((file, None))
            summary = _DECODER.decode(encoded)
        summary.path = file.path  # the cache is keyed by absolute path; keep the path as given
        if progress:
            progress(done, len(tasks))
        scan.cached += from_cache
        scan.parsed += not from_cache
        if summary.status == "trace":
            scan.summaries.append(summary)
        elif summary.status == "damaged":
            scan.damaged.append(summary)
        else:
            scan.skipped += 1
    return scan


def _run(tasks: list, jobs: int) -> Iterator[tuple[bytes, bool]]:
    """Results of `_summarize_one` over tasks, in order; a process pool when it pays off."""
    if jobs <= 1 or len(tasks) < 8:
        yield from map(_summarize_one, tasks)
        return
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    ctx = multiprocessing.get_context(method)
    chunk = max(1, min(64, len(tasks) // (jobs * 8)))
    with ctx.Pool(processes=jobs) as pool:
        yield from pool.imap(_summarize_one, tasks, chunksize=chunk)


def _summarize_one(task: tuple[TraceFile, str | None]) -> tuple[bytes, bool]:
    """Worker: the encoded summary of one file, from the cache if it is still valid."""
    file, cache_dir = task
    cache_path = Path(cache_dir) / (_file_key(file.path) + ".msgpack") if cache_dir else None
    if cache_path is not None:
        cached = _read_cached(cache_path, file)
        if cached is not None:
            return cached, True
    try:
        with open(file.path, "rb") as handle:
            if file.size > _SNIFF:
                head = handle.read(_SNIFF)
                data = head + handle.read() if looks_like_trace(head) else head
            else:
                data = handle.read()
    except OSError as exc:
        summary = TraceSummary(file.path, file.size, file.mtime_ns, "damaged", f"cannot read: {exc}")
    else:
        summary = summarize_trace_bytes(data, file.path, file.size, file.mtime_ns)
    encoded = _ENCODER.encode(summary)
    if cache_path is not None:
        _write_cached(cache_path, file, encoded)
    return encoded, False


def _stamp(file: TraceFile) -> bytes:
    """The first line of a cache entry: what the trace file looked like when it was summarised."""
    return f"{file.size} {file.mtime_ns}\n".encode()


def _read_cached(cache_path: Path, file: TraceFile) -> bytes | None:
    try:
        content = cache_path.read_bytes()
    except OSError:
        return None
    stamp = _stamp(file)
    return content[len(stamp) :] if content.startswith(stamp) else None


def _write_cached(cache_path: Path, file: TraceFile, encoded: bytes) -> None:
    tmp = cache_path.with_name(f"{cache_path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(_stamp(file) + encoded)
        os.replace(tmp, cache_path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _file_key(path: str) -> str:
    return hashlib.sha1(os.path.abspath(path).encode("utf-8", "surrogateescape")).hexdigest()


def _dir_key(path: Path) -> str:
    return hashlib.sha1(str(path).encode("utf-8", "surrogateescape")).hexdigest()[:16]


def require_traces(scan: TraceScan, root: str | Path) -> None:
    """Raise a clear error when a folder given for trace analysis holds no usable trace."""
    if scan.summaries:
        return
    if scan.damaged:
        raise InputError(f"none of the {len(scan.damaged)} time traces could be read", root)
    raise InputError("no clang -ftime-trace .json files here (build with -ftime-trace)", root)
