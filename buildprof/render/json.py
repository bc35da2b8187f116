"""JSON output: the report document itself, as documented in docs/formats.md."""

from __future__ import annotations

from buildprof.jsonio import encode_json
from buildprof.model.report import Document
from buildprof.render import RenderOptions


def render(doc: Document, options: RenderOptions) -> str:
    """The registry's entry point (buildprof.render.FORMATS)."""
    return render_json(doc)


def render_json(doc: Document) -> str:
    """The document as indented JSON text (fields in the order the document types declare them).

    Names are exact; names that were not UTF-8 carry `\\udcNN` escapes (buildprof.jsonio).
    """
    return encode_json(doc, indent=2).decode("utf-8") + "\n"
