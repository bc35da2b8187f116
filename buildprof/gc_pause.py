"""Pause Python's cyclic garbage collector around work that builds many long-lived objects, and give
freed memory back to the system.

A report holds millions of objects (the summaries' lists of names, the tables built from them) that
all live until it is written, and it makes almost no reference cycles. Each full collection while
they pile up walks all of them again to free nothing: about a fifth of a second per report on a
build of 3,000 traces. Plain reference counting still frees everything else as usual.
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic collection inside the block; restore it after (if it was enabled)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def return_free_memory() -> None:
    """Ask the C allocator to give the free pages it keeps back to the system (glibc's malloc_trim).

    Memory freed by Python goes back to the C allocator, which keeps the pages of its heap even when
    they hold nothing: the RSS does not go down, and a later numpy array is mapped from new pages.
    After the summaries' own copies of their columns are released (analysis.trace_set), this takes
    their pages back. A no-op where the C library has no malloc_trim.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None).malloc_trim  # the C library the process already uses
    except (OSError, AttributeError):
        return None
