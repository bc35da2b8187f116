"""Find the time traces under a folder and summarise them: in parallel, through a per-trace cache.

Each `.json` file is read once by a worker process that decodes it and keeps only its TraceSummary. A
worker takes a few files at a time (bounded in count and bytes) and summarises them as one batch, so
memory holds a small group of traces per worker plus the summaries. Summaries are cached (_cache)
all together in one pack, and one file each (keyed by the trace's path, checked against its size and
mtime) for traces read again while the pack stays: a warm run reads only the pack, and after an
incremental build only the traces that changed are parsed again. Deleting the cache folder is always
safe.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import multiprocessing
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from buildprof.errors import InputError
from buildprof.files import NotRegularFile, kind_of
from buildprof.gc_pause import gc_paused
from buildprof.model.traces import TraceFile, TraceScan, TraceSummary
from buildprof.traces import _pool as fork_pool
from buildprof.traces._cache import entry_path, load_pack, read_entry, save_pack, write_entry
from buildprof.traces._cache_dir import make_cache_dir, prune_other_caches
from buildprof.traces._discover import expected_trace, is_tool_probe, unfinished_trace
from buildprof.traces._summary import looks_like_trace, summarize_many
from buildprof.traces._wire import NameReceiver, NameSender, decode_results, encode_results

_SNIFF = 4096  # bytes read to tell a trace from other JSON
_CHUNK_FILES = 16  # traces summarised together by a worker (see _chunks)
_CHUNK_BYTES = 16 << 20
MAX_JOBS = 64  # more worker processes than this only cost memory and file descriptors
_REPACK_MIN = 32  # traces read outside the pack before it is rewritten (or 2% of them)

Progress = Callable[[int, int], None]


def scan_traces(
    files: list[TraceFile],
    cache_dir: Path | None,
    jobs: int | None = None,
    progress: Progress | None = None,
    meanwhile: Callable[[], None] | None = None,
    objects: set[str] | None = None,
) -> TraceScan:
    """Summarise `files` (from the cache where valid), in `jobs` worker processes.

    With a cache, summaries still valid in the folder's pack are taken from it without starting any
    worker; the other files go through the workers (and their entries); the pack is rewritten when
    anything differs from it. `meanwhile` (e.g. importing what comes next) runs in a thread of the
    parent while the workers run, if they run: the parent mostly waits for them. `objects` (the object
    files of the folder) tells which JSON files must be traces (see expected_trace).
    """
    if "numpy" not in sys.modules:  # imported after the fork, for no linear algebra: OpenBLAS's idle
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # threads would spin (about 0.1 s of CPU)
    scan = TraceScan(cache_dir=str(cache_dir) if cache_dir else None)
    if cache_dir is not None:
        try:
            if not cache_dir.is_dir():
                prune_other_caches(cache_dir)  # an older buildprof's summaries: never used again
            make_cache_dir(cache_dir)
            if not os.access(cache_dir, os.W_OK | os.X_OK):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        except OSError as exc:
            scan.cache_problem = (
                f"cache folder {cache_dir} is unusable ({exc.strerror}): traces read without it"
            )
            scan.cache_dir = cache_dir = None
    jobs = max(1, min(jobs or os.cpu_count() or 1, MAX_JOBS))
    with gc_paused():  # summaries are long-lived: collections would only rescan them
        results = _scan(files, cache_dir, jobs, progress, _Background(meanwhile))
    for file, (summary, from_cache) in zip(files, results, strict=True):
        summary.path = file.path  # the cache is keyed by absolute path; keep the path as given
        scan.cached += from_cache
        scan.parsed += not from_cache
        if summary.status == "not_trace" and (obj := expected_trace(file.path, objects or set())):
            summary = unfinished_trace(summary, obj)
        if summary.status == "trace":
            (scan.probes if is_tool_probe(summary) else scan.summaries).append(summary)
        elif summary.status == "damaged":
            scan.damaged.append(summary)
        else:
            scan.skipped += 1
    return scan


class _Background:
    """Runs a function once in a daemon thread, on the first start(); finish() waits for it.

    Its exceptions are dropped: it only prepares what the main thread does (or redoes) next.
    """

    def __init__(self, func: Callable[[], None] | None) -> None:
        self.func = func
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.func is not None and self.thread is None:
            self.thread = threading.Thread(target=self._run, name="buildprof-meanwhile", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        with contextlib.suppress(Exception):
            self.func()  # type: ignore[misc]

    def finish(self) -> None:
        if self.thread is not None:
            self.thread.join()


def _scan(
    files: list[TraceFile],
    cache_dir: Path | None,
    jobs: int,
    progress: Progress | None,
    meanwhile: _Background,
) -> list:
    """(summary, from_cache) per file, in order: from the pack, else from the workers."""
    names = NameReceiver()  # one string object per name, across the pack and the workers
    pack = load_pack(cache_dir, names) if cache_dir is not None else None
    entries = [entry_path(cache_dir, f.path) for f in files] if cache_dir is not None else []
    results: list[tuple[TraceSummary, bool] | None] = [None] * len(files)
    todo: list[int] = []
    packed = [-1] * len(files)
    if pack is not None:
        keys = [os.path.abspath(f.path) for f in files]
        packed = pack.lookup(keys, [f.size for f in files], [f.mtime_ns for f in files], entries)
    for i, at in enumerate(packed):
        if at >= 0:
            results[i] = (pack.summaries[at], True)  # type: ignore[union-attr]
        else:
            todo.append(i)
    done = len(files) - len(todo)
    if progress and done:
        progress(done, len(files))
    cache = str(cache_dir) if cache_dir is not None else None
    repack = cache_dir is not None and _repack(pack, len(todo), len(files))
    chunks = _chunks(todo, files)
    tasks = [([files[i] for i in chunk], cache, not repack) for chunk in chunks]
    messages: list | None = [] if repack and len(todo) == len(files) else None  # the pack's, as they came
    for chunk, chunk_results in zip(chunks, _run(tasks, jobs, names, meanwhile.start, messages), strict=True):
        for i, result in zip(chunk, chunk_results, strict=True):
            results[i] = result
            done += 1
            if progress:
                progress(done, len(files))
    meanwhile.finish()
    if repack:
        summaries = [summary for summary, _ in results]  # type: ignore[misc]
        for summary, file in zip(summaries, files, strict=True):
            summary.path = file.path
        whole = messages is not None and len(messages) == len(tasks)  # every summary came in a message
        save_pack(cache_dir, summaries, entries, messages if whole else None)
    return results


def _repack(pack, missed: int, count: int) -> bool:
    """Whether to rewrite the pack: none yet, other files than packed, or more than a few re-read.

    A handful of rebuilt traces do not rewrite the whole pack (that would cost more than reading
    them): their entries serve the next runs, until enough have changed to make a new pack worth it.
    A scan that rewrites the pack writes no entries: the pack holds every summary, and writing the
    same summaries twice (one file per trace) cost more than the rest of a first run's caching.
    """
    if pack is None or len(pack.index) != count:
        return True
    return missed > max(_REPACK_MIN, count // 50)


def _chunks(indexes: list[int], files: list[TraceFile]) -> list[list[int]]:
    """Consecutive files (by index) in groups of up to _CHUNK_FILES traces or _CHUNK_BYTES bytes.

    A worker summarises a group as one batch (_summary.summarize_many), so a group is bounded in
    bytes as well as in files: memory stays bounded by the largest trace times a small factor,
    whatever the number of traces.
    """
    chunks: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i in indexes:
        if current and (len(current) >= _CHUNK_FILES or size + files[i].size > _CHUNK_BYTES):
            chunks.append(current)
            current, size = [], 0
        current.append(i)
        size += files[i].size
    if current:
        chunks.append(current)
    return chunks


def _run(
    tasks: list,
    jobs: int,
    names: NameReceiver,
    started: Callable[[], None],
    messages: list | None = None,
) -> Iterator[list[tuple[TraceSummary, bool]]]:
    """Results of `_summarize_chunk` over tasks, in order; worker processes when it pays off.

    Workers send each group's results as one compact message (_wire); on Linux they are forked
    by _pool, elsewhere they come from a multiprocessing pool. `started` is called once they run.
    The messages are added to `messages` if given (for the pack).
    """
    if jobs <= 1 or len(tasks) < 2:
        yield from map(_summarize_chunk, tasks)
        return
    jobs = min(jobs, len(tasks))
    if fork_pool.available():
        for message in fork_pool.ordered_map(_summarize_chunk_message, tasks, jobs, started):
            if messages is not None:
                messages.append(message)
            yield decode_results(message, names, template_sets=True)
        return
    with multiprocessing.get_context("spawn").Pool(processes=jobs) as pool:
        started()
        for message in pool.imap(_summarize_chunk_message, tasks):
            if messages is not None:
                messages.append(message)
            yield decode_results(message, names, template_sets=True)


_SENDER: NameSender | None = None  # a worker's stream of messages to the parent


def _summarize_chunk_message(task: Task) -> bytes:
    """Worker: `_summarize_chunk` as the next message of this process's stream to the parent."""
    global _SENDER
    if _SENDER is None or _SENDER.stream != os.getpid():  # a new worker (forked from a parent)
        _SENDER = NameSender()
    return encode_results(_summarize_chunk(task), _SENDER)


Task = tuple[list[TraceFile], str | None, bool]  # files, cache folder, whether to write entries


def _summarize_chunk(task: Task) -> list[tuple[TraceSummary, bool]]:
    """Worker: each file's summary and whether it came from its cache entry; new entries written
    when the task says so (see _repack).

    The summaries of the files that must be read are computed together as one batch.
    """
    files, cache_dir, write_entries = task
    gc.disable()  # a batch holds no reference cycles: refcounting frees it
    entries = [entry_path(cache_dir, f.path) if cache_dir else None for f in files]
    results: list[tuple[TraceSummary, bool] | None] = [None] * len(files)
    todo: list[int] = []
    for i, (file, entry) in enumerate(zip(files, entries, strict=True)):
        cached = read_entry(entry, file.size, file.mtime_ns) if entry is not None else None
        if cached is not None:
            results[i] = (cached, True)
        else:
            todo.append(i)
    read: list[int] = []  # the files summarised, in order

    def contents() -> Iterator[tuple[memoryview, str, int, int]]:
        """Each file's bytes in turn, read into the worker's one buffer just before it is summarised."""
        for i in todo:
            file = files[i]
            try:
                data = _BUFFER.read(file)
            except OSError as exc:
                why = f"cannot be read: {exc.strerror}"
                summary = TraceSummary(file.path, file.size, file.mtime_ns, "damaged", why)
                results[i] = (summary, False)
                continue
            read.append(i)
            yield data, file.path, file.size, file.mtime_ns

    summaries = summarize_many(contents())
    for i, summary in zip(read, summaries, strict=True):
        results[i] = (summary, False)
    for i in todo:
        if entries[i] is not None and write_entries:
            write_entry(entries[i], results[i][0])  # type: ignore[index]
    return results  # type: ignore[return-value]


class _ReadBuffer:
    """One buffer a worker reads every trace into, so that reading a file is one copy from the page
    cache into memory already mapped (a fresh buffer per file cost page faults and a second copy)."""

    def __init__(self) -> None:
        self.buffer = bytearray()  # grown (replaced) on the first read

    def read(self, file: TraceFile) -> memoryview:
        """The file's bytes (valid until the next read); only the first bytes when they show it is
        not a trace.

        Opened without blocking and checked to be a regular file: it may have been replaced by a
        FIFO or a device since it was found. Read to the end in case it grew since it was found.
        """
        fd = os.open(file.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise NotRegularFile(kind_of(mode))
            if len(self.buffer) <= max(file.size, _SNIFF):  # room for one byte more: growth is seen
                self.buffer = bytearray(2 * (max(file.size, _SNIFF) + 1))  # a new one: views of the
            view = memoryview(self.buffer)  # old one may still be held; it goes with them
            size = _read_into(fd, view[:_SNIFF])
            if size < _SNIFF or not looks_like_trace(bytes(view[:size])):
                return view[:size]
            while True:
                size += _read_into(fd, view[size:])
                if size < len(view):
                    return view[:size]
                grown = bytearray(2 * len(view))  # the file grew since it was found
                grown[:size] = view
                self.buffer, view = grown, memoryview(grown)
        finally:
            os.close(fd)


def _read_into(fd: int, view: memoryview) -> int:
    """Read until the view is full or the file ends; the bytes read."""
    done = 0
    while done < len(view):
        got = os.readv(fd, [view[done:]])
        if got == 0:
            break
        done += got
    return done


_BUFFER = _ReadBuffer()  # each forked worker writes to its own copy


def require_traces(scan: TraceScan, root: str | Path) -> None:
    """Raise a clear error when a folder given for trace analysis holds no usable trace."""
    if scan.summaries:
        return
    if scan.damaged:
        raise InputError(f"none of the {len(scan.damaged)} time traces could be read", root)
    raise InputError("no clang -ftime-trace .json files here (build with -ftime-trace)", root)
