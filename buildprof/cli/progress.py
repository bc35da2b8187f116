"""A progress line on stderr while traces are read (only when stderr is a terminal)."""

from __future__ import annotations

import sys
import time


class TraceProgress:
    """Callable(done, total) that redraws `Reading traces: 120/3021` at most ten times a second."""

    def __init__(self, stream=None, label: str = "Reading traces") -> None:
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label}: {done}/{total}{end}")
        self.stream.flush()
