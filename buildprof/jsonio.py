"""JSON text of buildprof's documents: exact for every name, safe to print, readable back.

Names are kept exactly, including file names that are not valid UTF-8: Python reads those with
surrogateescape (each undecodable byte becomes a lone surrogate U+DC80-U+DCFF), and the JSON carries
that character as the escape `\\udcNN`, which JSON allows. Python's `json.loads` gives the same string
back and `os.fsencode` the original bytes (docs/formats.md). msgspec, which writes the JSON fast,
refuses lone surrogates, so only documents that hold one take the slower standard-library path.

The characters that could steer a terminal (C1 controls, line separators, bidirectional overrides:
escape.UNSAFE; C0 controls JSON escapes anyway) are written as `\\uNNNN` escapes too, so that
`--format json` printed to a terminal is as inert as the other formats.
"""

from __future__ import annotations

import json
import re
from typing import Any

import msgspec

# JSON escapes C0 controls, quotes and backslashes by itself; the rest of escape.UNSAFE is done here.
_TO_ESCAPE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
# The same characters (but the surrogates, which msgspec never writes) as UTF-8 bytes.
_TO_ESCAPE_BYTES = re.compile(
    rb"\x7f|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xa8-\xae]|\xe2\x81[\xa6-\xa9]|\xef\xbb\xbf"
)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _escape_bytes(match: re.Match[bytes]) -> bytes:
    return f"\\u{ord(match.group().decode()):04x}".encode()


def encode_json(obj: Any, indent: int = 0, sort_keys: bool = False) -> bytes:
    """UTF-8 JSON of a document (msgspec Structs, dicts, lists, strings, numbers; see the module
    docstring)."""
    try:
        data = msgspec.json.encode(obj, order="sorted" if sort_keys else None)
    except UnicodeEncodeError:  # a lone surrogate: a name that was not UTF-8
        obj = msgspec.to_builtins(obj)  # a document of Structs as dicts and lists, in field order
        separators = None if indent else (",", ":")
        text = json.dumps(
            obj, ensure_ascii=False, indent=indent or None, separators=separators, sort_keys=sort_keys
        )
        return _TO_ESCAPE.sub(_escape, text).encode("utf-8")
    if indent:
        data = msgspec.json.format(data, indent=indent)
    if _TO_ESCAPE_BYTES.search(data) is None:
        return data
    return _TO_ESCAPE_BYTES.sub(_escape_bytes, data)


def inert_json(data: bytes) -> bytes:
    """JSON text (UTF-8) with the characters that could steer a terminal written as `\\uNNNN` escapes,
    as encode_json writes them: for JSON copied from elsewhere (a clang trace's args)."""
    if data.isascii() or _TO_ESCAPE_BYTES.search(data) is None:
        return data
    return _TO_ESCAPE_BYTES.sub(_escape_bytes, data)


def decode_json(data: bytes) -> Any:
    """The document of `encode_json`'s bytes (lone surrogate escapes included); ValueError if invalid."""
    try:
        return msgspec.json.decode(data)
    except (msgspec.DecodeError, RecursionError):
        pass
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
