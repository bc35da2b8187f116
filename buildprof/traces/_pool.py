"""Run a function over tasks in forked worker processes and get the byte results back in task order.

A lean replacement for multiprocessing.Pool on Linux, for the one shape trace scanning needs: tasks
known up front, results that are already bytes. Workers are forked, so they see the tasks and the
function without pickling; they take task numbers from a shared pipe (4 bytes each, so whoever is free
takes the next one) and write `number, length, payload` messages to a pipe of their own. The parent
only reads: one thread, no result-handler threads, no pickling of results, payloads read straight into
their final buffers. A worker's exception is sent back and raised in the parent.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import select
import selectors
import signal
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

_HEADER = struct.Struct("<qq")  # task number (-1: an error follows), payload length
_PIPE_BYTES = 1 << 20  # bigger pipes: fewer wake-ups per result


def available() -> bool:
    """Whether this platform can fork workers (Linux); otherwise use multiprocessing."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def ordered_map(
    func: Callable[[Any], bytes],
    tasks: Sequence[Any],
    jobs: int,
    started: Callable[[], None] | None = None,
) -> Iterator[bytearray]:
    """`func(task)` for every task, computed in `jobs` forked processes, yielded in task order.

    `started` is called in the parent once every worker is forked: from then on the parent may start
    threads (forking a process that has other threads running is unsafe).

    Ctrl-C (SIGINT to the whole process group) is the parent's: workers ignore it and are stopped by
    the parent (SIGTERM, below). SIGINT is blocked around each fork, so that it can never arrive in a
    child while Python is still running its after-fork hooks (it printed "Exception ignored in
    _after_fork" there); a Ctrl-C in that instant reaches the parent as soon as the fork returns.
    """
    task_read, task_write = os.pipe()
    _grow(task_write, 4 * len(tasks))
    os.set_blocking(task_write, False)
    feeder = _Feeder(task_write, len(tasks))
    feeder.feed()  # as many task numbers as the pipe holds; the rest as workers take them
    if feeder.done:
        feeder.close()
    pids, pipes = [], []
    try:
        for _ in range(max(1, min(jobs, len(tasks)))):
            result_read, result_write = os.pipe()
            _grow(result_write, _PIPE_BYTES)
            mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # see the docstring
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
                signal.pthread_sigmask(signal.SIG_SETMASK, mask)
                for fd in (result_read, *pipes, *([task_write] if not feeder.closed else [])):
                    os.close(fd)
                _work(func, tasks, task_read, result_write)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C meanwhile arrives now
            os.close(result_write)
            pids.append(pid)
            pipes.append(result_read)
        os.close(task_read)
        task_read = -1
        if started is not None:
            started()
        yield from _collect(pipes, len(tasks), feeder)
    finally:
        feeder.close()
        if task_read >= 0:
            os.close(task_read)
        for fd in pipes:
            with contextlib.suppress(OSError):
                os.close(fd)
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)  # no-op for workers that are done; stops the rest
        for pid in pids:
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


class _Feeder:
    """Writes the task numbers into the (non-blocking) task pipe, closing it after the last one.

    Each write is at most PIPE_BUF bytes and a multiple of 4, so it is atomic: a worker's 4-byte
    read always gets a whole number. Closing the write end tells idle workers there is no more work.
    """

    def __init__(self, fd: int, count: int) -> None:
        self.fd = fd
        self.data = memoryview(struct.pack(f"<{count}i", *range(count)))
        self.closed = False

    @property
    def done(self) -> bool:
        return not self.data

    def feed(self) -> None:
        """Write what the pipe takes now."""
        while self.data:
            piece = self.data[: select_pipe_buf()]
            try:
                os.write(self.fd, piece)
            except BlockingIOError:
                return
            self.data = self.data[len(piece) :]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)


def select_pipe_buf() -> int:
    """Bytes a pipe write is atomic for (POSIX PIPE_BUF, 4096 on Linux), a multiple of 4."""
    return (getattr(select, "PIPE_BUF", 4096) // 4) * 4


def _grow(fd: int, size: int) -> None:
    """Ask for a pipe buffer of at least `size` bytes (Linux), as far as the system allows."""
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    for attempt in (size, _PIPE_BYTES):
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, max(attempt, 1 << 16))
            return
        except OSError:
            continue


def _work(func: Callable[[Any], bytes], tasks: Sequence[Any], task_read: int, out: int) -> None:
    """Worker loop: take task numbers until none is left, send each result; then exit."""
    code = 0
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        while True:
            taken = os.read(task_read, 4)  # a pipe read of 4 bytes is all or nothing here
            if len(taken) < 4:
                break
            (number,) = struct.unpack("<i", taken)
            payload = func(tasks[number])
            _write_all(out, _HEADER.pack(number, len(payload)))
            _write_all(out, payload)
    except BaseException as exc:  # report everything, including KeyboardInterrupt
        code = 1
        with contextlib.suppress(BaseException):
            try:
                error = pickle.dumps(exc)
            except Exception:
                error = pickle.dumps(RuntimeError(f"trace worker failed: {exc!r}"))
            _write_all(out, _HEADER.pack(-1, len(error)))
            _write_all(out, error)
    finally:
        os._exit(code)  # skip the parent's atexit handlers and buffered output


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class _Reader:
    """One worker's result pipe: a header, then a payload read straight into its own buffer."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.header = bytearray()
        self.number = 0
        self.payload: bytearray | None = None
        self.filled = 0

    def read(self) -> list[tuple[int, bytearray]] | None:
        """Finished messages after one read; None at end of file."""
        if self.payload is None:
            chunk = os.read(self.fd, _HEADER.size - len(self.header))
            if not chunk:
                return None
            self.header += chunk
            if len(self.header) == _HEADER.size:
                self.number, length = _HEADER.unpack(self.header)
                self.header = bytearray()
                self.payload, self.filled = bytearray(length), 0
        else:
            got = os.readv(self.fd, [memoryview(self.payload)[self.filled :]])
            if not got:
                return None
            self.filled += got
        if self.payload is not None and self.filled == len(self.payload):
            done, self.payload = self.payload, None
            return [(self.number, done)]
        return []


def _collect(pipes: list[int], count: int, feeder: _Feeder) -> Iterator[bytearray]:
    """Read every worker's messages and yield payloads in task order (feeding tasks meanwhile)."""
    pending: dict[int, bytearray] = {}
    following = 0
    with selectors.DefaultSelector() as selector:
        for fd in pipes:
            selector.register(fd, selectors.EVENT_READ, _Reader(fd))
        if not feeder.closed:
            selector.register(feeder.fd, selectors.EVENT_WRITE, feeder)
        while following < count:
            if not any(isinstance(key.data, _Reader) for key in selector.get_map().values()):
                raise RuntimeError("a trace worker stopped before finishing its work")
            for key, _ in selector.select():
                if key.data is feeder:
                    feeder.feed()
                    if feeder.done:
                        selector.unregister(feeder.fd)
                        feeder.close()
                    continue
                reader: _Reader = key.data
                messages = reader.read()
                if messages is None:
                    selector.unregister(reader.fd)
                    continue
                for number, payload in messages:
                    if number < 0:
                        raise pickle.loads(payload)
                    pending[number] = payload
            while following in pending:
                yield pending.pop(following)
                following += 1
