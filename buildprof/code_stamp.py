"""A fingerprint of buildprof's own code, so that no cache outlives the code that wrote it.

The caches hold summaries and finished reports computed by this code; an upgraded or edited buildprof
(a new version, a changed rule, a rebuilt C module) must never be answered from them. Hashing the
package's sources and compiled modules takes about a millisecond, once per process.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import buildprof

_CODE_SUFFIXES = (".py", ".c", ".so", ".pyd")


@functools.cache
def code_stamp() -> str:
    """16 hex digits that change whenever a file of the installed buildprof package changes."""
    root = Path(buildprof.__file__).resolve().parent
    digest = hashlib.sha256(buildprof.__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix not in _CODE_SUFFIXES or "__pycache__" in path.parts:
            continue
        try:
            content = path.read_bytes()
        except OSError:
            continue
        digest.update(str(path.relative_to(root)).encode("utf-8", "surrogateescape") + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return digest.hexdigest()[:16]
