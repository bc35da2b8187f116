"""JSON output: the report document itself, as documented in docs/formats.md."""

from __future__ import annotations

from buildprof.jsonio import encode_json


def render_json(doc: dict, width: int | None = None) -> str:
    """The document as indented JSON text (keys in the order the document defines them).

    Names are exact; names that were not UTF-8 carry `\\udcNN` escapes (buildprof.jsonio).
    """
    return encode_json(doc, indent=2).decode("utf-8") + "\n"
