"""What a clang `-ftime-trace` event is to the Python reference path: decoded fields, codes per name.

Only the fields used are decoded (msgspec typed structs skip the rest). Kinds are the event names
ClangBuildAnalyzer recognises (buildprof.trace_rules); every other name is kept for the self-time
breakdown only. A document that cannot be decoded is called too deeply nested when its objects and
arrays nest deeper than MAX_JSON_DEPTH (_decode).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import msgspec

from buildprof.trace_rules import KNOWN_KINDS

if TYPE_CHECKING:  # numpy is imported where it is used: a worker on the C path never needs it
    import numpy as np

TOTAL = -1  # kind code of clang's "Total <name>" summary events
PHASES = {"X": 1, "b": 2, "e": 3, "M": 4}  # phase codes; anything else (i, s, ...) is 0

# Nesting of JSON objects and arrays beyond which an undecodable document is "nested too deeply" (clang
# writes 4 levels). It stays far below msgspec's own limit (Python's recursion limit, 1000), so that a
# document msgspec gives up on for its depth is always deeper than this.
MAX_JSON_DEPTH = 256


# gc=False: a decoded trace holds no reference cycles, and untracked objects keep the garbage collector
# from rescanning hundreds of thousands of events while traces are decoded.
class Args(msgspec.Struct, gc=False):
    """The `args` of an event: the detail, metadata names, and the count of "Total" events."""

    detail: Any = None
    name: Any = None  # metadata events: process and thread names
    count: Any = None  # "Total" events


class Event(msgspec.Struct, gc=False):
    """One trace event, with only the fields buildprof reads."""

    name: str = ""
    ph: str = ""
    ts: int | float = 0
    dur: int | float = 0
    id: Any = None
    args: Args | None = None


class TraceDocument(msgspec.Struct, gc=False):
    """A trace file's top level."""

    traceEvents: list[Event]
    beginningOfTime: int | float | None = None


DECODER = msgspec.json.Decoder(TraceDocument)


@functools.cache
def _phase_table() -> np.ndarray:
    """The phase code by the byte of a one-character "ph"."""
    import numpy as np

    table = np.zeros(256, dtype=np.int8)
    for ph, code in PHASES.items():
        table[ord(ph)] = code
    return table


def phase_codes(phases: list[str]) -> np.ndarray:
    """The PHASES code of each event's "ph" (0 for others), as int8.

    Phases are single characters in practice: joined, they are one byte each and a 256-entry table
    maps them without a Python operation per event.
    """
    import numpy as np

    joined = "".join(phases)
    if len(joined) == len(phases) and joined.isascii():
        return _phase_table()[np.frombuffer(joined.encode("ascii"), dtype=np.uint8)]
    return np.array([PHASES.get(ph, 0) for ph in phases], dtype=np.int8)


class NameTable:
    """Every event name a process has seen, numbered once; the kind of each.

    Event names recur in every trace (a few hundred distinct ones), so one dict lookup per event gives
    its number, and everything per name (kind, breakdown rows) is indexed by that number.
    """

    LIMIT = 100_000  # start afresh past this many names (never within one batch)

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.names: list[str] = []
        self.kinds: np.ndarray | None = None  # set by encode()

    def start_batch(self) -> None:
        """Called before each batch: numbers stay valid for the whole batch."""
        if len(self.codes) > self.LIMIT:
            self.__init__()

    def encode(self, names: list[str]) -> np.ndarray:
        """The number of each name, adding new ones."""
        import numpy as np

        found = list(map(self.codes.get, names))
        if None in found or self.kinds is None:
            for name in dict.fromkeys(names):
                if name not in self.codes:
                    self.codes[name] = len(self.names)
                    self.names.append(name)
            self.kinds = np.array([_kind_of(name) for name in self.names], dtype=np.int8)
            found = list(map(self.codes.__getitem__, names))
        return np.array(found, dtype=np.intp)


def _kind_of(name: str) -> int:
    return TOTAL if name.startswith("Total ") else KNOWN_KINDS.get(name, 0)
