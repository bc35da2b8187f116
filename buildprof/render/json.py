"""JSON output: the report document itself, as documented in docs/formats.md."""

from __future__ import annotations

import msgspec


def render_json(doc: dict) -> str:
    """The document as indented JSON text (keys in the order the document defines them)."""
    return msgspec.json.format(msgspec.json.encode(doc).decode(), indent=2) + "\n"
