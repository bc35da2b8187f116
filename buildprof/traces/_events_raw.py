"""The timed events of one clang `-ftime-trace` file as written, for embedding in a build's trace.

The summary path (_reference, _native) keeps numbers per file, header and template; a build trace that
shows each compile step down to its headers and templates needs the events themselves: every complete
("X") event and every clang 19+ "b"/"e" async pair (Source), with their args kept byte for byte. The
whole file is decoded at once (msgspec, only these fields); the caller asks for one trace at a time,
so a build's traces are never all in memory together.

Left out: metadata ("M"), clang's "Total <name>" summary events (ts 0 on their own thread: they are
totals, not scopes), instant and other phases, "b" events without their "e", events shorter than the
granularity, and damaged events (a start or duration negative or beyond a week, _damage): the last are
counted, as the summary counts them.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from buildprof.files import NotRegularFile, read_regular, why_unusable
from buildprof.model.traces import ClangEvent, ClangEvents
from buildprof.traces._damage import int64_times, out_of_range
from buildprof.traces._decode import SNIFF_BYTES, looks_like_trace, why_undecodable
from buildprof.traces._events import PHASES, phase_codes
from buildprof.traces._reference import _close_pairs as close_pairs


class _Event(msgspec.Struct, gc=False):
    name: str = ""
    ph: str = ""
    ts: int | float = 0
    dur: int | float = 0
    cat: Any = None
    id: Any = None
    args: msgspec.Raw = msgspec.Raw(b"")


class _Document(msgspec.Struct, gc=False):
    traceEvents: list[_Event]


_DECODER = msgspec.json.Decoder(_Document)
_X, _B = PHASES["X"], PHASES["b"]


def read_clang_events(path: str, granularity_us: int = 0) -> ClangEvents:
    """The timed events of the trace at `path` that last at least `granularity_us`, in file order.

    A trace that cannot be read or decoded gives no events and a message saying why (never raises).
    """
    try:
        data = read_regular(path)
    except NotRegularFile as exc:
        return ClangEvents(path=path, message=f"is {exc.kind}, not a trace")
    except OSError as exc:
        return ClangEvents(path=path, message=why_unusable(path) or f"cannot be read ({exc.strerror})")
    if not looks_like_trace(data[:SNIFF_BYTES]):
        return ClangEvents(path=path, message="not a clang -ftime-trace file")
    try:
        events = _DECODER.decode(data).traceEvents
    except MemoryError:
        raise
    except Exception as exc:  # whichever class this msgspec raises: our own checks say why
        return ClangEvents(path=path, message=why_undecodable(data, exc))
    del data
    return _timed_events(path, events, granularity_us)


def _timed_events(path: str, events: list[_Event], granularity_us: int) -> ClangEvents:
    names = [ev.name for ev in events]
    codes: dict[str, int] = {}
    code = np.array([codes.setdefault(name, len(codes)) for name in names], dtype=np.intp)
    phase = phase_codes([ev.ph for ev in events])
    starts = int64_times([ev.ts for ev in events])
    durs = int64_times([ev.dur for ev in events])
    total_names = np.array([name.startswith("Total ") for name in codes], dtype=bool)
    complete = (phase == _X) & ~(total_names[code] if len(code) else np.zeros(0, dtype=bool))

    def ids(rows: list[int]) -> list:
        found = [events[i].id for i in rows]
        return [object() if isinstance(ident, (list, dict)) else ident for ident in found]

    paired = close_pairs(ids, code, phase, starts, durs)  # a pair's "b" gets the time up to its "e"
    timed = complete | paired
    bad = timed & out_of_range(starts, durs)
    timed &= ~bad
    n_timed = int(timed.sum())
    keep = timed & (durs >= granularity_us)
    rows = np.flatnonzero(keep).tolist()
    chosen = [events[i] for i in rows]
    kept = [
        ClangEvent(
            name=ev.name,
            pair=bool(phase[i] == _B),
            ts=ts,
            dur=dur,
            cat=ev.cat if isinstance(ev.cat, str) else "",
            args=bytes(ev.args) if ev.args else b"",
        )
        for i, ev, ts, dur in zip(rows, chosen, starts[rows].tolist(), durs[rows].tolist(), strict=True)
    ]
    span = (int(starts[timed].min()), int((starts[timed] + durs[timed]).max())) if n_timed else (0, 0)
    return ClangEvents(
        path=path,
        events=kept,
        start_us=span[0],
        end_us=span[1],
        timed=n_timed,
        left_out=n_timed - len(kept),
        damaged=int(bad.sum()),
    )
