"""Where a report goes: standard output, a file, standard error for warnings; and how wide it may be.

A report is written whole or not at all: to stdout with Ctrl-C held back until the last byte is out
(an interrupt then ends the run right after), to a file by writing beside it and renaming. A reader
that closed the pipe raises OutputClosed (the CLI then ends silently, as Unix tools do); any other
write failure (a full disk, /dev/full) is an OSError for the CLI to report in one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from buildprof.files import write_atomically, write_stream_atomically
from buildprof.render.escape import visible_lines

PIPED_WIDTH = 100  # columns of the terminal format when the output is not a terminal


class OutputClosed(Exception):
    """The reader of standard output has gone (a closed pipe): stop writing, say nothing."""


def stdout_is_a_terminal() -> bool:
    """Whether standard output is a terminal (False when it is closed, a pipe or a file)."""
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except (AttributeError, OSError, ValueError):
        return False


def terminal_width() -> int:
    """Columns of the terminal stdout writes to: $COLUMNS, else its real size; 100 when it is not a
    terminal (a pipe or a file)."""
    if not stdout_is_a_terminal():
        return PIPED_WIDTH
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return PIPED_WIDTH
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(fd).columns or PIPED_WIDTH
    except OSError:
        return PIPED_WIDTH


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold SIGINT back in the block (it is delivered when the block ends): no half-written report."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def write_stdout(data: bytes) -> None:
    """Write the report's bytes to standard output, whole (see the module docstring)."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise OSError(errno.EBADF, "standard output is closed")
    try:
        with interrupts_held():
            sys.stdout.flush()
            stream = getattr(sys.stdout, "buffer", None)
            if stream is None:  # a text-only stream (an embedding application's)
                sys.stdout.write(data.decode("utf-8", "replace"))
            else:
                _write_all(stream, data)
            sys.stdout.flush()
    except BrokenPipeError:
        raise OutputClosed() from None


def _write_all(stream, data: bytes) -> None:
    """Write all of `data`: an unbuffered stdout (python -u, PYTHONUNBUFFERED) is a raw file whose
    write may take only part of it (a pipe takes 64 KiB at a time)."""
    view = memoryview(data)
    while view:
        written = stream.write(view)
        if written is None:  # a non-blocking stdout that is full: wait until it takes more
            select.select([], [stream], [])
            continue
        view = view[written:]
    stream.flush()


def write_stderr(text: str) -> None:
    """Write messages to standard error with every unsafe character made visible; never fails."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # closed, or None when started so
        sys.stderr.write(visible_lines(text))
        sys.stderr.flush()


def write_file(path: Path, data: bytes) -> None:
    """Write a report file whole or not at all; devices and pipes (`-o /dev/stdout`) are written to.

    A regular file is written beside the target and renamed over it (files.write_atomically), so a
    reader never sees half a report. Anything else that exists (a character device such as
    /dev/null, a FIFO) must not be replaced by a rename: it is opened and written like any stream.
    """
    if path.exists() and not path.is_file():
        with path.open("wb") as stream:
            stream.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with interrupts_held():
        write_atomically(path, data)


def write_file_parts(path: Path, parts: Iterable[bytes]) -> None:
    """As write_file, for an output made while it is written (a trace): whole or not at all."""
    if path.exists() and not path.is_file():
        with path.open("wb") as stream:
            for part in parts:
                stream.write(part)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_stream_atomically(path, parts)  # Ctrl-C meanwhile removes the partial file
