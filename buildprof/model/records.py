"""The base of every record of a report document, and how a field says what it means."""

import msgspec


def doc(text: str) -> msgspec.Meta:
    """A field's meaning, for docs/formats.md and the JSON schema (scripts/gen_formats.py)."""
    return msgspec.Meta(description=text)


class Record(msgspec.Struct, kw_only=True):
    """Base of every record of a document: keyword arguments, encoded in declaration order."""
