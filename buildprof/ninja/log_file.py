"""Open a `.ninja_log` and read its header line: shared by the whole-log reader (log.py) and the
reader of its end (log_tail.py), and free of numpy, so that the end can be scanned while numpy loads.
"""

from __future__ import annotations

import mmap
import re
from pathlib import Path

from buildprof.errors import InputError
from buildprof.files import NotRegularFile, read_regular, why_unusable

SUPPORTED_VERSIONS = (5, 6, 7)
_HEADER = re.compile(rb"# ninja log v(\d+)\s*$")
_MAP_FROM = 1 << 23  # logs this large are mapped, not copied (files.read_regular)


def read_log_bytes(path: str | Path) -> bytes | mmap.mmap:
    """The bytes of the `.ninja_log` at `path` (mapped when large); InputError when it cannot be read."""
    path = Path(path)
    try:
        return read_regular(path, map_from=_MAP_FROM)
    except NotRegularFile as exc:
        raise InputError(f"is {exc.kind}, not a ninja log", path) from None
    except OSError as exc:
        raise InputError(why_unusable(path) or f"cannot read: {exc.strerror}", path) from None


def parse_header(header: bytes, path: str) -> int:
    """The log version from the first line; InputError (line 1) when it is not a supported header."""
    match = _HEADER.match(header)
    if not match:
        shown = header[:40].decode("utf-8", "replace")
        raise InputError(f"not a ninja log: first line is {shown!r}, expected '# ninja log vN'", path, 1)
    version = int(match.group(1))
    if version not in SUPPORTED_VERSIONS:
        origin = "older than 1.0: it holds commands, not hashes" if version < 5 else "newer than 1.13"
        raise InputError(
            f"ninja log version {version} is not supported: it comes from a ninja {origin} "
            "(buildprof reads v5 to v7, written by ninja 1.0 to 1.13)",
            path,
            1,
        )
    return version
