"""Text as the history stores it: every Python string round-trips exactly, whatever it holds.

Names come from builds and are hostile data: any Unicode, NUL characters, and file names that were not
UTF-8, which Python reads with surrogateescape (each undecodable byte a lone surrogate U+DC80-U+DCFF).
Neither SQLite's driver nor PostgreSQL takes a lone surrogate, and PostgreSQL refuses NUL in text. So
a string holding either (or starting with the marker U+FFFF, a Unicode noncharacter) is stored as the
marker followed by its ASCII JSON form (`"\\udcff"`); every other string is stored as it is, readable
with any SQL client. The mapping is one-to-one, so equality and unique keys keep their meaning.
"""

from __future__ import annotations

import hashlib
import json
import re

MARK = "\uffff"  # starts an escaped string; no real name starts with a noncharacter
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def to_stored(text: str) -> str:
    """The form of `text` the database holds (itself, unless it needs the escape: module docstring)."""
    if _UNSTORABLE.search(text) is None and not text.startswith(MARK):
        return text
    return MARK + json.dumps(text, ensure_ascii=True)


def from_stored(stored: str) -> str:
    """The string that `to_stored` turned into `stored`."""
    if stored.startswith(MARK):
        return json.loads(stored[len(MARK) :])
    return stored


def name_key(name: str) -> bytes:
    """The 16-byte key a name is unique by (a BLAKE2b digest of its stored form): an index on the key
    works for names of any length (PostgreSQL's btree refuses entries over ~2.7 kB, and template names
    can be far longer)."""
    return hashlib.blake2b(to_stored(name).encode("utf-8"), digest_size=16).digest()
