"""The last build of a `.ninja_log`, read from the end of the file instead of from its start.

A long-lived build folder's log holds many builds (ninja appends to it and recompacts it only when
dead lines outnumber live ones three to one): a million lines whose last build is a few thousand.
`buildprof trace` exports only that build, and reading it from the end takes a few milliseconds
where reading every line takes a large part of a second. The C module `_log_native` walks the log
back line by line until it can prove where the last build starts by the rule analysis/builds.py
applies to the whole log (its header comment says why the end suffices); whenever it cannot prove
it (a damaged line on the way, a log of only one or two builds, a recompacted log) this gives None
and the caller reads the whole log as `report` does. Without the C module (or with
BUILDPROF_NO_NATIVE=1) it always gives None: the whole-log reader is the reference, and the tests
check that both find the same build.

Lines before the last build are not read, so a damaged line among them is not reported here (it
could not change the last build); nor is the number of builds before it known.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from buildprof.model.ninja import BuildSpan, NinjaLog, OutputPaths
from buildprof.ninja.log_file import parse_header, read_log_bytes

try:
    from buildprof.ninja import _log_native
except ImportError:  # built without a C compiler: the whole log is read
    _log_native = None

NATIVE_ENV = "BUILDPROF_NO_NATIVE"


@dataclass(frozen=True)
class LastBuild:
    """The log's last build: a NinjaLog holding only its lines, and their span (all of its rows)."""

    log: NinjaLog
    span: BuildSpan
    lines_read: int  # lines looked at, from the end


def read_last_build(path: str, line_numbers: bool = False) -> LastBuild | None:
    """The last build of the `.ninja_log` at `path`, read from its end; None when that cannot be told
    from the end (then read the whole log). `line_numbers`: count the lines before the build too (a
    pass over the bytes before it) to number its lines; otherwise they are numbered from 0 and the
    span's first_line and last_line are -1."""
    return start_last_build(path, line_numbers)()


def start_last_build(path: str, line_numbers: bool = False) -> Callable[[], LastBuild | None]:
    """read_last_build, started in a thread: the C scan lets go of the GIL, so it runs while the
    caller imports numpy and the analysis (on two cores the scan is then almost free). Call the
    result to wait for it; a file that cannot be read raises InputError there."""
    if _log_native is None or os.environ.get(NATIVE_ENV, "") not in ("", "0"):
        return lambda: None
    outcome: list = []

    def scan() -> None:
        try:
            outcome.append(_scan(path, line_numbers))
        except BaseException as exc:  # handed to the caller, raised there
            outcome.append(exc)

    thread = threading.Thread(target=scan, name="ninja-log-tail", daemon=True)
    thread.start()

    def result() -> LastBuild | None:
        thread.join()
        found = outcome[0]
        if isinstance(found, BaseException):
            raise found
        return None if found is None else _as_log(path, *found, line_numbers)

    return result


def _scan(path: str, line_numbers: bool) -> tuple[int, bytes, tuple] | None:
    """The log's version, its bytes and the C module's answer (None: cannot tell from the end)."""
    data = read_log_bytes(path)
    header_end = data.find(b"\n")
    if header_end < 0:
        return None
    version = parse_header(data[:header_end], path)
    found = _log_native.last_build(data, header_end + 1, line_numbers)
    return None if found is None else (version, data, found)


def _as_log(path: str, version: int, data, found: tuple, line_numbers: bool) -> LastBuild:
    import numpy as np

    from buildprof.ninja.fields import factorize_slice_rows

    n, start, end, mtime, cmdhash, lo, hi, _, first_line, lines_read = found
    columns = {
        "start_ms": np.frombuffer(start, dtype=np.int64),
        "end_ms": np.frombuffer(end, dtype=np.int64),
        "mtime": np.frombuffer(mtime, dtype=np.int64),
        "cmdhash": np.frombuffer(cmdhash, dtype=np.uint64),
    }
    first = first_line if line_numbers else 0
    columns["line"] = np.arange(first, first + n, dtype=np.int64)
    paths = OutputPaths(
        data, np.frombuffer(lo, dtype=np.int64), np.frombuffer(hi, dtype=np.int64), factorize_slice_rows
    )
    log = NinjaLog(path, version, columns, paths, total_lines=n)
    lines = (first_line, first_line + n - 1) if line_numbers else (-1, -1)
    return LastBuild(log, BuildSpan(-1, 0, n, *lines), lines_read)
